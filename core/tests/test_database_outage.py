"""A database that is down or does not answer: a 503 JSON error with Retry-After (never a 500),
and every wait on PostgreSQL bounded by settings."""

import threading
import time
from contextlib import contextmanager
from unittest import mock

import pytest
from django.conf import settings
from django.core.signals import request_started
from django.db import DEFAULT_DB_ALIAS, OperationalError, connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client

from core import ids
from core.db import deadline
from core.nodes import node_lease
from core.testing import API

pytestmark = pytest.mark.django_db


@pytest.fixture
def database_down():
    with mock.patch.object(
        BaseDatabaseWrapper,
        "ensure_connection",
        side_effect=OperationalError("connection refused"),
    ):
        yield


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", f"{API}/tweets"), ("post", f"{API}/auth/token"), ("post", "/admin/login/")],
)
def test_database_down_is_a_503_with_retry_after(database_down, method, path, caplog):
    client = Client(raise_request_exception=False)
    response = getattr(client, method)(
        path, {"username": "someone", "password": "a-long-passphrase"}
    )
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "database_unavailable"
    assert int(response["Retry-After"]) > 0
    # The log says why (the answer is the same for every database error).
    assert any(
        record.name == "core.exceptions" and "connection refused" in record.getMessage()
        for record in caplog.records
    )


@pytest.mark.parametrize(
    ("method", "path"), [("get", f"{API}/tweets"), ("post", f"{API}/auth/token")]
)
def test_node_lease_failing_as_a_request_starts_is_a_503_not_a_bare_500(
    database_down, monkeypatch, method, path
):
    # A fresh worker's first request, while the database is down: the lease taken at request
    # start (before any middleware) fails, and the request still answers the one JSON 503.
    monkeypatch.setattr(ids, "_generator", ids.SnowflakeGenerator(lease=node_lease))
    monkeypatch.setattr(ids, "_lease_at_start_failed_at", float("-inf"))
    with lease_at_request_start():
        response = getattr(Client(raise_request_exception=False), method)(
            path, {"username": "someone", "password": "a-long-passphrase"}
        )
    assert response.status_code == 503
    assert response.json()["code"] == "database_unavailable"


def test_after_the_lease_failed_requests_do_not_wait_for_it_again_at_once(
    database_down, monkeypatch
):
    tries = []

    def lease(holder, renew):
        tries.append(holder)
        raise OperationalError("connection refused")

    monkeypatch.setattr(ids, "_generator", ids.SnowflakeGenerator(lease=lease))
    monkeypatch.setattr(ids, "_lease_at_start_failed_at", float("-inf"))
    client = Client(raise_request_exception=False)
    with lease_at_request_start():
        assert client.get(f"{API}/tweets").status_code == 503
        assert client.get(f"{API}/tweets").status_code == 503
        assert len(tries) == 1  # the second request went straight to its own attempt
        monkeypatch.setattr(
            ids, "_lease_at_start_failed_at", time.monotonic() - ids.LEASE_AT_START_PAUSE_SECONDS
        )
        client.get(f"{API}/tweets")
    assert len(tries) == 2


def test_a_request_waiting_for_the_lease_lock_skips_the_lease_that_failed_meanwhile(monkeypatch):
    tries = []
    generator = ids.SnowflakeGenerator(lease=lambda holder, renew: tries.append(holder))
    monkeypatch.setattr(ids, "_generator", generator)
    monkeypatch.setattr(ids, "_lease_at_start_failed_at", float("-inf"))
    with generator._lock:  # a request taking the lease holds the lock ...
        waiting = threading.Thread(target=ids.lease_outside_transactions)
        waiting.start()
        time.sleep(0.2)  # ... while this one passed the first check and waits for it
        monkeypatch.setattr(ids, "_lease_at_start_failed_at", time.monotonic())  # ... and fails
    waiting.join(5)
    assert tries == []


@contextmanager
def lease_at_request_start():
    """The lease at request start, which the test settings leave off."""
    request_started.connect(ids.lease_outside_transactions, dispatch_uid="test.node_lease")
    try:
        yield
    finally:
        request_started.disconnect(dispatch_uid="test.node_lease")


def test_readiness_names_the_database_when_it_is_down(database_down):
    response = Client(raise_request_exception=False).get("/health/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "unavailable"


postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="timeouts of the PostgreSQL backend"
)


@postgres_only
@pytest.mark.skipif(
    settings.DATABASES["default"].get("DISABLE_SERVER_SIDE_CURSORS", False),
    reason="pgbouncer drops the options startup parameter: there they are set on the role",
)
def test_statement_lock_and_client_check_times_come_from_settings():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('statement_timeout'), current_setting('lock_timeout'), "
            "current_setting('client_connection_check_interval')"
        )
        statement, lock, check = cursor.fetchone()
    assert statement == f"{settings.DB_STATEMENT_TIMEOUT_MS}ms".replace("000ms", "s")
    assert lock == f"{settings.DB_LOCK_TIMEOUT_MS}ms".replace("000ms", "s")
    assert check == f"{settings.DB_CLIENT_CHECK_MS}ms".replace("000ms", "s")


@postgres_only
@pytest.mark.skipif(
    settings.DATABASES["default"].get("DISABLE_SERVER_SIDE_CURSORS", False),
    reason="pgbouncer's transaction pooling sends each statement to any server connection",
)
def test_a_statement_given_up_on_stops_on_the_server_and_lets_its_locks_go():
    """A request's deadline closes its connection; the server notices within
    ``DB_CLIENT_CHECK_MS`` and ends that statement's work, rather than keeping its locks until
    the statement or lock timeout (here: none) ends it."""
    holder = connections.create_connection(DEFAULT_DB_ALIAS)
    waiter = connections.create_connection(DEFAULT_DB_ALIAS)
    watcher = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        holder.set_autocommit(False)
        with holder.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(424242)")
        with waiter.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")
            cursor.execute("SET statement_timeout = 0")
            cursor.execute("SELECT pg_backend_pid()")
            (pid,) = cursor.fetchone()
        # The waiter waits for the lock without end; its deadline gives up on it after 0.2 s.
        with deadline(0.2), pytest.raises(OperationalError), waiter.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(424242)")

        def waiter_backend_gone() -> bool:
            with watcher.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
                return cursor.fetchone()[0] == 0

        limit = time.monotonic() + settings.DB_CLIENT_CHECK_MS / 1000 + 10
        while not waiter_backend_gone() and time.monotonic() < limit:
            time.sleep(0.05)
        assert waiter_backend_gone()
    finally:
        holder.rollback()
        for other in (holder, waiter, watcher):
            other.close()


@postgres_only
def test_a_database_that_does_not_answer_is_given_up_on_and_the_connection_closed():
    other = connections.create_connection(DEFAULT_DB_ALIAS)  # not the test's transaction
    try:
        with deadline(0.2), pytest.raises(OperationalError), other.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(30)")
        assert not other.is_usable()
    finally:
        other.close()
