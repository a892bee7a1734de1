"""Mentions and hashtags parsed from a tweet's text, stored when it is posted or edited.

The tweet keeps what its JSON shows in ``Tweet.entities`` (with character offsets), so reads never
parse text or join these tables. The rows here are indexes for the queries: who was mentioned
(``Mention``), a tag's timeline (``TweetTag``) and trending tags (``TagUse``).
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from core.text import HASHTAG_MAX_LENGTH
from tweets.models.tweets import Tweet

# The longest hashtag, in code points of its normalized form (longer ones are refused).
TAG_MAX_LENGTH = HASHTAG_MAX_LENGTH
# Trending tags count the uses of the last this many hours; older ``TagUse`` rows are purged.
TRENDING_HOURS = 24


def trending_since() -> datetime:
    """The first hour whose tag uses count towards trending."""
    since = timezone.now() - timedelta(hours=TRENDING_HOURS)
    return since.replace(minute=0, second=0, microsecond=0)


class Mention(models.Model):
    """An account mentioned in a tweet (``@username``), once per tweet however often named."""

    tweet = models.ForeignKey(Tweet, on_delete=models.CASCADE, related_name="+", db_index=False)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tweet", "account"], name="mention_once")]
        indexes = [models.Index(fields=["account", "-tweet"], name="mention_account_tweet")]

    def __str__(self):
        return f"{self.account_id} mentioned in {self.tweet_id}"


class TweetTag(models.Model):
    """A hashtag of a tweet, by its normalized name. The (tag, tweet) index serves the tag's
    timeline as one range scan, newest first."""

    tag = models.CharField(max_length=TAG_MAX_LENGTH)
    tweet = models.ForeignKey(Tweet, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tag", "tweet"], name="tweet_tag_once")]

    def __str__(self):
        return f"#{self.tag} on {self.tweet_id}"


class TagUse(models.Model):
    """That an account used a tag in some hour: one row per (tag, hour, account), written with
    the tweet. Trending tags count distinct accounts over the last day's rows, so the query reads
    a day of these small rows, never the tweets, and one account cannot trend a tag alone. Rows
    older than that are purged hourly (``tag_uses_purge``)."""

    tag = models.CharField(max_length=TAG_MAX_LENGTH)
    hour = models.DateTimeField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tag", "hour", "author"], name="tag_use_once")
        ]
        indexes = [models.Index(fields=["hour"], name="tag_use_hour")]

    def __str__(self):
        return f"#{self.tag} by {self.author_id} at {self.hour:%Y-%m-%d %H}h"
