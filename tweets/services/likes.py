"""Likes: idempotent like and unlike, with the tweet's like counter kept in step."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F

from tweets.metrics import LIKES
from tweets.models import Like, Tweet

User = get_user_model()


def like_create(*, user: User, tweet: Tweet) -> bool:
    """Like a tweet. Idempotent: returns False when it was already liked."""
    try:
        with transaction.atomic():
            Like.objects.create(user=user, tweet=tweet)
            Tweet.objects.filter(pk=tweet.pk).update(like_count=F("like_count") + 1)
    except IntegrityError:
        # Already liked (unique pair), or the tweet was deleted meanwhile.
        if not Tweet.objects.filter(pk=tweet.pk).exists():
            raise ValidationError({"tweet": ["That tweet does not exist."]}) from None
        return False
    LIKES.inc()
    return True


@transaction.atomic
def like_delete(*, user: User, tweet: Tweet) -> bool:
    """Take a like back. Idempotent: returns False when there was none."""
    deleted, _ = Like.objects.filter(user=user, tweet=tweet).delete()
    if deleted:
        Tweet.objects.filter(pk=tweet.pk, like_count__gt=0).update(like_count=F("like_count") - 1)
    return bool(deleted)
