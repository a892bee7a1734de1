"""Time-ordered 64-bit ids ("snowflakes"), so that ordering by id is ordering by time.

Layout, most significant first: 42 bits of milliseconds since 2020-01-01 UTC (good until 2159),
10 bits of node number, 12 bits of a per-millisecond sequence. Each process picks a node number at
random after it starts (or takes ``MINITTER_NODE_ID``), so processes on many machines can create ids
without talking to each other; a cursor is then just an id, and a time is an id range.
"""

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


class SnowflakeGenerator:
    def __init__(self):
        self._lock = threading.Lock()
        self._pid = None
        self._node = 0
        self._last_ms = -1
        self._sequence = 0

    def _ensure_node(self) -> None:
        # A forked worker (gunicorn) must not share the parent's node number.
        if self._pid != os.getpid():
            self._pid = os.getpid()
            configured = os.environ.get("MINITTER_NODE_ID")
            self._node = (
                int(configured) % (1 << NODE_BITS) if configured else random.getrandbits(NODE_BITS)
            )
            self._last_ms = -1

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
