"""Home timelines: fan-out on write, backfill on follow, and rebuild from tweets and follows.

See docs/architecture.md for the design (fan-out on write, read-time merge for very large
audiences)."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction

from core.ids import id_floor
from tweets.models import Broadcaster, Follow, TimelineEntry, Tweet

User = get_user_model()


def timeline_fan_out(tweet: Tweet) -> None:
    """Put a new tweet into its author's timeline and, unless the author has more followers than
    TIMELINE_FANOUT_MAX_FOLLOWERS, into every follower's: one INSERT ... SELECT, no rows in Python.
    """
    TimelineEntry.objects.create(owner_id=tweet.author_id, tweet=tweet)
    if not tweet.fanned_out:
        Broadcaster.objects.get_or_create(user_id=tweet.author_id)
        return
    entries = TimelineEntry._meta.db_table
    follows = Follow._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {entries} (owner_id, tweet_id) "  # table names come from our models
            f"SELECT follower_id, %s FROM {follows} WHERE followee_id = %s",
            [tweet.pk, tweet.author_id],
        )


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
    """On a follow: the followee's recent tweets enter the follower's timeline. (Tweets posted
    since are fanned out by their own transactions; any that committed already are added too.)"""
    TimelineEntry.objects.bulk_create(
        [TimelineEntry(owner=owner, tweet_id=pk) for pk in _followed_tweet_ids(follow)],
        ignore_conflicts=True,
    )


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
