"""Blocks racing follows, likes, reposts and mentions on PostgreSQL: whatever the interleaving, no
follow survives a block, no like, repost or mention lands after one, and every counter equals
its rows."""

import threading

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection

from accounts.services import user_set_active
from accounts.tests.factories import UserFactory
from core.testing import on_postgresql
from core.testing.races import deadlock_retries, lock_waits, pause_in, run_while_held, wait_until
from tweets import services
from tweets.models import Block, Follow, Like, Mention, Report, Tweet
from tweets.services import entities, likes, moderation, reposts
from tweets.services import tweets as tweet_services
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
    paused, resume = pause_in(monkeypatch, module, "block_check")
    finished = []

    def interaction():
        interact(fan, tweet)
        finished.append("interaction")

    def block():
        services.block_create(blocker=author, blocked=fan)
        finished.append("block")

    def nothing_committed():
        assert finished == []  # time enough for the block to commit, were it not made to wait

    failures = run_while_held(interaction, block, paused, resume, during=nothing_committed)
    assert failures == []
    assert finished == ["interaction", "block"]
    assert Block.objects.filter(blocker=author, blocked=fan).exists()


# Interactions with the account "popular" that take its row shared, each paused (after the
# real call) where it holds that lock: (module, function, interaction of ``fan`` with a tweet of
# the popular account, or with one of the fan's own for an edit).
SHARED_INTERACTIONS = {
    "like": (likes, "block_check", lambda fan, tweet: services.like_create(user=fan, tweet=tweet)),
    "repost": (
        reposts,
        "block_check",
        lambda fan, tweet: services.repost_create(user=fan, tweet=tweet),
    ),
    "reply": (
        tweet_services,
        "block_check",
        lambda fan, tweet: services.tweet_create(author=fan, text="hi", in_reply_to=tweet),
    ),
    "mention": (
        entities,
        "users_lock",
        lambda fan, tweet: services.tweet_create(author=fan, text="hi @popular"),
    ),
    "edit": (
        entities,
        "users_lock",
        lambda fan, tweet: services.tweet_update(
            tweet=TweetFactory(author=fan), editor=fan, text="now @popular"
        ),
    ),
    "report": (
        moderation,
        "users_lock",
        lambda fan, tweet: services.report_create(reporter=fan, reason="spam", tweet=tweet),
    ),
}
# Writes that change the popular account's row.
WRITERS_OF_THE_ACCOUNT = {
    "block": lambda popular, fan: services.block_create(blocker=popular, blocked=fan),
    "suspension": lambda popular, fan: services.account_set_suspended(
        account=popular, suspended=True, moderator=UserFactory(is_staff=True), reason="spam"
    ),
    "deactivation": lambda popular, fan: user_set_active(user=popular, active=False),
}


@pytest.mark.parametrize("writer", WRITERS_OF_THE_ACCOUNT)
@pytest.mark.parametrize("interaction", SHARED_INTERACTIONS)
def test_a_write_of_the_account_waits_for_an_interaction_holding_its_row_shared(
    monkeypatch, interaction, writer
):
    """Held right after it took the popular account's row shared, an interaction is waited for
    by a block, suspension or deactivation of that account, which then sees it: no deadlock,
    and every counter equals its rows."""
    module, name, interact = SHARED_INTERACTIONS[interaction]
    popular, fan = UserFactory(username="popular"), UserFactory()
    tweet = TweetFactory(author=popular)
    paused, resume = pause_in(monkeypatch, module, name)
    finished = []

    def held():
        interact(fan, tweet)
        finished.append("interaction")

    def write():
        WRITERS_OF_THE_ACCOUNT[writer](popular, fan)
        finished.append("write")

    def write_waiting():
        wait_until(lambda: lock_waits() > 0, seconds=5)
        assert finished == []

    retried = deadlock_retries()
    failures = run_while_held(held, write, paused, resume, during=write_waiting)
    assert failures == []
    assert finished == ["interaction", "write"]
    assert deadlock_retries() == retried
    if interaction == "report" and writer == "suspension":
        assert not Report.objects.filter(status=Report.Status.OPEN).exists()  # resolved
    assert set(services.counters_recount(dry_run=True).values()) == {0}


@pytest.mark.parametrize("interaction", SHARED_INTERACTIONS)
def test_interactions_with_a_popular_account_do_not_queue_on_its_row(monkeypatch, interaction):
    """Held right after it took the popular account's row shared, an interaction does not hold
    up another fan's with the same account (which, taking that row for update, used to wait)."""
    module, name, interact = SHARED_INTERACTIONS[interaction]
    popular = UserFactory(username="popular")
    fan, other_fan = UserFactory.create_batch(2)
    held_tweet, other_tweet = TweetFactory.create_batch(2, author=popular)
    paused, resume = pause_in(monkeypatch, module, name, first_only=True)
    finished = []

    def held():
        interact(fan, held_tweet)
        finished.append("held")

    def other():
        interact(other_fan, other_tweet)
        finished.append("other")

    def other_done_meanwhile():
        wait_until(lambda: finished == ["other"], seconds=5)

    failures = run_while_held(held, other, paused, resume, during=other_done_meanwhile)
    assert failures == []
    assert finished == ["other", "held"]


