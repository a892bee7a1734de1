"""Blocks and mutes between accounts, and the read rules they add to every list they affect.

A block works both ways: neither account sees the other in timelines, replies, likes lists,
notifications or search, and neither can follow, like, repost, reply to or mention the other.
A mute is private to the muter and hides the muted account from the muter's home timeline and,
when asked, notifications; it may expire, and an expired mute simply stops matching.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Block(models.Model):
    blocker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    blocked = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="block_once"),
            models.CheckConstraint(
                condition=~Q(blocker=models.F("blocked")), name="block_not_self"
            ),
        ]
        # "Blocked by" lookups, and the moderators' count of blocks an account received.
        indexes = [models.Index(fields=["blocked", "-id"], name="block_blocked_id")]

    def __str__(self):
        return f"{self.blocker_id} blocks {self.blocked_id}"


class MuteQuerySet(models.QuerySet):
    def active(self):
        """Mutes that still apply: without an end, or ending in the future."""
        return self.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))


def mute_active_sql(at: str = "%s") -> str:
    """``MuteQuerySet.active`` for statements written out: a condition on the mutes table's
    ``expires_at``, whose placeholder ``at`` is for ``mute_now``."""
    return f"(expires_at IS NULL OR expires_at > {at})"


def mute_now(connection):
    """Now, as ``connection`` stores times: the parameter of ``mute_active_sql``."""
    return connection.ops.adapt_datetimefield_value(timezone.now())


class Mute(models.Model):
    muter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    muted = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    # Also hide the muted account's notifications (Mastodon's ``notifications`` flag).
    notifications = models.BooleanField(default=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MuteQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["muter", "muted"], name="mute_once"),
            models.CheckConstraint(condition=~Q(muter=models.F("muted")), name="mute_not_self"),
        ]
        # The periodic purge of ended mutes reads only the few rows that have an end. An account's
        # deletion finds the mutes of it by ``muted`` (``mute_once`` leads with the muter).
        indexes = [
            models.Index(
                fields=["expires_at"], condition=Q(expires_at__isnull=False), name="mute_expiring"
            ),
            models.Index(fields=["muted"], name="mute_muted"),
        ]

    def __str__(self):
        return f"{self.muter_id} mutes {self.muted_id}"


def _signed_in(viewer) -> bool:
    return viewer is not None and viewer.is_authenticated


def not_blocked_q(viewer, path: str) -> Q:
    """The block rule for reads: the account at ``path`` (``"author"``, ``"tweet__author"``) is
    neither blocked by the viewer nor blocking the viewer. Two small subqueries on the block
    table's indexes, whatever the number of rows scanned."""
    if not _signed_in(viewer):
        return Q()
    return ~Q(**{f"{path}__in": Block.objects.filter(blocker=viewer).values("blocked")}) & ~Q(
        **{f"{path}__in": Block.objects.filter(blocked=viewer).values("blocker")}
    )


def not_muted_q(viewer, path: str, *, notifications: bool = False) -> Q:
    """The mute rule for reads: the account at ``path`` is not muted by the viewer (for
    notifications: not muted with ``notifications`` on). Expired mutes do not count."""
    if not _signed_in(viewer):
        return Q()
    mutes = Mute.objects.active().filter(muter=viewer)
    if notifications:
        mutes = mutes.filter(notifications=True)
    return ~Q(**{f"{path}__in": mutes.values("muted")})


def silenced_accounts_sql() -> str:
    """The accounts the home timeline leaves out for a reader: those blocked either way
    (``not_blocked_q``) and those muted now (``not_muted_q``), as a statement over the reader's
    few block and mute rows (one ``account_id`` column, where an account may be more than
    once), for the timeline's id statement to read with its ids. Its named parameters:
    ``reader``, and ``at`` (``mute_now``)."""
    blocks, mutes = Block._meta.db_table, Mute._meta.db_table
    return (
        f"SELECT blocked_id AS account_id FROM {blocks} WHERE blocker_id = %(reader)s "
        f"UNION ALL SELECT blocker_id FROM {blocks} WHERE blocked_id = %(reader)s "
        f"UNION ALL SELECT muted_id FROM {mutes} WHERE muter_id = %(reader)s "
        f"AND {mute_active_sql('%(at)s')}"
    )
