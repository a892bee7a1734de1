"""Writes run again when PostgreSQL aborts their transaction to break a deadlock.

Writes lock rows in one global order (docs/architecture.md), but a few cannot always: a delete
of a reported tweet changes the report rows before its author's row, which a suspension of the
author resolves after it; a suspension recounts what the account did after it read its
neighbours with their rows locked after the account's. When two transactions wait for each
other, PostgreSQL aborts one (SQLSTATE ``40P01``, after ``deadlock_timeout``); the other goes
on. The aborted one changed nothing, and run again from the start it waits for the other and
then sees what it did. ``deadlock_retried`` does that, so the client gets the answer of the
write rather than a 503.

Only a transaction the wrapped function opens itself can be run again: inside a caller's
transaction the error goes up unchanged (everything the caller did in it was rolled back too) to
the outermost, which is run again if it is wrapped too (a request with an ``Idempotency-Key``:
one transaction for the key and the write, ``core.idempotency``). A wrapped function must keep
what it does outside the database to ``on_commit`` callbacks, which a rolled back transaction
drops (stamps, tasks, stored objects deleted, metrics), and must not depend on changes an attempt
made to its arguments.
"""

import logging
import random
import time
from functools import wraps

from django.db import OperationalError
from prometheus_client import Counter

from core.db import in_own_transaction

logger = logging.getLogger(__name__)

# Deadlock detected; a serializable transaction that could not be ordered (none here yet).
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})
ATTEMPTS = 3
# Each attempt waits up to this long times its number first, so that the two writes do not meet
# again at once.
BACKOFF_SECONDS = 0.05

RETRIES = Counter(
    "minitter_db_transaction_retries",
    "Transactions run again after PostgreSQL aborted them to break a deadlock.",
    ["sqlstate"],
)


def retryable_sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a transaction PostgreSQL aborted that can simply be run again, else None."""
    if not isinstance(exc, OperationalError):
        return None
    code = getattr(exc.__cause__, "pgcode", None)
    return code if code in RETRYABLE_SQLSTATES else None


def deadlock_retried(function):
    """Run ``function`` (which opens its own transaction) up to ``ATTEMPTS`` times while
    PostgreSQL aborts it to break a deadlock; the last attempt's error goes up (a 503)."""

    @wraps(function)
    def wrapper(*args, **kwargs):
        if in_own_transaction():
            return function(*args, **kwargs)
        attempt = 1
        while True:
            try:
                return function(*args, **kwargs)
            except OperationalError as exc:
                sqlstate = retryable_sqlstate(exc)
                if sqlstate is None or attempt == ATTEMPTS:
                    raise
            RETRIES.labels(sqlstate=sqlstate).inc()
            logger.info(
                "%s: transaction aborted by the database (%s), running it again",
                function.__qualname__,
                sqlstate,
            )
            time.sleep(random.uniform(0, BACKOFF_SECONDS * attempt))
            attempt += 1

    return wrapper
