"""Bookmarks: tweets a user keeps for later, visible to nobody else."""

from django.conf import settings
from django.db import models

from tweets.models.tweets import Tweet


class Bookmark(models.Model):
    """A tweet bookmarked by a user; the (user, id) index serves their list by bookmark time."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    tweet = models.ForeignKey(Tweet, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "tweet"], name="bookmark_once")]
        indexes = [models.Index(fields=["user", "-id"], name="bookmark_user_id")]

    def __str__(self):
        return f"{self.user_id} bookmarked {self.tweet_id}"
