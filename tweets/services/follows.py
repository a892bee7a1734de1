"""Follows: idempotent follow and unfollow, with counters and the follower's timeline kept in
step.

Both writes lock the two user rows first, in ascending id order: two people following or
unfollowing each other at the same moment then queue instead of deadlocking.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from core import stamps
from core.db.retries import deadlock_retried
from tweets.metrics import FOLLOWS
from tweets.models import Follow, Notification, TimelineEntry, Tweet
from tweets.services.blocks import block_check, users_lock
from tweets.services.notifications import notification_add, notification_remove
from tweets.services.timelines import timeline_backfill

User = get_user_model()


@deadlock_retried
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
            _follow_counts_add(follower.pk, followee.pk, following=1, followers=1)
            stamps.renew(User, [follower.pk, followee.pk])
            timeline_backfill(owner=follower, follow=follow)
            notification_add(
                kind=Notification.Kind.FOLLOW, actor=follower, recipient_id=followee.pk
            )
    except IntegrityError:
        return False
    FOLLOWS.inc()
    return True


@deadlock_retried
@transaction.atomic
def follow_delete(*, follower: User, followee: User) -> bool:
    """Unfollow; their tweets leave the follower's timeline, the follow's notification goes.
    Idempotent."""
    active = users_lock(follower.pk, followee.pk)
    deleted, _ = Follow.objects.filter(follower=follower, followee=followee).delete()
    if not deleted:
        return False
    # A follow counts in the followee's followers while the follower is active, and in the
    # follower's followees while the followee is (``tweets.services.counters``).
    _follow_counts_add(
        follower.pk,
        followee.pk,
        following=-1 if followee.pk in active else 0,
        followers=-1 if follower.pk in active else 0,
    )
    stamps.renew(User, [follower.pk, followee.pk])
    TimelineEntry.objects.filter(
        owner=follower, tweet__in=Tweet.objects.filter(author=followee).values("pk")
    ).delete()
    notification_remove(kind=Notification.Kind.FOLLOW, actor=follower, recipient_id=followee.pk)
    return True


def _follow_counts_add(
    follower_id: int, followee_id: int, *, following: int, followers: int
) -> None:
    """Add ``following`` to the follower's following count and ``followers`` to the followee's
    followers count, neither below zero, in one statement: both rows are locked already
    (``users_lock``), and the ORM's two updates cost more to build than to run."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {User._meta.db_table} SET "
            "following_count = CASE WHEN id = %s AND following_count + %s >= 0 "
            "THEN following_count + %s ELSE following_count END, "
            "followers_count = CASE WHEN id = %s AND followers_count + %s >= 0 "
            "THEN followers_count + %s ELSE followers_count END "
            "WHERE id IN (%s, %s)",
            [
                *(follower_id, following, following),
                *(followee_id, followers, followers),
                *(follower_id, followee_id),
            ],
        )
