"""Likes: idempotent like and unlike, with the tweet's like counter kept in step.

Both writes change the tweet's row first: that row lock orders them against a concurrent delete
of the tweet, so a like either lands before the delete (and goes with it) or finds the tweet gone.
A like then checks for blocks under both accounts' locks (``block_check``, shared: likes of one
author's tweets do not queue on the author's row), so a block racing it either is seen or waits
until the like has committed.

The statement that changes the count also reads it back into the ``tweet`` passed in, so that an
answer showing the tweet needs no second read (its copy in the cache is out of date by then).
"""

from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.http import Http404

from core import stamps
from core.db.retries import deadlock_retried
from tweets.metrics import LIKES
from tweets.models import Like, Notification, Tweet
from tweets.services.blocks import block_check
from tweets.services.notifications import notification_add, notification_remove

User = get_user_model()


@deadlock_retried
def like_create(*, user: User, tweet: Tweet) -> bool:
    """Like a tweet and notify its author. Idempotent: returns False when it was already liked;
    ``Http404`` when the tweet was deleted meanwhile. Refused (403) while the author and the user
    block each other. A new like leaves the count after it in ``tweet.like_count``."""
    try:
        with transaction.atomic():
            count = _like_count_add(tweet.pk, 1)
            if count is None:
                raise Http404("That tweet does not exist.")
            # Shared: a like changes neither account's row (``services.blocks``).
            block_check(actor=user, target_id=tweet.author_id, shared=(user.pk, tweet.author_id))
            Like.objects.create(user=user, tweet=tweet)
            stamps.renew(Tweet, [tweet.pk])
            notification_add(
                kind=Notification.Kind.LIKE, actor=user, recipient_id=tweet.author_id, tweet=tweet
            )
    except IntegrityError:
        return False  # already liked (unique pair); the increment was rolled back with it
    tweet.like_count = count
    LIKES.inc()
    return True


@deadlock_retried
@transaction.atomic
def like_delete(*, user: User, tweet: Tweet) -> bool:
    """Take a like back, and its notification. Idempotent: returns False when there was none.
    A like taken back leaves the count after it in ``tweet.like_count``."""
    if not Tweet.objects.select_for_update(no_key=True).filter(pk=tweet.pk).exists():
        return False
    deleted, _ = Like.objects.filter(user=user, tweet=tweet).delete()
    if deleted:
        # The row is locked: it is there. The like counted only if its account is active.
        tweet.like_count = _like_count_add(tweet.pk, -1, counted_while_active=user.pk)
        stamps.renew(Tweet, [tweet.pk])
        notification_remove(
            kind=Notification.Kind.LIKE, actor=user, recipient_id=tweet.author_id, tweet=tweet
        )
    return bool(deleted)


def _like_count_add(
    tweet_id: int, change: int, *, counted_while_active: int | None = None
) -> int | None:
    """Add ``change`` to the tweet's like count, never below zero, and return the new count;
    None when the tweet is gone. With ``counted_while_active`` (an account's id), only while that
    account is active (not deactivated or suspended meanwhile). One statement, which locks the
    tweet's row until the transaction ends."""
    counted, params = "1 = 1", []
    if counted_while_active is not None:
        counted = (
            f"EXISTS (SELECT 1 FROM {User._meta.db_table} u "
            "WHERE u.id = %s AND u.is_active AND NOT u.is_suspended)"
        )
        params = [counted_while_active]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Tweet._meta.db_table} SET like_count = CASE "
            f"WHEN NOT {counted} THEN like_count "
            "WHEN like_count + %s < 0 THEN 0 ELSE like_count + %s END "
            "WHERE id = %s RETURNING like_count",
            [*params, change, change, tweet_id],
        )
        row = cursor.fetchone()
    return row[0] if row else None
