"""Home timelines: fan-out on write, backfill on follow, and rebuild from tweets and follows.

The author's own entry is written with the tweet; the followers' entries and a follow's backfill
are background tasks (``tweets/tasks.py``) sent after commit, recorded in the same transaction as
``TimelineWork`` rows (the outbox) so that a broker that is down delays them but never loses them.
A tweet's fan-out is split into batches of ``TIMELINE_FANOUT_BATCH_SIZE`` followers, each one
short, idempotent ``INSERT ... SELECT``. See docs/architecture.md and docs/scaling.md.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from core.ids import id_floor
from core.tasks import enqueue, send
from tweets.models import Broadcaster, Follow, TimelineEntry, TimelineWork, Tweet

User = get_user_model()


class TimelineWorkNotSent(Exception):
    """The broker refused part of a fan-out; its outbox row stays and is sent again later."""


def timeline_fans_out(author: User) -> bool:
    """The one rule for who is fanned out on write: authors with at most
    TIMELINE_FANOUT_MAX_FOLLOWERS followers. Tweets of the others are merged in at read time."""
    return author.followers_count <= settings.TIMELINE_FANOUT_MAX_FOLLOWERS


def timeline_fan_out(tweet: Tweet) -> None:
    """Call in the tweet's transaction (tweets and reposts alike): the author's entry now, the
    followers' entries by background tasks once it commits (unless the tweet is merged at read
    time instead: ``tweet.fanned_out`` false)."""
    TimelineEntry.objects.create(owner_id=tweet.author_id, tweet=tweet)
    if not tweet.fanned_out:
        Broadcaster.objects.get_or_create(user_id=tweet.author_id)
        return
    TimelineWork.objects.create(kind=TimelineWork.Kind.FAN_OUT, object_id=tweet.pk)
    from tweets import tasks

    enqueue(tasks.timeline_fan_out_plan, tweet_id=tweet.pk)


def timeline_fan_out_plan(*, tweet_id: int) -> int:
    """Split a tweet's fan-out into batches of followers (by follow id) and send one task per
    batch; then its outbox row goes. Idempotent: running it again sends the same batches, whose
    inserts skip entries that exist. Returns the number of batches."""
    from tweets import tasks

    work = TimelineWork.objects.filter(kind=TimelineWork.Kind.FAN_OUT, object_id=tweet_id)
    author_id = Tweet.objects.filter(pk=tweet_id).values_list("author_id", flat=True).first()
    starts = []
    if author_id is not None:
        follows = Follow.objects.filter(followee_id=author_id).order_by("pk")
        follow_ids = list(follows.values_list("pk", flat=True))
        starts = follow_ids[:: settings.TIMELINE_FANOUT_BATCH_SIZE]
    for number, first in enumerate(starts):
        following = starts[number + 1] if number + 1 < len(starts) else None
        batch = {"tweet_id": tweet_id, "first_follow_id": first, "next_follow_id": following}
        if not send(tasks.timeline_fan_out_batch, batch):
            raise TimelineWorkNotSent(f"fan-out of tweet {tweet_id}")
    work.delete()
    return len(starts)


def timeline_fan_out_batch(
    *, tweet_id: int, first_follow_id: int, next_follow_id: int | None
) -> int:
    """Put a tweet into the timelines of its author's followers whose follow id is in
    [first_follow_id, next_follow_id): one INSERT ... SELECT, no rows in Python. Idempotent
    (existing entries are skipped); nothing for a tweet deleted meanwhile. Returns rows added."""
    entries = TimelineEntry._meta.db_table
    follows = Follow._meta.db_table
    tweets = Tweet._meta.db_table
    upper = "AND f.id < %s" if next_follow_id is not None else ""
    params = [tweet_id, first_follow_id] + ([next_follow_id] if next_follow_id is not None else [])
    # The tweet's row is share-locked (edits and counters still pass): a delete in progress is
    # waited for and then nothing is added, and a delete that starts later waits for these rows
    # and removes them. Without it the entries could outlive their tweet (no FK constraint).
    lock = "FOR KEY SHARE OF t" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(
            # Table names come from our models.
            f"INSERT INTO {entries} (owner_id, tweet_id) "
            f"SELECT f.follower_id, t.id FROM {follows} f "
            f"JOIN {tweets} t ON t.author_id = f.followee_id "
            f"WHERE t.id = %s AND f.id >= %s {upper} {lock} "
            f"ON CONFLICT DO NOTHING",
            params,
        )
        return cursor.rowcount


def _followed_tweet_ids(follow: Follow) -> list[int]:
    """The one rule for what a follow puts into the follower's timeline: the followee's fanned-out
    tweets of the TIMELINE_BACKFILL_DAYS before the follow (at most TIMELINE_BACKFILL_MAX), and
    every fanned-out tweet of theirs since."""
    followed_at = id_floor(follow.created_at)
    fanned_out = Tweet.objects.filter(author_id=follow.followee_id, fanned_out=True)
    window_start = id_floor(follow.created_at - timedelta(days=settings.TIMELINE_BACKFILL_DAYS))
    before = fanned_out.filter(pk__gte=window_start, pk__lt=followed_at).order_by("-pk")
    since = fanned_out.filter(pk__gte=followed_at)
    return [
        *before.values_list("pk", flat=True)[: settings.TIMELINE_BACKFILL_MAX],
        *since.values_list("pk", flat=True),
    ]


def timeline_backfill(*, owner: User, follow: Follow) -> None:
    """Call in the follow's transaction: the followee's recent tweets enter the follower's
    timeline by a background task once it commits."""
    TimelineWork.objects.create(kind=TimelineWork.Kind.BACKFILL, object_id=follow.pk)
    from tweets import tasks

    enqueue(tasks.timeline_backfill, follow_id=follow.pk)


@transaction.atomic
def timeline_backfill_run(*, follow_id: int) -> int:
    """On a follow: the followee's recent tweets enter the follower's timeline (tweets posted
    since the follow too: their own fan-out may have run before the follow committed).
    Idempotent; nothing when the follow is gone. Returns the number of tweets considered."""
    # Locked: an unfollow waits, then removes what this adds.
    follow = Follow.objects.select_for_update().filter(pk=follow_id).first()
    tweet_ids = _followed_tweet_ids(follow) if follow is not None else []
    TimelineEntry.objects.bulk_create(
        [TimelineEntry(owner_id=follow.follower_id, tweet_id=pk) for pk in tweet_ids],
        ignore_conflicts=True,
    )
    TimelineWork.objects.filter(kind=TimelineWork.Kind.BACKFILL, object_id=follow_id).delete()
    return len(tweet_ids)


def timeline_work_resend(*, older_than: timedelta, limit: int = 1000) -> int:
    """Send again the outbox rows (fan-outs, backfills) not done for ``older_than``: their first
    send failed (broker down) or their task is lost. Stops at the first refused send. Returns how
    many rows remain pending."""
    from tweets import tasks

    now = timezone.now()
    cutoff = now - older_than
    stale = TimelineWork.objects.filter(
        Q(attempted_at__lt=cutoff) | Q(attempted_at__isnull=True, created_at__lt=cutoff)
    ).order_by("pk")[:limit]
    for work in stale:
        TimelineWork.objects.filter(pk=work.pk).update(attempted_at=now)
        if work.kind == TimelineWork.Kind.FAN_OUT:
            sent = send(tasks.timeline_fan_out_plan, {"tweet_id": work.object_id})
        else:
            sent = send(tasks.timeline_backfill, {"follow_id": work.object_id})
        if not sent:
            break
    return TimelineWork.objects.count()


@transaction.atomic
def timeline_rebuild(*, owner: User) -> int:
    """Recompute a reader's timeline from tweets and follows; returns the number of entries.

    Gives exactly what the incremental rules maintain: the reader's own tweets, and for each
    follow what ``_followed_tweet_ids`` says.
    """
    tweet_ids = set(Tweet.objects.filter(author=owner).values_list("pk", flat=True))
    for follow in Follow.objects.filter(follower=owner).order_by():
        tweet_ids.update(_followed_tweet_ids(follow))
    TimelineEntry.objects.filter(owner=owner).delete()
    TimelineEntry.objects.bulk_create(
        [TimelineEntry(owner=owner, tweet_id=tweet_id) for tweet_id in sorted(tweet_ids)],
        batch_size=1000,
    )
    return len(tweet_ids)
