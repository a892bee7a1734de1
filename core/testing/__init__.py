"""Test helpers shared by every app's tests: loopback ports, waiting for servers, uploads, a
throwaway Redis."""

import shutil
import socket
import subprocess
import time

from django.core.files.uploadedfile import SimpleUploadedFile

from core.testing.images import image_bytes

API = "/api/minitter/v1"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float, process=None) -> None:
    """Wait until something accepts connections on 127.0.0.1:``port``; fail early when
    ``process`` (a ``Popen``) has exited."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if (process is not None and process.poll() is not None) or time.monotonic() > deadline:
                raise RuntimeError(f"nothing listens on port {port}") from None
            time.sleep(0.1)


def upload(
    client, content: bytes | None = None, name="photo.png", content_type="image/png", **fields
):
    """POST an image to the media endpoint with ``client``; returns the response."""
    file = SimpleUploadedFile(
        name, image_bytes("PNG") if content is None else content, content_type=content_type
    )
    return client.post(f"{API}/media", {"file": file, **fields}, format="multipart")


class RedisServer:
    """A throwaway ``redis-server`` (the Debian package) on a free loopback port, stopped by its
    PID: in memory only, or with ``persistent=True`` writing an append-only file in ``directory``
    as production runs it, so that a stop and a start keep the queues and the broker's routing.
    ``RedisServer.installed()`` says whether tests can use one."""

    def __init__(self, directory, *, persistent: bool = False):
        self.directory = directory
        self.persistent = persistent
        self.port = free_port()
        self.process = None

    @staticmethod
    def installed() -> bool:
        return shutil.which("redis-server") is not None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        # The same port again after a stop: clients configured with the URL reconnect.
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "yes" if self.persistent else "no",
                "--dir", str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for_port(self.port, timeout=20, process=self.process)
        return self

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


def on_postgresql() -> bool:
    """Whether the tests run on PostgreSQL (CI runs the suite on SQLite and on PostgreSQL)."""
    from django.db import connection

    return connection.vendor == "postgresql"


# How long the client waits for the ANALYZE of refresh_planner_statistics.
ANALYZE_SECONDS = 300


def refresh_planner_statistics() -> None:
    """On PostgreSQL, ANALYZE what the test has written: autovacuum never sees a test's rows (its
    transaction does not commit), and a plan chosen for near-empty tables can take seconds over
    a large fixture, where production's statistics would be fresh.

    Only the project's tables are analyzed (not the system catalogs). On a slow or busy machine
    that can still outrun the application's limits, so both are lifted for this statement: the
    server's ``statement_timeout`` and the client's deadline (``core.db.deadline``)."""
    from django.db import connection, transaction

    from core.db import deadline

    if connection.vendor != "postgresql":
        return
    tables = connection.introspection.django_table_names(only_existing=True)
    quoted = ", ".join(connection.ops.quote_name(table) for table in sorted(tables))
    with connection.cursor() as cursor, deadline(ANALYZE_SECONDS):
        cursor.execute("SELECT current_setting('statement_timeout')")
        (previous,) = cursor.fetchone()
        cursor.execute("SET statement_timeout = 0")
        try:
            # In a savepoint: should it fail, the restore below still runs (in an aborted
            # transaction it could not), and the ANALYZE's own error is the one raised.
            with transaction.atomic():
                cursor.execute(f"ANALYZE {quoted}")
        finally:
            cursor.execute("SELECT set_config('statement_timeout', %s, false)", [previous])


def explain(queryset, **settings) -> str:
    """PostgreSQL's plan for ``queryset`` as text, with planner ``settings`` such as
    ``enable_seqscan="off"`` applied for this one statement (inside the test's transaction)."""
    from django.db import connection

    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        for name, value in settings.items():
            cursor.execute(f"SET LOCAL {name} = %s", [value])
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        for name in settings:
            cursor.execute(f"RESET {name}")
    return plan
