"""Timeline fan-out and follow backfill as background tasks: sent after commit, split into batches
of followers, idempotent, and kept in the outbox until they are done.

(A real Celery worker and Redis, with the worker killed mid-fan-out, run in the end-to-end test
``minitter/tests/test_e2e_workers.py``.)"""

from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerUnavailable

from accounts.tests.factories import UserFactory
from core.testing import API
from tweets import services, tasks
from tweets.models import TimelineEntry, TimelineWork
from tweets.services import timelines
from tweets.services.timelines import (
    timeline_fan_out_batch,
    timeline_fan_out_plan,
    timeline_work_resend,
)
from tweets.tests.factories import follow

pytestmark = pytest.mark.django_db


def owners_of(tweet_id) -> list[int]:
    return sorted(
        TimelineEntry.objects.filter(tweet_id=tweet_id).values_list("owner_id", flat=True)
    )


@contextmanager
def batches_held(monkeypatch):
    """Fan-out batches sent to the broker are collected in the list yielded instead of running."""
    sent = []
    with monkeypatch.context() as broker:
        broker.setattr(
            tasks.timeline_fan_out_batch, "apply_async", lambda kwargs: sent.append(kwargs)
        )
        yield sent


@pytest.fixture
def author_with_followers():
    author = UserFactory()
    followers = [UserFactory() for _ in range(5)]
    for reader in followers:
        follow(reader, author)
    author.refresh_from_db()
    return author, followers


def test_fan_out_runs_in_batches_and_every_follower_gets_one_entry(settings, author_with_followers):
    settings.TIMELINE_FANOUT_BATCH_SIZE = 2
    author, followers = author_with_followers
    tweet = services.tweet_create(author=author, text="to five followers")

    assert owners_of(tweet.pk) == sorted([author.pk, *(reader.pk for reader in followers)])
    assert not TimelineWork.objects.exists()
    # A redelivered plan finds nothing owed, and a batch run again adds nothing.
    assert timeline_fan_out_plan(tweet_id=tweet.pk) == 0
    assert timeline_fan_out_batch(tweet_id=tweet.pk, first_follow_id=0, next_follow_id=None) == 0
    assert len(owners_of(tweet.pk)) == 6


def test_followers_in_one_batch_are_served_by_the_plan_without_a_batch_task(
    settings, monkeypatch, author_with_followers
):
    settings.TIMELINE_FANOUT_BATCH_SIZE = 5
    author, followers = author_with_followers
    with batches_held(monkeypatch) as sent:
        tweet = services.tweet_create(author=author, text="to five followers at once")
        assert sent == []
        assert owners_of(tweet.pk) == sorted([author.pk, *(reader.pk for reader in followers)])
        assert not TimelineWork.objects.exists()
        # One follower more makes two batches, sent as tasks.
        follow(UserFactory(), author)
        second = services.tweet_create(author=author, text="to six followers")
        assert len(sent) == 2
        assert TimelineWork.objects.get(object_id=second.pk).batches_left == 2


def test_a_follower_outside_the_single_batch_keeps_the_row_until_the_resend_serves_them(
    monkeypatch, author_with_followers
):
    """A follow that commits just after the plan looked, with a lower id than the first follower
    it found missing, is outside the batch's range."""
    author, followers = author_with_followers
    found_missing = timelines._fan_out_missing
    looks = []

    def first_follow_not_yet_committed(tweet_id, limit=None):
        missing = found_missing(tweet_id, limit)
        looks.append(limit)
        return missing[1:] if len(looks) == 1 else missing

    monkeypatch.setattr(timelines, "_fan_out_missing", first_follow_not_yet_committed)
    tweet = services.tweet_create(author=author, text="one follower late")
    monkeypatch.undo()
    assert len(owners_of(tweet.pk)) == 5
    assert TimelineWork.objects.filter(object_id=tweet.pk).exists()

    assert timeline_work_resend(older_than=timedelta(0)) == 0
    assert owners_of(tweet.pk) == sorted([author.pk, *(reader.pk for reader in followers)])


def test_a_lost_batch_keeps_the_outbox_row_until_the_resend_serves_the_rest(
    settings, monkeypatch, author_with_followers
):
    """A worker killed at the wrong moment can lose a message it had taken from Redis and not yet
    recorded as unacknowledged; the outbox row then outlives the batches and is sent again."""
    settings.TIMELINE_FANOUT_BATCH_SIZE = 2
    author, followers = author_with_followers
    with batches_held(monkeypatch) as sent:
        tweet = services.tweet_create(author=author, text="one batch lost")
    assert len(sent) == 3
    first, _, last = sent
    for batch in (first, last, first):  # the first one delivered twice, the second never
        timeline_fan_out_batch(**batch)
    work = TimelineWork.objects.get(object_id=tweet.pk)
    assert work.batches_left == 0  # counted down, but two followers still lack the tweet
    assert len(owners_of(tweet.pk)) == 4

    assert timeline_work_resend(older_than=timedelta(0)) == 0
    assert owners_of(tweet.pk) == sorted([author.pk, *(reader.pk for reader in followers)])
    assert not TimelineWork.objects.exists()


