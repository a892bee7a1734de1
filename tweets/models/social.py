"""What people do to each other and to tweets: likes and follows."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from tweets.models.tweets import Tweet


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
