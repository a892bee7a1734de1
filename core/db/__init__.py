"""The database as a dependency that can fail: bounded waits, and outages as 503s.

Every wait on PostgreSQL has a client-side deadline (``wait_with_deadline``, installed by the
``core.db.postgresql`` backend): connecting gives up after ``DB_CONNECT_TIMEOUT`` seconds, a query
``DB_STATEMENT_TIMEOUT_MS`` plus one second after it was sent (the server cancels it at the
statement timeout; a server that does not answer at all, e.g. a frozen one, is given up on and
the connection closed). The API answers what follows (``core.exceptions.DATABASE_ERRORS``) with a
503 and ``Retry-After``.
"""

import select
import threading
import time
from contextlib import contextmanager

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

_override = threading.local()


@contextmanager
def deadline(seconds: float):
    """Wait at most ``seconds`` for each database round trip in this block (health checks)."""
    previous = getattr(_override, "seconds", None)
    _override.seconds = seconds
    try:
        yield
    finally:
        _override.seconds = previous


def _seconds(connecting: bool) -> float | None:
    if (seconds := getattr(_override, "seconds", None)) is not None:
        return seconds
    if connecting:
        return settings.DB_CONNECT_TIMEOUT
    statement_ms = settings.DB_STATEMENT_TIMEOUT_MS
    return statement_ms / 1000 + 1 if statement_ms else None


def wait_with_deadline(conn) -> None:
    """psycopg2's wait callback: wait for the socket like ``psycopg2.extras.wait_select``, but
    raise ``OperationalError`` (psycopg2 then closes the connection) once the deadline passes."""
    import psycopg2
    from psycopg2 import extensions

    seconds = _seconds(connecting=conn.status == extensions.STATUS_SETUP)
    end = None if seconds is None else time.monotonic() + seconds
    poller = select.poll()
    while True:
        state = conn.poll()
        if state == extensions.POLL_OK:
            return
        remaining = None if end is None else end - time.monotonic()
        if remaining is not None and remaining <= 0:
            raise psycopg2.OperationalError(f"the database did not answer within {seconds} s")
        events = select.POLLIN if state == extensions.POLL_READ else select.POLLOUT
        poller.register(conn.fileno(), events)
        poller.poll(None if remaining is None else max(remaining * 1000, 1))


def in_own_transaction(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether the caller has a transaction open on ``using`` (a test's own wrapping one does not
    count)."""
    blocks = connections[using].atomic_blocks
    return any(not getattr(block, "_from_testcase", False) for block in blocks)
