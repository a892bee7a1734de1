"""Health checks for load balancers and orchestrators.

``/health/live``: the process serves (no dependencies touched). ``/health/ready``: the database
answers and has every migration applied, and the media store answers; otherwise 503 with the
failing check named, so a balancer stops sending traffic until it recovers. Redis, when
configured, is checked too but is not required: the API keeps serving without it (throttling fails
open, background work waits in the outbox), so an unreachable Redis answers 200 with status
``degraded`` and ``"redis": "unavailable"`` instead of taking every instance out of the balancer.
"""

import logging
from contextlib import suppress

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse

from core.db import deadline
from core.exceptions import DATABASE_ERRORS, read_only
from media.selectors import storage_check

logger = logging.getLogger(__name__)

_migrations_known_applied = False


def _check_database() -> str:
    global _migrations_known_applied
    connection = connections[DEFAULT_DB_ALIAS]
    # Bounded even when the server hangs: a check that hangs is no check.
    with deadline(settings.DB_CONNECT_TIMEOUT), connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    if not _migrations_known_applied:
        # Migrations only ever get applied, so once this process has seen them all, it is done.
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            return "migrations pending"
        _migrations_known_applied = True
    return "ok"


def _check_storage() -> str:
    storage_check()
    return "ok"


def _check_redis() -> str:
    cache.get("health-probe")  # raises when Redis cannot be reached within REDIS_TIMEOUT
    return "ok"


CHECKS = {"database": _check_database, "storage": _check_storage}


def _optional_checks() -> dict:
    """Checked when configured; a failure degrades the instance without taking it out of service."""
    return {"redis": _check_redis} if settings.REDIS_URL else {}


@read_only
def live(request):
    return JsonResponse({"status": "ok"})


@read_only
def ready(request):
    results = {}
    optional = _optional_checks()
    for name, check in {**CHECKS, **optional}.items():
        try:
            results[name] = check()
        except Exception as exc:  # any failure of a dependency means "not ready"
            logger.warning("readiness check %s failed: %s", name, exc.__class__.__name__)
            results[name] = "unavailable"
    healthy = all(results[name] == "ok" for name in CHECKS)
    degraded = any(results[name] != "ok" for name in optional)
    if not healthy:
        # A failed query leaves the connection unusable; let the next request open a new one.
        with suppress(DATABASE_ERRORS):  # it never connected: nothing to close
            connections[DEFAULT_DB_ALIAS].close_if_unusable_or_obsolete()
    return JsonResponse(
        {
            "status": ("degraded" if degraded else "ok") if healthy else "unavailable",
            "checks": results,
        },
        status=200 if healthy else 503,
    )
