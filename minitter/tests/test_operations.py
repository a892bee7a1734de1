"""Operations endpoints and signals: health checks, Prometheus metrics, JSON request logs."""

import json
import logging

import pytest
from django.db.migrations.executor import MigrationExecutor

from conftest import s3_storage_settings
from core.testing import API, free_port
from minitter import health
from minitter.logging import JsonFormatter
from tweets.tests.factories import TweetFactory

pytestmark = pytest.mark.django_db


def test_live_answers_ok(api_client):
    response = api_client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_checks_database_and_storage(api_client):
    response = api_client.get("/health/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "storage": "ok"}}


def test_ready_is_503_naming_storage_when_the_store_is_unreachable(api_client, settings):
    dead = f"http://127.0.0.1:{free_port()}"
    settings.STORAGES = {**settings.STORAGES, "default": s3_storage_settings(dead, "x")}
    response = api_client.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "storage": "unavailable"}
    assert api_client.get("/health/live").status_code == 200


def test_ready_is_503_while_migrations_are_pending(api_client, monkeypatch):
    monkeypatch.setattr(health, "_migrations_known_applied", False)
    monkeypatch.setattr(MigrationExecutor, "migration_plan", lambda self, targets: [("x", False)])
    response = api_client.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "migrations pending"


def test_ready_passes_on_the_s3_store_when_it_is_up(api_client, s3_bucket):
    assert api_client.get("/health/ready").json()["checks"]["storage"] == "ok"


def _metric(text: str, name: str) -> float:
    values = [
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith(name + " ") or line.startswith(name + "{")
    ]
    return sum(values)


def test_metrics_count_requests_and_minitter_events(
    api_client, auth_client, user, django_capture_on_commit_callbacks
):
    before = api_client.get("/metrics").content.decode()
    with django_capture_on_commit_callbacks(execute=True):  # a tweet counts once committed
        TweetFactory(author=user)
    auth_client(user).get(f"{API}/timelines/home")
    api_client.post(f"{API}/auth/token", {"username": "nobody", "password": "x"}, format="json")
    after = api_client.get("/metrics").content.decode()

    assert _metric(after, "minitter_tweets_total") == _metric(before, "minitter_tweets_total") + 1
    assert 'minitter_logins_total{result="failure"}' in after
    assert "django_http_requests_latency_seconds_by_view_method_bucket" in after
    assert 'view="timeline-home"' in after
    assert "django_db_execute_total" in after


def test_request_id_is_taken_from_the_header_and_echoed(api_client):
    response = api_client.get("/ping", HTTP_X_REQUEST_ID="abc-123")
    assert response["X-Request-ID"] == "abc-123"


@pytest.mark.parametrize("given", [None, "", "bad id with spaces", "x" * 200])
def test_missing_or_invalid_request_id_is_replaced(api_client, given):
    headers = {} if given is None else {"HTTP_X_REQUEST_ID": given}
    response = api_client.get("/ping", **headers)
    assert len(response["X-Request-ID"]) == 32
    assert response["X-Request-ID"] != given


@pytest.fixture
def json_log_lines():
    """Every log record, formatted by the project's JSON formatter when it is emitted."""
    formatter = JsonFormatter()
    lines = []
    handler = logging.Handler(level=logging.DEBUG)
    handler.emit = lambda record: lines.append(json.loads(formatter.format(record)))
    root = logging.getLogger()
    root.addHandler(handler)
    request_logger = logging.getLogger("minitter.request")
    request_logger.addHandler(handler)
    yield lines
    root.removeHandler(handler)
    request_logger.removeHandler(handler)


def test_one_json_log_line_per_request_with_request_id_and_user(auth_client, user, json_log_lines):
    auth_client(user).get(f"{API}/accounts/me", HTTP_X_REQUEST_ID="req-42")
    lines = [line for line in json_log_lines if line["logger"] == "minitter.request"]
    assert len(lines) == 1
    line = lines[0]
    assert {k: line[k] for k in ("request_id", "method", "path", "status", "user_id")} == {
        "request_id": "req-42",
        "method": "GET",
        "path": f"{API}/accounts/me",
        "status": 200,
        "user_id": user.pk,
    }
    assert line["level"] == "info" and line["duration_ms"] >= 0
    assert line["timestamp"].endswith("+00:00")


def test_application_logs_carry_the_request_id(api_client, settings, json_log_lines):
    dead = f"http://127.0.0.1:{free_port()}"
    settings.STORAGES = {**settings.STORAGES, "default": s3_storage_settings(dead, "x")}
    api_client.get("/health/ready", HTTP_X_REQUEST_ID="trace-7")
    warnings = [line for line in json_log_lines if line["logger"] == "minitter.health"]
    assert warnings and all(line["request_id"] == "trace-7" for line in warnings)


def test_no_password_or_token_reaches_the_logs(api_client, user, caplog):
    caplog.set_level(logging.DEBUG)
    secret_password = "Sup3r-Secret-Passphrase!"
    api_client.post(
        f"{API}/auth/signup",
        {"username": "leaky", "email": "l@example.com", "password": secret_password},
        format="json",
    )
    tokens = api_client.post(
        f"{API}/auth/token", {"username": "leaky", "password": secret_password}, format="json"
    ).json()
    api_client.get(f"{API}/accounts/me", HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    formatter = JsonFormatter()
    output = "\n".join(formatter.format(record) for record in caplog.records)
    assert output
    assert secret_password not in output
    assert tokens["access"] not in output and tokens["refresh"] not in output
