"""Node numbers for tweet ids, leased from the database so that no two live processes share one.

A process takes a free node (or one whose lease expired) when it first needs an id after it
started or forked, holds it for ``LEASE_SECONDS`` by its own monotonic clock, renews it after half
of that, and gives it back when it exits. The database decides expiry with its own clock; the
process counts from before it asked, so its lease always ends, for itself, before the database
hands the node to anyone else. Leasing uses a connection of its own (autocommit), never the
caller's transaction, which could be rolled back.
"""

import os
import random
import socket
import time
import uuid
from contextlib import suppress

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

from core.models import NodeLease

NODES = 1024
LEASE_SECONDS = 600

_NOW_MS = {
    "postgresql": "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)",
    "sqlite": "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)",
}


class NoFreeNode(RuntimeError):
    """All 1,024 node numbers are held by live processes."""


def holder_name() -> str:
    """Names one process (host, pid, and a random part for pid reuse)."""
    return f"{socket.gethostname()[:150]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def _run(sql: str, params: list):
    connection = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                sql.format(table=NodeLease._meta.db_table, now=_NOW_MS[connection.vendor]), params
            )
            return cursor.rowcount, cursor.fetchone() if cursor.description else None
    finally:
        connection.close()


def node_lease(holder: str, renew: int | None = None) -> tuple[int, float]:
    """Renew ``holder``'s lease of node ``renew``, or lease a free node; returns the node and the
    ``time.monotonic()`` until which the caller may use it."""
    started = time.monotonic()
    seconds = getattr(settings, "MINITTER_NODE_LEASE_SECONDS", LEASE_SECONDS)
    ms = seconds * 1000
    if renew is not None:
        updated, _ = _run(
            "UPDATE {table} SET expires_at = {now} + %s WHERE node = %s AND holder = %s",
            [ms, renew, holder],
        )
        if updated == 1:
            return renew, started + seconds
    first = random.randrange(NODES)
    for offset in range(NODES):
        node = (first + offset) % NODES
        _, row = _run(
            "INSERT INTO {table} (node, holder, expires_at) VALUES (%s, %s, {now} + %s) "
            "ON CONFLICT (node) DO UPDATE SET holder = excluded.holder, "
            "expires_at = excluded.expires_at WHERE {table}.expires_at < {now} RETURNING node",
            [node, holder, ms],
        )
        if row is not None:
            return node, started + seconds
    raise NoFreeNode("all node numbers for tweet ids are leased")


def node_release(holder: str, node: int) -> None:
    """Give a node back (at exit), so that it can be leased again at once; if the database
    cannot be reached, the lease expires by itself."""
    with suppress(DatabaseError):
        _run("DELETE FROM {table} WHERE node = %s AND holder = %s", [node, holder])
