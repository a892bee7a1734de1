"""Notifications: someone followed you, liked, reposted or replied to your tweet, or mentioned
you; and each account's read marker.

A notification is written in the same transaction as the event and deleted when the event is
undone (or with the tweet it is about), so it always matches a row that exists. Ids are
time-ordered like tweet ids, so the newest-first list is a range scan of (recipient, id).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.ids import next_id
from tweets.models.tweets import Tweet


class Notification(models.Model):
    class Kind(models.TextChoices):
        FOLLOW = "follow"
        LIKE = "like"
        REPOST = "repost"
        REPLY = "reply"
        MENTION = "mention"

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # The tweet it is about: the liked or reposted tweet, the reply, the mentioning tweet.
    tweet = models.ForeignKey(
        Tweet, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # One notification per event; also the index that finds it again when it is undone.
            models.UniqueConstraint(
                fields=["actor", "kind", "tweet", "recipient"], name="notification_once"
            ),
            models.UniqueConstraint(
                fields=["actor", "recipient"],
                condition=Q(kind="follow"),
                name="notification_follow_once",
            ),
            models.CheckConstraint(
                condition=Q(kind="follow", tweet__isnull=True)
                | (~Q(kind="follow") & Q(tweet__isnull=False)),
                name="notification_tweet_unless_follow",
            ),
        ]
        indexes = [models.Index(fields=["recipient", "-id"], name="notification_recipient_id")]

    def __str__(self):
        return f"{self.kind} from {self.actor_id} to {self.recipient_id}"


class NotificationMarker(models.Model):
    """How far an account has read its notifications (Mastodon's ``notifications`` marker)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    last_read_id = models.BigIntegerField(default=0)
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.user_id} read up to {self.last_read_id}"