def test_a_finished_fan_out_whose_row_stayed_is_closed_without_sending_again(
    settings, monkeypatch, author_with_followers
):
    settings.TIMELINE_FANOUT_BATCH_SIZE = 2
    author, _ = author_with_followers
    with batches_held(monkeypatch) as sent:
        tweet = services.tweet_create(author=author, text="all served")
        # Every follower served, but the count never reached zero (a worker died after a
        # batch's insert, before it counted).
        timeline_fan_out_batch(tweet_id=tweet.pk, first_follow_id=0, next_follow_id=None)
        work = TimelineWork.objects.filter(object_id=tweet.pk)
        assert work.get().batches_left == 2
        sent.clear()
        # Batches in flight are given the visibility timeout to come back before a new plan.
        settings.CELERY_VISIBILITY_TIMEOUT = 300
        work.update(attempted_at=timezone.now() - timedelta(seconds=200))
        assert timeline_work_resend(older_than=timedelta(seconds=60)) == 1
        work.update(attempted_at=timezone.now() - timedelta(seconds=400))
        assert timeline_work_resend(older_than=timedelta(seconds=60)) == 0
    assert sent == []
    assert len(owners_of(tweet.pk)) == 6


def test_a_batch_for_a_deleted_tweet_adds_nothing(author_with_followers):
    author, _ = author_with_followers
    tweet = services.tweet_create(author=author, text="soon gone")
    tweet_id = tweet.pk
    services.tweet_delete(tweet=tweet, actor=author)
    assert timeline_fan_out_batch(tweet_id=tweet_id, first_follow_id=0, next_follow_id=None) == 0
    assert owners_of(tweet_id) == []


@pytest.mark.tasks_after_commit
def test_posting_answers_before_the_fan_out_runs(
    auth_client, author_with_followers, django_capture_on_commit_callbacks
):
    author, _ = author_with_followers
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = auth_client(author).post(f"{API}/tweets", {"text": "later"}, format="json")
    assert response.status_code == 201
    tweet_id = int(response.json()["id"])
    assert owners_of(tweet_id) == [author.pk]  # the author sees it at once
    for callback in callbacks:
        callback()
    assert len(owners_of(tweet_id)) == 6


def test_an_unreachable_broker_keeps_the_fan_out_in_the_outbox_until_resent(
    auth_client, monkeypatch, author_with_followers
):
    author, _ = author_with_followers

    def refuse(*args, **kwargs):
        raise BrokerUnavailable("broker down")

    with monkeypatch.context() as broker_down:
        broker_down.setattr(tasks.timeline_fan_out_plan, "apply_async", refuse)
        response = auth_client(author).post(f"{API}/tweets", {"text": "kept"}, format="json")
        assert response.status_code == 201
        tweet_id = int(response.json()["id"])
        assert owners_of(tweet_id) == [author.pk]
        assert list(TimelineWork.objects.values_list("kind", "object_id")) == [
            ("fan_out", tweet_id)
        ]
        # While the broker is down, re-sending fails again and keeps the row.
        assert timeline_work_resend(older_than=timedelta(0)) == 1

    assert timeline_work_resend(older_than=timedelta(0)) == 0
    assert len(owners_of(tweet_id)) == 6


def test_recent_outbox_rows_are_left_to_their_first_send():
    TimelineWork.objects.create(kind=TimelineWork.Kind.FAN_OUT, object_id=1)
    assert timeline_work_resend(older_than=timedelta(minutes=1)) == 1


def test_follow_backfill_runs_as_a_task_and_an_unfollow_first_leaves_nothing(
    author_with_followers,
):
    author, _ = author_with_followers
    services.tweet_create(author=author, text="before the follow")
    newcomer = UserFactory()
    services.follow_create(follower=newcomer, followee=author)
    assert TimelineEntry.objects.filter(owner=newcomer).count() == 1
    assert not TimelineWork.objects.exists()

    services.follow_delete(follower=newcomer, followee=author)
    assert tasks.timeline_backfill.delay(follow_id=123456789).get() == 0
    assert not TimelineEntry.objects.filter(owner=newcomer).exists()
