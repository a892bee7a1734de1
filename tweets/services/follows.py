"""Follows: idempotent follow and unfollow, with counters and the follower's timeline kept in
step.

Both writes lock the two user rows first, in ascending id order: two people following or
unfollowing each other at the same moment then queue instead of deadlocking.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F

from core import stamps
from tweets.metrics import FOLLOWS
from tweets.models import Follow, Notification, TimelineEntry, Tweet
from tweets.services.blocks import block_check, users_lock
from tweets.services.notifications import notification_add, notification_remove
from tweets.services.timelines import timeline_backfill

User = get_user_model()


def follow_create(*, follower: User, followee: User) -> bool:
    """Follow someone; their recent tweets enter the follower's timeline and they are notified.
    Idempotent. Refused (403) while either has blocked the other."""
    if follower.pk == followee.pk:
        raise ValidationError({"detail": ["You cannot follow yourself."]})
    try:
        with transaction.atomic():
            # Locks both accounts first (as a block does), so a concurrent block is seen here.
            block_check(actor=follower, target_id=followee.pk)
            follow = Follow.objects.create(follower=follower, followee=followee)
            User.objects.filter(pk=follower.pk).update(following_count=F("following_count") + 1)
            User.objects.filter(pk=followee.pk).update(followers_count=F("followers_count") + 1)
            stamps.renew(User, [follower.pk, followee.pk])
            timeline_backfill(owner=follower, follow=follow)
            notification_add(
                kind=Notification.Kind.FOLLOW, actor=follower, recipient_id=followee.pk
            )
    except IntegrityError:
        return False
    FOLLOWS.inc()
    return True


@transaction.atomic
def follow_delete(*, follower: User, followee: User) -> bool:
    """Unfollow; their tweets leave the follower's timeline, the follow's notification goes.
    Idempotent."""
    users_lock(follower.pk, followee.pk)
    deleted, _ = Follow.objects.filter(follower=follower, followee=followee).delete()
    if not deleted:
        return False
    User.objects.filter(pk=follower.pk, following_count__gt=0).update(
        following_count=F("following_count") - 1
    )
    User.objects.filter(pk=followee.pk, followers_count__gt=0).update(
        followers_count=F("followers_count") - 1
    )
    stamps.renew(User, [follower.pk, followee.pk])
    TimelineEntry.objects.filter(
        owner=follower, tweet__in=Tweet.objects.filter(author=followee).values("pk")
    ).delete()
    notification_remove(kind=Notification.Kind.FOLLOW, actor=follower, recipient_id=followee.pk)
    return True
