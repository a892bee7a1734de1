"""Tweets, likes, follows and the precomputed home timeline.

See docs/architecture.md for the timeline design (fan-out on write, with read-time merging for
authors with very many followers).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from tweets.ids import next_id


def attachments_prefetch() -> models.Prefetch:
    """Attachments in display order with their media rows: one query for a whole page."""
    return models.Prefetch(
        "attachments", queryset=TweetMedia.objects.select_related("media").order_by("position")
    )


class TweetQuerySet(models.QuerySet):
    def visible(self):
        """Tweets anyone may see (the rule every public read goes through)."""
        return self.filter(author__is_active=True)

    def with_author(self):
        """With what a tweet's JSON needs: the author and avatar joined, media prefetched."""
        return self.select_related("author__avatar").prefetch_related(attachments_prefetch())


class Tweet(models.Model):
    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    # Foreign-key indexes are left out where a composite index below starts with the same column.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tweets", db_index=False
    )
    text = models.TextField()
    in_reply_to = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replies",
        db_index=False,
    )
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    reply_count = models.PositiveIntegerField(default=0)
    like_count = models.PositiveIntegerField(default=0)
    # False when the author had too many followers to fan out to: merged into timelines at read.
    fanned_out = models.BooleanField(default=True)

    objects = TweetQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["author", "-id"], name="tweet_author_id"),
            models.Index(fields=["in_reply_to", "id"], name="tweet_reply_id"),
            models.Index(
                fields=["author", "-id"],
                name="tweet_unfanned_author_id",
                condition=Q(fanned_out=False),
            ),
        ]

    def __str__(self):
        return f"{self.author_id}: {self.text[:50]}"


class TweetMedia(models.Model):
    """An upload attached to a tweet, in display order. An upload belongs to one tweet only."""

    tweet = models.ForeignKey(
        Tweet, on_delete=models.CASCADE, related_name="attachments", db_index=False
    )
    media = models.OneToOneField("media.MediaFile", on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tweet", "position"], name="tweet_media_position")
        ]

    def __str__(self):
        return f"media {self.media_id} of tweet {self.tweet_id}"


class Like(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    tweet = models.ForeignKey(Tweet, on_delete=models.CASCADE, related_name="likes", db_index=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "tweet"], name="like_once")]
        indexes = [models.Index(fields=["tweet", "-id"], name="like_tweet_id")]

    def __str__(self):
        return f"{self.user_id} likes {self.tweet_id}"


class Follow(models.Model):
    follower = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    followee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["follower", "followee"], name="follow_once"),
            models.CheckConstraint(
                condition=~Q(follower=models.F("followee")), name="follow_not_self"
            ),
        ]
        indexes = [
            models.Index(fields=["followee", "-id"], name="follow_followee_id"),
            models.Index(fields=["follower", "-id"], name="follow_follower_id"),
        ]

    def __str__(self):
        return f"{self.follower_id} follows {self.followee_id}"


class TimelineEntry(models.Model):
    """One tweet in one reader's home timeline; the (owner, tweet) index serves every page."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    tweet = models.ForeignKey(Tweet, on_delete=models.CASCADE, related_name="+")

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
