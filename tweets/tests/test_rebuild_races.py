"""``rebuild_timelines`` (``timelines_rebuild``) beside live writes, on PostgreSQL: posts and
fan-outs landing in a range being rebuilt, an unfollow, and the hourly trim at the same moment."""

import threading
import time
from functools import partial

from django.db import connection

from accounts.tests.factories import UserFactory
from core.testing import API
from core.testing.races import (
    deadlock_retries,
    pause_in,
    race,
    race_tests,
    run_while_held,
    run_while_held_until_done,
)
from tweets.models import Follow, TimelineEntry
from tweets.services import timelines
from tweets.tests.factories import TweetFactory, follow

pytestmark = race_tests


def rebuild(owner) -> int:
    return timelines.timelines_rebuild(owner_ids=[owner.pk])


def test_a_post_landing_in_a_range_being_rebuilt_is_kept(monkeypatch, auth_client):
    """The owner posts after the range's entries were deleted and before they are written again:
    the rebuild writes the same entry, and keeps the one the post wrote."""
    owner, star = UserFactory(), UserFactory()
    follow(owner, star)
    TweetFactory(author=star)
    answers = {}
    paused, resume = pause_in(monkeypatch, timelines, "_followed_tweets_sql", before=True)

    def post():
        answers["post"] = auth_client(owner).post(f"{API}/tweets", {"text": "hi"}, format="json")

    assert run_while_held_until_done(partial(rebuild, owner), post, paused, resume) == []
    assert answers["post"].status_code == 201
    assert TimelineEntry.objects.filter(owner=owner).count() == 2


def test_an_unfollow_during_a_rebuild_leaves_none_of_the_unfollowed_tweets(
    monkeypatch, auth_client
):
    owner, star = UserFactory(), UserFactory()
    follow(owner, star)
    TweetFactory.create_batch(3, author=star)
    answers = {}
    paused, resume = pause_in(monkeypatch, timelines, "_followed_tweets_sql", before=True)

    def unfollow():
        answers["unfollow"] = auth_client(owner).delete(f"{API}/accounts/{star.username}/follow")

    assert run_while_held(partial(rebuild, owner), unfollow, paused, resume) == []
    assert answers["unfollow"].status_code == 204
    assert not Follow.objects.filter(follower=owner).exists()
    assert not TimelineEntry.objects.filter(owner=owner, tweet__author=star).exists()


def test_a_rebuild_and_the_trim_at_once_do_not_deadlock(settings):
    settings.TIMELINE_MAX_ENTRIES = 2
    owner, star = UserFactory(), UserFactory()
    follow(owner, star)
    TweetFactory.create_batch(5, author=star)
    paused, before = threading.Event(), deadlock_retries()

    def pause_after_the_horizons(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.startswith("INSERT INTO") and "horizon" in sql and not paused.is_set():
            paused.set()
            time.sleep(1.0)  # the rebuild starts meanwhile
        return result

    def trim():
        with connection.execute_wrapper(pause_after_the_horizons):
            return timelines.timelines_trim()

    def rebuild_meanwhile():
        paused.wait(10)
        return rebuild(owner)

    done = race(trim, rebuild_meanwhile)
    assert not [outcome for outcome in done if isinstance(outcome, BaseException)]
    assert deadlock_retries() == before
    assert TimelineEntry.objects.filter(owner=owner).count() == 2


def pausing_after(fragment: str, *, seconds: float = 0, until=None):
    """An execute wrapper that stops once, after the first statement containing ``fragment``:
    for ``seconds``, or until the event ``until`` is set. Returns it and the event set when it
    stops."""
    paused = threading.Event()

    def wrapper(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if fragment in sql and not paused.is_set():
            paused.set()
            if until is not None:
                until.wait(10)
            time.sleep(seconds)
        return result

    return wrapper, paused


def test_a_follow_committed_while_a_rebuild_holds_the_owners_follows_keeps_its_entries():
    """The follow (and its backfill) commits between the rebuild's locking read of the follows
    and its delete of the entries: the rebuild reads the follows again and writes them back."""
    owner, star, newer = UserFactory(), UserFactory(), UserFactory()
    follow(owner, star)
    TweetFactory(author=star)
    TweetFactory.create_batch(2, author=newer)
    resume = threading.Event()
    wrapper, paused = pausing_after("FOR NO KEY UPDATE", until=resume)

    def rebuild_pausing():
        with connection.execute_wrapper(wrapper):
            return rebuild(owner)

    def follow_meanwhile():
        paused.wait(10)
        try:
            follow(owner, newer)  # its backfill runs once it commits (tasks run in process)
        finally:
            resume.set()

    done = race(rebuild_pausing, follow_meanwhile)
    assert not [outcome for outcome in done if isinstance(outcome, BaseException)]
    assert TimelineEntry.objects.filter(owner=owner, tweet__author=newer).count() == 2


def test_the_trim_waits_for_a_long_rebuild_range_beyond_the_lock_timeout(settings):
    """The maintenance lock is waited for as long as a range may take, not the 2 s requests
    wait for a lock."""
    owner, star = UserFactory(), UserFactory()
    follow(owner, star)
    TweetFactory.create_batch(2, author=star)
    wrapper, paused = pausing_after(
        "FOR NO KEY UPDATE", seconds=settings.DB_LOCK_TIMEOUT_MS / 1000 + 1
    )

    def rebuild_slowly():
        with connection.execute_wrapper(wrapper):
            return rebuild(owner)

    def trim():
        paused.wait(10)
        return timelines.timelines_trim()

    done = race(rebuild_slowly, trim)
    assert not [outcome for outcome in done if isinstance(outcome, BaseException)]
