"""Notifications: written with the event they report, deleted when it is undone; dismissing,
clearing and the read marker."""

from django.contrib.auth import get_user_model
from django.db import connection, transaction

from tweets.models import Notification, NotificationMarker, Tweet

User = get_user_model()


def notification_add(
    *, kind: str, actor: User, recipient_id: int, tweet: Tweet | None = None
) -> None:
    """Tell ``recipient_id`` that ``actor`` did ``kind`` (to ``tweet``). Nothing for acting on
    your own things. Call it inside the event's transaction."""
    if recipient_id == actor.pk:
        return
    Notification.objects.create(kind=kind, actor=actor, recipient_id=recipient_id, tweet=tweet)


def notification_remove(
    *, kind: str, actor: User, recipient_id: int, tweet: Tweet | None = None
) -> None:
    """The event was undone (unlike, unfollow, unrepost): its notification goes too. Written
    out: Django's deletion machinery cost more than the statement, and nothing refers to a
    notification or listens for its deletion."""
    about = "tweet_id = %s" if tweet is not None else "tweet_id IS NULL"
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {Notification._meta.db_table} "
            f"WHERE recipient_id = %s AND actor_id = %s AND kind = %s AND {about}",
            [recipient_id, actor.pk, kind, *([tweet.pk] if tweet is not None else [])],
        )


def notification_dismiss(*, user: User, notification_id: int) -> bool:
    """Delete one of the user's notifications; False when they have none with that id."""
    deleted, _ = Notification.objects.filter(recipient=user, pk=notification_id).delete()
    return bool(deleted)


def notification_clear(*, user: User) -> int:
    """Delete all of the user's notifications; returns how many there were."""
    deleted, _ = Notification.objects.filter(recipient=user).delete()
    return deleted


@transaction.atomic
def notification_marker_set(*, user: User, last_read_id: int) -> NotificationMarker:
    """Record that the user has read their notifications up to ``last_read_id``; each change
    increases the marker's ``version`` (setting it where it is already changes nothing)."""
    marker, created = NotificationMarker.objects.select_for_update().get_or_create(user=user)
    if not created and marker.last_read_id == last_read_id:
        return marker
    marker.last_read_id = last_read_id
    marker.version += 1
    marker.save()
    return marker
