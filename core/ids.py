"""Time-ordered 64-bit ids ("snowflakes"), so that ordering by id is ordering by time.

Layout, most significant first: 42 bits of milliseconds since 2020-01-01 UTC (good until 2159),
10 bits of node number, 12 bits of a per-millisecond sequence. Ids are unique by construction:
each process (every forked gunicorn worker too) leases a node number of its own from the database
(``core/nodes.py``) before it makes its first id, and one process never repeats a millisecond and
sequence. A cursor is then just an id, and a time is an id range.
"""

import atexit
import logging
import os
import random
import threading
import time
from datetime import UTC, datetime

EPOCH_MS = 1_577_836_800_000  # 2020-01-01T00:00:00Z
NODE_BITS = 10
SEQUENCE_BITS = 12
TIME_SHIFT = NODE_BITS + SEQUENCE_BITS
MAX_SEQUENCE = (1 << SEQUENCE_BITS) - 1
# Renew the node lease when less than this is left of it (it lasts ten minutes).
LEASE_RENEW_BEFORE_SECONDS = 300

logger = logging.getLogger(__name__)


class SnowflakeGenerator:
    """Ids of one process. ``lease(holder, renew)`` returns a node number and the monotonic time
    until which it may be used (``core.nodes.node_lease`` by default)."""

    def __init__(self, lease=None):
        self._lock = threading.Lock()
        self._lease = lease
        self._pid = None
        self._holder = ""
        self._node = 0
        self._valid_until = 0.0
        self._last_ms = -1
        self._sequence = 0

    def _ensure_node(self) -> None:
        from core import nodes  # the database layer, loaded once ids are first needed

        if self._pid != os.getpid():
            # A new process, or a fork (gunicorn workers): never the parent's node.
            if self._lease is None:
                self._lease = nodes.node_lease
                atexit.register(self._release, os.getpid())
            self._holder = nodes.holder_name()
            self._node, self._valid_until = self._lease(self._holder, None)
            self._pid = os.getpid()
            self._last_ms = -1
            return
        remaining = self._valid_until - time.monotonic()
        if remaining < LEASE_RENEW_BEFORE_SECONDS:
            try:
                self._node, self._valid_until = self._lease(self._holder, self._node)
            except Exception:
                if remaining <= 0:
                    raise  # the lease is over: no id without a node of one's own
                logger.warning("could not renew the node lease; trying again with the next id")

    def _release(self, pid: int) -> None:
        from core.nodes import node_release

        if self._pid == pid == os.getpid():
            node_release(self._holder, self._node)

    def next_id(self) -> int:
        with self._lock:
            self._ensure_node()
            now = max(int(time.time() * 1000), self._last_ms)
            if now == self._last_ms:
                self._sequence = (self._sequence + 1) & MAX_SEQUENCE
                if self._sequence == 0:
                    # 4,096 ids in one millisecond: wait for the next one.
                    while now <= self._last_ms:
                        now = int(time.time() * 1000)
            else:
                self._sequence = random.getrandbits(SEQUENCE_BITS - 2)
            self._last_ms = now
            return ((now - EPOCH_MS) << TIME_SHIFT) | (self._node << SEQUENCE_BITS) | self._sequence


_generator = SnowflakeGenerator()


# After the lease failed as a request started, later requests skip it for this long: each try
# waits out the connect timeout, which would double every answer of an outage.
LEASE_AT_START_PAUSE_SECONDS = 5
_lease_at_start_failed_at = float("-inf")


def lease_outside_transactions(**kwargs) -> None:
    """At the start of each request (``request_started``), before any transaction: take or renew
    this process's node lease now, so that ``next_id()`` never needs a second database connection
    in the middle of a write. SQLite lets no other connection write while a transaction holds its
    write lock, so there a lease taken mid-transaction would wait until it timed out.

    A database that cannot be reached here must not fail the request: this runs before any
    middleware, where an error is no JSON 503 but the server's bare 500. The request goes on, and
    ``next_id()`` asks again if it needs an id (a 503 there, as any database error); requests of
    the next ``LEASE_AT_START_PAUSE_SECONDS`` do not try here."""
    global _lease_at_start_failed_at
    from core.exceptions import DATABASE_ERRORS

    if time.monotonic() - _lease_at_start_failed_at < LEASE_AT_START_PAUSE_SECONDS:
        return
    with _generator._lock:
        if time.monotonic() - _lease_at_start_failed_at < LEASE_AT_START_PAUSE_SECONDS:
            return  # failed for a request that held the lock while this one waited
        try:
            _generator._ensure_node()
        except DATABASE_ERRORS as exc:
            _lease_at_start_failed_at = time.monotonic()
            logger.warning("could not take the node lease as the request started: %s", exc)


def next_id() -> int:
    return _generator.next_id()


def id_floor(moment: datetime) -> int:
    """The smallest id that can be created at ``moment`` (an aware datetime)."""
    return max(int(moment.timestamp() * 1000) - EPOCH_MS, 0) << TIME_SHIFT


def id_time_ms(snowflake: int) -> int:
    """Milliseconds since the Unix epoch at which the id was created."""
    return (snowflake >> TIME_SHIFT) + EPOCH_MS


def id_datetime(snowflake: int) -> datetime:
    """The moment (to the millisecond, UTC) at which the id was created."""
    return datetime.fromtimestamp(id_time_ms(snowflake) / 1000, tz=UTC)
