"""PostgreSQL with bounded waits (see ``core.db``), on top of django-prometheus's instrumented
backend."""

from django_prometheus.db.backends.postgresql import base
from psycopg2 import extensions

from core.db import deadline, wait_with_deadline

extensions.set_wait_callback(wait_with_deadline)

# A reused connection is checked with ``SELECT 1`` first; a server that does not answer that
# quickly is treated as gone, and the request goes on to a fresh connection (or a 503).
HEALTH_CHECK_SECONDS = 1


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self):
        with deadline(HEALTH_CHECK_SECONDS):
            return super().is_usable()