def test_an_edit_by_a_popular_account_does_not_wait_for_interactions_with_it(monkeypatch):
    """An edit changes no account's row: the popular account's edit (mentioning someone) takes
    its own row shared too, and goes on while a like of its tweet holds that row."""
    popular, fan = UserFactory(username="popular"), UserFactory()
    UserFactory(username="minji")
    liked, edited = TweetFactory.create_batch(2, author=popular)
    paused, resume = pause_in(monkeypatch, likes, "block_check", first_only=True)
    finished = []

    def like():
        services.like_create(user=fan, tweet=liked)
        finished.append("like")

    def edit():
        services.tweet_update(tweet=edited, editor=popular, text="hello @minji")
        finished.append("edit")

    def edit_done_meanwhile():
        wait_until(lambda: finished == ["edit"], seconds=5)

    failures = run_while_held(like, edit, paused, resume, during=edit_done_meanwhile)
    assert failures == []
    assert finished == ["edit", "like"]
    assert Mention.objects.filter(tweet=edited, account__username="minji").exists()


def test_an_edit_locks_its_author_with_the_accounts_it_mentions_in_their_order(monkeypatch):
    """Held between its tweet's lock and its accounts' (while it reads the attachments), an edit
    by a fan mentioning a popular account of a lower id holds no account row: the popular
    account's block of the fan (its row, then the fan's) goes through, and the edit then finds
    it. An edit that took its author's row first, before the mentioned ones, deadlocked here."""
    popular, fan = UserFactory(username="popular"), UserFactory()
    assert popular.pk < fan.pk
    tweet = TweetFactory(author=fan)
    paused, resume = pause_in(monkeypatch, tweet_services, "_attachments_of")
    finished = []

    def edit():
        services.tweet_update(tweet=tweet, editor=fan, text="now @popular")
        finished.append("edit")

    def block():
        services.block_create(blocker=popular, blocked=fan)
        finished.append("block")

    def block_done_meanwhile():
        wait_until(lambda: finished == ["block"], seconds=5)

    retried = deadlock_retries()
    failures = run_while_held(edit, block, paused, resume, during=block_done_meanwhile)
    assert failures == []
    assert finished == ["block", "edit"]
    assert deadlock_retries() == retried
    assert not Mention.objects.filter(tweet=tweet).exists()  # blocked: not mentioned


@pytest.mark.parametrize("reply", [False, True], ids=["post", "reply"])
def test_a_block_made_while_a_mention_is_checked_waits_for_it(monkeypatch, reply):
    """The post is held right after its mentions' block check; a block between the author and
    the mentioned account started then must wait until the post has committed (its mention
    stands, made before the block), never commit in between unseen."""
    author, mentioned = UserFactory(username="poster"), UserFactory(username="minji")
    parent = TweetFactory(author=UserFactory()) if reply else None
    paused, resume = pause_in(monkeypatch, entities, "block_filter")
    finished = []

    def post():
        services.tweet_create(author=author, text="hello @minji", in_reply_to=parent)
        finished.append("post")

    def block():
        services.block_create(blocker=mentioned, blocked=author)
        finished.append("block")

    def nothing_committed():
        assert finished == []

    failures = run_while_held(post, block, paused, resume, during=nothing_committed)
    assert failures == []
    assert finished == ["post", "block"]
    assert Mention.objects.filter(account=mentioned, tweet__author=author).count() == 1


def _reply(author, text, parent):
    return lambda: services.tweet_create(author=author, text=text, in_reply_to=parent)


@pytest.mark.parametrize("scenario", ["edit-vs-delete", "reply-vs-delete", "reply-vs-hide"])
def test_mentioning_the_author_of_a_tweet_being_deleted_or_hidden_does_not_deadlock(
    monkeypatch, scenario
):
    """A post or edit that holds a tweet and then locks the accounts it mentions, against a
    delete or hide that locks tweets and then their author's row: both lock tweets first, so
    they queue. The mentioning write is held just before it locks the accounts while the other
    starts; then both must succeed."""
    alice, bob, carol = (UserFactory(username=name) for name in ("alice", "bobby", "carol"))
    original = TweetFactory(author=alice, text="first")
    answer = services.tweet_create(author=bob, text="@alice agreed", in_reply_to=original)
    paused, resume = pause_in(monkeypatch, entities, "users_lock", before=True)
    if scenario == "edit-vs-delete":
        mentioning = lambda: services.tweet_update(  # noqa: E731
            tweet=answer, editor=bob, text="@alice agreed, edited"
        )
        other = lambda: services.tweet_delete(tweet=original, actor=alice)  # noqa: E731
    elif scenario == "reply-vs-delete":
        mentioning = _reply(carol, "@alice @bobby hi", answer)
        other = lambda: services.tweet_delete(tweet=original, actor=alice)  # noqa: E731
    else:  # Alice's own reply to the thread is hidden while Carol answers the same tweet
        own = services.tweet_create(author=alice, text="more", in_reply_to=original)
        mentioning = _reply(carol, "@alice hi", original)
        other = lambda: services.tweet_set_hidden(  # noqa: E731
            tweet=own, hidden=True, moderator=UserFactory(is_staff=True), reason="test"
        )
    assert run_while_held(mentioning, other, paused, resume) == []
    assert set(services.counters_recount(dry_run=True).values()) == {0}
