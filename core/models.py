"""Rows of the shared layer: idempotency keys of creating requests, the node numbers of tweet ids
leased by running processes (see ``core/nodes.py``), and rate limits' windows where the shared
cache is the database (see ``core/cache.py``)."""

from django.db import models


class IdempotencyKey(models.Model):
    """A creating request a client may retry: the first one's answer is replayed to the others.

    ``user_id`` is the caller (no foreign key: core depends on no app; rows expire on their own).
    ``status`` and ``body`` are set in the same transaction as the request's writes, so a row
    exists exactly when the request's effect does.
    """

    user_id = models.BigIntegerField()
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    body = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user_id", "key"], name="core_idempotency_user_key")
        ]

    def __str__(self):
        return f"{self.user_id}:{self.key}"


class NodeLease(models.Model):
    """Node ``node`` belongs to ``holder`` (one process) until ``expires_at`` (milliseconds since
    the Unix epoch, by the database's clock)."""

    node = models.PositiveSmallIntegerField(primary_key=True)
    holder = models.CharField(max_length=200)
    expires_at = models.BigIntegerField()

    def __str__(self):
        return f"node {self.node}: {self.holder}"


class RateWindow(models.Model):
    """A rate limit's current window at ``key`` where the shared cache is the database: the
    requests counted in it, and when it closes (milliseconds since the Unix epoch). A closed
    window's row is reused by the next request at its key, or purged."""

    key = models.CharField(max_length=255, primary_key=True)
    count = models.PositiveIntegerField()
    closes_at = models.BigIntegerField(db_index=True)

    def __str__(self):
        return f"{self.key}: {self.count}"
