"""Work outside the database undone when a transaction rolls back (Django has hooks for commits
only).

The code that owns a transaction opens ``undone_if_rolled_back()`` around it; code inside that
has done something the rollback cannot take back (a file written to the media store) registers
how to undo it with ``on_rollback``. If the block ends by an exception, which rolls the
transaction back, the undoing runs, newest first; if it ends normally, nothing does. Outside such
a block ``on_rollback`` does nothing, and callers keep their own clean-up for their own errors.
"""

import logging
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar

logger = logging.getLogger(__name__)

_pending: ContextVar[list[Callable[[], None]] | None] = ContextVar("rollback_undo", default=None)


def on_rollback(undo: Callable[[], None]) -> None:
    """Run ``undo`` if the enclosing ``undone_if_rolled_back()`` block ends by an exception."""
    pending = _pending.get()
    if pending is not None:
        pending.append(undo)


@contextmanager
def undone_if_rolled_back():
    """Around a transaction: what ``on_rollback`` registered inside runs if it rolls back."""
    pending: list[Callable[[], None]] = []
    token = _pending.set(pending)
    try:
        yield
    except BaseException:
        for undo in reversed(pending):
            try:
                undo()
            except Exception:
                logger.exception("could not undo work of a transaction that rolled back")
        raise
    finally:
        _pending.reset(token)
