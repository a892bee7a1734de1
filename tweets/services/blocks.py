"""The one rule for interactions between two accounts: none while either blocks the other.

Every interaction service (follow, like, repost, reply, mention) calls ``block_check`` for one
account or ``block_filter`` for several; reads use ``tweets.models.not_blocked_q``.

``block_check`` first locks both accounts' rows (``users_lock``), the lock a block takes too: a
block that committed before is seen, and one that starts later waits until the interaction has
committed, so no like, repost, reply or follow lands after a block. Call it inside the
interaction's transaction, after locking the tweet it is about (the global order: tweets, then
accounts by ascending id).
"""

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q

from tweets.models import Block

User = get_user_model()


def _blocks_between(actor_id: int, target_ids: list[int]):
    """Blocks in either direction between the actor and any of the targets."""
    return Block.objects.filter(
        Q(blocker_id=actor_id, blocked_id__in=target_ids)
        | Q(blocker_id__in=target_ids, blocked_id=actor_id)
    )


def users_lock(*user_ids: int) -> None:
    """Lock user rows in the one global order (ascending id). Call first in a transaction that
    changes several users' counters or blocks, after any tweet row it locks."""
    rows = User.objects.select_for_update(no_key=True).filter(pk__in=user_ids).order_by("pk")
    list(rows.values_list("pk", flat=True))


def block_check(*, actor: User, target_id: int) -> None:
    """Refuse (403) an interaction of ``actor`` with the account ``target_id`` when either has
    blocked the other. Locks both accounts until the interaction commits (see above)."""
    users_lock(actor.pk, target_id)
    blockers = set(_blocks_between(actor.pk, [target_id]).values_list("blocker_id", flat=True))
    if target_id in blockers:
        raise PermissionDenied("This account has blocked you.")
    if actor.pk in blockers:
        raise PermissionDenied("You have blocked this account; unblock it first.")


def block_filter(*, actor: User, target_ids: Iterable[int]) -> set[int]:
    """Of ``target_ids``, the accounts ``actor`` may interact with (no block either way): the
    same rule as ``block_check``, for many accounts at once (mentions)."""
    target_ids = list(target_ids)
    if not target_ids:
        return set()
    blocked = _blocks_between(actor.pk, target_ids).values_list("blocker_id", "blocked_id")
    excluded = {account for pair in blocked for account in pair}
    return set(target_ids) - excluded
