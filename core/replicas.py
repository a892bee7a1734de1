"""Read replicas: which database a query goes to.

With replicas configured (``DATABASE_REPLICA_URLS``), reads of an API request with a safe method
(GET, HEAD, OPTIONS) go to a replica; everything else goes to the primary (``default``): writes,
reads inside a transaction, reads of unsafe requests, the admin, management commands and background
tasks (which act on rows that were just committed). A request reads its own writes:

- once anything in the request has written, its later reads use the primary too;
- after a request of a user has written, that user's reads use the primary for
  ``DATABASE_REPLICA_PIN_SECONDS`` (a per-user key in the shared cache; no cookie), so a client
  that posts and then reads the timeline sees its post even while the replicas lag. When the cache
  cannot be reached, the user's reads use the primary.

Other users see a write once the replica has replayed it (the replica's lag, usually well under a
second; see docs/scaling.md).
"""

import logging
import random
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections

logger = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class _Routing:
    replica_allowed: bool
    wrote: bool = False
    # Inside ``primary_reads``: what is read there is kept in the cache as current.
    primary_only: int = 0
    # Transactions open when the request started (none in production): reads inside one opened
    # by the request itself go to the primary.
    atomic_depth: int = 0


def _atomic_depth() -> int:
    return len(connections[DEFAULT_DB_ALIAS].atomic_blocks)


_routing: ContextVar[_Routing | None] = ContextVar("minitter_db_routing", default=None)


def replica_aliases() -> list[str]:
    return [alias for alias in settings.DATABASES if alias.startswith("replica")]


def _pin_key(user_id) -> str:
    return f"replica-pin:{user_id}"


def pin_recent_writer(user_id) -> None:
    """Send this request's reads to the primary when the user wrote within the pin window.
    Called by authentication as soon as the user's id is known."""
    state = _routing.get()
    if state is None or not state.replica_allowed:
        return
    try:
        pinned = cache.get(_pin_key(user_id)) is not None
    except Exception as exc:  # an unreachable cache must not fail the request: read the primary
        logger.warning("replica pin unknown, reading the primary: %s", type(exc).__name__)
        pinned = True
    if pinned:
        state.replica_allowed = False


def read_primary() -> bool:
    """Send the rest of this request's reads to the primary; False when they went there already."""
    state = _routing.get()
    if state is None or not state.replica_allowed:
        return False
    state.replica_allowed = False
    return True


@contextmanager
def primary_reads():
    """Reads inside go to the primary: rows a copy kept in the cache is made from must include
    every write that committed before (``core/copies.py``), which a lagging replica may not."""
    state = _routing.get()
    if state is None:
        yield
        return
    state.primary_only += 1
    try:
        yield
    finally:
        state.primary_only -= 1


def _remember_writer(user_id) -> None:
    try:
        cache.set(_pin_key(user_id), 1, timeout=settings.DATABASE_REPLICA_PIN_SECONDS)
    except Exception as exc:
        logger.warning("could not pin user to the primary: %s", type(exc).__name__)


class PrimaryReplicaRouter:
    """Database router: writes to the primary, reads as described in the module docstring."""

    def db_for_read(self, model, **hints):
        state = _routing.get()
        if state is None or not state.replica_allowed or state.primary_only:
            return DEFAULT_DB_ALIAS
        if model._meta.app_label == "django_cache":
            # The database cache (throttle counters, pins) is only right on the primary.
            return DEFAULT_DB_ALIAS
        if _atomic_depth() > state.atomic_depth:
            return DEFAULT_DB_ALIAS
        replicas = replica_aliases()
        return random.choice(replicas) if replicas else DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        state = _routing.get()
        if state is not None:
            state.wrote = True
            state.replica_allowed = False
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS


class ReplicaRoutingMiddleware:
    """Marks which requests may read from a replica, and pins a user who wrote to the primary."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        state = _Routing(
            replica_allowed=bool(replica_aliases())
            and request.method in SAFE_METHODS
            and request.path.startswith("/api/"),
            atomic_depth=_atomic_depth(),
        )
        token = _routing.set(state)
        try:
            response = self.get_response(request)
        finally:
            _routing.reset(token)
        wrote = state.wrote or request.method not in SAFE_METHODS
        user = getattr(request, "user", None)
        if wrote and replica_aliases() and user is not None and user.is_authenticated:
            _remember_writer(user.pk)
        return response
