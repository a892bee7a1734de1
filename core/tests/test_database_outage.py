"""A database that is down or does not answer: a 503 JSON error with Retry-After (never a 500),
and every wait on PostgreSQL bounded by settings."""

from unittest import mock

import pytest
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, OperationalError, connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client

from core.db import deadline
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
def test_database_down_is_a_503_with_retry_after(database_down, method, path):
    client = Client(raise_request_exception=False)
    response = getattr(client, method)(
        path, {"username": "someone", "password": "a-long-passphrase"}
    )
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "database_unavailable"
    assert int(response["Retry-After"]) > 0


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
def test_statement_and_lock_timeouts_come_from_settings():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('statement_timeout'), current_setting('lock_timeout')"
        )
        statement, lock = cursor.fetchone()
    assert statement == f"{settings.DB_STATEMENT_TIMEOUT_MS}ms".replace("000ms", "s")
    assert lock == f"{settings.DB_LOCK_TIMEOUT_MS}ms".replace("000ms", "s")


@postgres_only
def test_a_database_that_does_not_answer_is_given_up_on_and_the_connection_closed():
    other = connections.create_connection(DEFAULT_DB_ALIAS)  # not the test's transaction
    try:
        with deadline(0.2), pytest.raises(OperationalError), other.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(30)")
        assert not other.is_usable()
    finally:
        other.close()
