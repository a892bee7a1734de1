"""Likes: idempotent like and unlike, with the tweet's like counter kept in step.

Both writes change the tweet's row first: that row lock orders them against a concurrent delete
of the tweet, so a like either lands before the delete (and goes with it) or finds the tweet gone.
A like then checks for blocks under both accounts' locks (``block_check``), so a block racing it
either is seen or waits until the like has committed.
"""

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import Http404

from core import stamps
from tweets.metrics import LIKES
from tweets.models import Like, Notification, Tweet
from tweets.services.blocks import block_check
from tweets.services.notifications import notification_add, notification_remove

User = get_user_model()


def like_create(*, user: User, tweet: Tweet) -> bool:
    """Like a tweet and notify its author. Idempotent: returns False when it was already liked;
    ``Http404`` when the tweet was deleted meanwhile. Refused (403) while the author and the user
    block each other."""
    try:
        with transaction.atomic():
            if not Tweet.objects.filter(pk=tweet.pk).update(like_count=F("like_count") + 1):
                raise Http404("That tweet does not exist.")
            block_check(actor=user, target_id=tweet.author_id)
            Like.objects.create(user=user, tweet=tweet)
            stamps.renew(Tweet, [tweet.pk])
            notification_add(
                kind=Notification.Kind.LIKE, actor=user, recipient_id=tweet.author_id, tweet=tweet
            )
    except IntegrityError:
        return False  # already liked (unique pair); the increment was rolled back with it
    LIKES.inc()
    return True


@transaction.atomic
def like_delete(*, user: User, tweet: Tweet) -> bool:
    """Take a like back, and its notification. Idempotent: returns False when there was none."""
    if not Tweet.objects.select_for_update(no_key=True).filter(pk=tweet.pk).exists():
        return False
    deleted, _ = Like.objects.filter(user=user, tweet=tweet).delete()
    if deleted:
        Tweet.objects.filter(pk=tweet.pk, like_count__gt=0).update(like_count=F("like_count") - 1)
        stamps.renew(Tweet, [tweet.pk])
        notification_remove(
            kind=Notification.Kind.LIKE, actor=user, recipient_id=tweet.author_id, tweet=tweet
        )
    return bool(deleted)
