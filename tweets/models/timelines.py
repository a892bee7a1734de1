"""The precomputed home timeline (fan-out on write) and the authors merged in at read time.

See docs/architecture.md for the design."""

from django.conf import settings
from django.db import models

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


class Broadcaster(models.Model):
    """An author with tweets that were not fanned out; readers merge those in at read time."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )

    def __str__(self):
        return str(self.user_id)
