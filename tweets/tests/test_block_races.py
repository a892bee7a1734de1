"""Blocks racing follows, likes and reposts on PostgreSQL: whatever the interleaving, no follow
survives a block, no like or repost lands after one, and every counter equals its rows."""

import threading
import time

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection

from accounts.tests.factories import UserFactory
from core.testing import on_postgresql
from tweets import services
from tweets.models import Block, Follow, Like, Tweet
from tweets.services import likes, reposts
from tweets.services.blocks import block_check
from tweets.tests.factories import TweetFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not on_postgresql(), reason="row locks need PostgreSQL"),
]


def run_together(*calls):
    """Run the calls in threads released at the same instant; a refused follow is expected."""
    barrier = threading.Barrier(len(calls))
    failures = []

    def run(call):
        try:
            barrier.wait()
            call()
        except PermissionDenied:
            pass
        except Exception as exc:  # anything else fails the test below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def test_block_while_following_leaves_no_follow_and_counters_equal_rows():
    for _ in range(15):
        blocker, blocked = UserFactory(), UserFactory()
        run_together(
            lambda b=blocker, d=blocked: services.follow_create(follower=d, followee=b),
            lambda b=blocker, d=blocked: services.follow_create(follower=b, followee=d),
            lambda b=blocker, d=blocked: services.block_create(blocker=b, blocked=d),
        )
        assert Block.objects.filter(blocker=blocker, blocked=blocked).exists()
        assert not Follow.objects.filter(follower__in=[blocker, blocked]).exists()
        for account in (blocker, blocked):
            account.refresh_from_db()
            assert (account.followers_count, account.following_count) == (0, 0)


def test_concurrent_blocks_both_ways_do_not_deadlock_and_keep_counters():
    for _ in range(10):
        first, second = UserFactory(), UserFactory()
        services.follow_create(follower=first, followee=second)
        services.follow_create(follower=second, followee=first)
        run_together(
            lambda a=first, b=second: services.block_create(blocker=a, blocked=b),
            lambda a=first, b=second: services.block_create(blocker=b, blocked=a),
        )
        assert Block.objects.filter(blocker__in=[first, second]).count() == 2
        assert not Follow.objects.filter(follower__in=[first, second]).exists()
        for account in (first, second):
            account.refresh_from_db()
            assert (account.followers_count, account.following_count) == (0, 0)


def test_likes_and_reposts_racing_a_block_keep_counters_equal_to_rows():
    for _ in range(15):
        author, fan = UserFactory(), UserFactory()
        tweet = TweetFactory(author=author)
        run_together(
            lambda f=fan, t=tweet: services.like_create(user=f, tweet=t),
            lambda f=fan, t=tweet: services.repost_create(user=f, tweet=t),
            lambda a=author, f=fan: services.block_create(blocker=a, blocked=f),
            lambda a=author, f=fan: services.block_create(blocker=f, blocked=a),
        )
        tweet.refresh_from_db()
        assert tweet.like_count == Like.objects.filter(tweet=tweet).count()
        assert tweet.repost_count == Tweet.objects.filter(repost_of=tweet).count()
    assert set(services.counters_recount(dry_run=True).values()) == {0}


@pytest.mark.parametrize(
    ("module", "interact"),
    [
        (likes, lambda fan, tweet: services.like_create(user=fan, tweet=tweet)),
        (reposts, lambda fan, tweet: services.repost_create(user=fan, tweet=tweet)),
    ],
    ids=["like", "repost"],
)
def test_a_block_made_while_a_like_or_repost_is_checked_waits_for_it(monkeypatch, module, interact):
    """The interaction is held right after its block check; a block started then must wait
    until the interaction has committed, never commit in between."""
    author, fan = UserFactory(), UserFactory()
    tweet = TweetFactory(author=author)
    checked, go_on, finished = threading.Event(), threading.Event(), []

    def check_then_pause(**kwargs):
        block_check(**kwargs)
        checked.set()
        go_on.wait(10)

    monkeypatch.setattr(module, "block_check", check_then_pause)

    def interaction():
        interact(fan, tweet)
        finished.append("interaction")

    def block():
        services.block_create(blocker=author, blocked=fan)
        finished.append("block")

    threads = [threading.Thread(target=closing(call)) for call in (interaction, block)]
    threads[0].start()
    try:
        assert checked.wait(10)
        threads[1].start()
        time.sleep(0.5)  # time enough for the block to commit, were it not made to wait
        assert finished == []
    finally:
        go_on.set()
        for thread in threads:
            if thread.ident is not None:
                thread.join(20)
    assert finished == ["interaction", "block"]
    assert Block.objects.filter(blocker=author, blocked=fan).exists()


def closing(call):
    def run():
        try:
            call()
        finally:
            connection.close()

    return run
