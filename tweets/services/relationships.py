"""Blocks and mutes: who may interact with whom, and whom a reader does not want to hear from.

Blocking removes follows both ways (counters and timelines follow) and from then on
``block_check`` refuses every interaction between the two; both disappear from each other's lists
at read time. Muting changes no rows but the mute itself: reads leave the muted account out.
"""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.db.retries import deadlock_retried
from tweets.models import Block, Mute
from tweets.services.blocks import users_lock
from tweets.services.follows import follow_delete

User = get_user_model()

MAX_MUTE_SECONDS = 100 * 365 * 24 * 3600


@deadlock_retried
@transaction.atomic
def block_create(*, blocker: User, blocked: User) -> bool:
    """Block an account: follows between the two are removed in both directions, and neither can
    interact with the other until the block is lifted. Idempotent: False when already blocked."""
    if blocker.pk == blocked.pk:
        raise ValidationError({"detail": ["You cannot block yourself."]})
    # The same locks a follow takes: a follow racing this block either lands first (and is
    # removed below) or waits and then sees the block.
    users_lock(blocker.pk, blocked.pk)
    _, created = Block.objects.get_or_create(blocker=blocker, blocked=blocked)
    follow_delete(follower=blocker, followee=blocked)
    follow_delete(follower=blocked, followee=blocker)
    return created


@transaction.atomic
def block_delete(*, blocker: User, blocked: User) -> bool:
    """Lift a block (follows are not restored). Idempotent: False when there was none."""
    deleted, _ = Block.objects.filter(blocker=blocker, blocked=blocked).delete()
    return bool(deleted)


@transaction.atomic
def mute_create(
    *, muter: User, muted: User, duration: int | None = None, notifications: bool = True
) -> None:
    """Mute an account for ``duration`` seconds (``None`` or 0: until unmuted), also hiding its
    notifications unless ``notifications`` is False. Muting again replaces the duration and the
    flag. The muted account is not told."""
    if muter.pk == muted.pk:
        raise ValidationError({"detail": ["You cannot mute yourself."]})
    if duration is not None and not 0 <= duration <= MAX_MUTE_SECONDS:
        raise ValidationError(
            {"duration": [f"Give a number of seconds from 0 (no end) to {MAX_MUTE_SECONDS}."]}
        )
    expires_at = timezone.now() + timedelta(seconds=duration) if duration else None
    # One statement (INSERT … ON CONFLICT DO UPDATE): a read then a write could find no row,
    # lose the insert to a mute sent at the same moment, then find that one unmuted meanwhile.
    Mute.objects.bulk_create(
        [Mute(muter=muter, muted=muted, notifications=notifications, expires_at=expires_at)],
        update_conflicts=True,
        unique_fields=["muter", "muted"],
        update_fields=["notifications", "expires_at"],
    )


@transaction.atomic
def mute_delete(*, muter: User, muted: User) -> bool:
    """Unmute. Idempotent: False when there was no mute."""
    deleted, _ = Mute.objects.filter(muter=muter, muted=muted).delete()
    return bool(deleted)


def mutes_expired_purge(*, batch_size: int = 1000) -> int:
    """Delete mutes whose end has passed (reads already ignore them), in batches of short
    transactions; returns how many were deleted. Idempotent: a second run finds none."""
    deleted = 0
    while True:
        batch = list(
            Mute.objects.filter(expires_at__lte=timezone.now()).values_list("pk", flat=True)[
                :batch_size
            ]
        )
        if not batch:
            return deleted
        deleted += Mute.objects.filter(pk__in=batch, expires_at__lte=timezone.now()).delete()[0]
