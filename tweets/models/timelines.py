"""The precomputed home timeline (fan-out on write) and the authors merged in at read time.

See docs/architecture.md for the design."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from tweets.models.tweets import Tweet


class TimelineEntry(models.Model):
    """One tweet in one reader's home timeline; the (owner, tweet) index serves every page.

    Timeline rows are derived data: rebuildable from tweets and follows, always read through a
    join to their tweet, and deleted with it by Django's cascade. So they carry no database-level
    foreign-key constraints, whose deferred checks tripled the cost of fanning out a tweet.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    tweet = models.ForeignKey(
        Tweet, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "tweet"], name="timeline_entry_once")
        ]

    def __str__(self):
        return f"{self.tweet_id} in {self.owner_id}'s timeline"


class TimelineHorizon(models.Model):
    """Where a reader's stored timeline ends: entries older than ``tweet_id`` (the oldest kept)
    were dropped to keep TIMELINE_MAX_ENTRIES, so pages beyond it are read from the tweets."""

    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
        db_constraint=False,
    )
    tweet_id = models.BigIntegerField()

    def __str__(self):
        return f"{self.owner_id}'s timeline from {self.tweet_id}"


class Broadcaster(models.Model):
    """An author with tweets that were not fanned out; readers merge those in at read time."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )

    def __str__(self):
        return str(self.user_id)


class TimelineWork(models.Model):
    """Timeline work owed by a committed write (the outbox): a tweet's fan-out to its followers, or
    a follow's backfill. Written in the same transaction as the tweet or follow, removed once the
    work is done: a backfill when it has run, a fan-out when its last batch finds every follower
    served. A periodic job sends again what is left without progress, so neither a broker that was
    down when the write committed nor a message lost with a killed worker loses the work.
    """

    class Kind(models.TextChoices):
        FAN_OUT = "fan_out", "fan-out of a tweet"
        BACKFILL = "backfill", "backfill of a follow"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    # The tweet's id (fan-out) or the follow's (backfill).
    object_id = models.BigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    # Last sent, or last progress (a fan-out batch done): the periodic job resends after a pause.
    attempted_at = models.DateTimeField(null=True, blank=True)
    # A fan-out's batches sent and not yet done; the one that brings it to 0 checks completeness.
    batches_left = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="timeline_work_once")
        ]

    def __str__(self):
        return f"{self.kind} {self.object_id}"
