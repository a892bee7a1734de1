"""Health checks for load balancers and orchestrators.

``/health/live``: the process serves (no dependencies touched). ``/health/ready``: the database
answers and has every migration applied, and the media store answers; otherwise 503 with the
failing check named, so a balancer stops sending traffic until it recovers.
"""

import logging

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse

from media.selectors import storage_check

logger = logging.getLogger(__name__)

_migrations_known_applied = False


def _check_database() -> str:
    global _migrations_known_applied
    connection = connections[DEFAULT_DB_ALIAS]
    with connection.cursor() as cursor:
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


CHECKS = {"database": _check_database, "storage": _check_storage}


def live(request):
    return JsonResponse({"status": "ok"})


def ready(request):
    results = {}
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception as exc:  # any failure of a dependency means "not ready"
            logger.warning("readiness check %s failed: %s", name, exc.__class__.__name__)
            results[name] = "unavailable"
    healthy = all(result == "ok" for result in results.values())
    if not healthy:
        # A failed query leaves the connection unusable; let the next request open a new one.
        connections[DEFAULT_DB_ALIAS].close_if_unusable_or_obsolete()
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": results},
        status=200 if healthy else 503,
    )
