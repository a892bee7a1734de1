"""Background tasks: sent only after commit, never for a rolled-back transaction, and a broker
that cannot be reached costs the caller nothing but a logged, counted failure."""

import logging

import pytest
from celery import Celery
from django.db import OperationalError, transaction

from core.tasks import enqueue, send
from core.testing import free_port
from minitter.celery import app
from minitter.tests.test_operations import _metric
from tweets.services import timelines
from tweets.tasks import timelines_trim

pytestmark = pytest.mark.django_db

calls = []


@app.task(name="minitter.tests.record")
def record(value):
    calls.append(value)


@pytest.fixture(autouse=True)
def _no_calls():
    calls.clear()


@pytest.mark.tasks_after_commit
def test_enqueue_sends_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        enqueue(record, value=1)
        assert calls == []
    assert calls == [1]


@pytest.mark.tasks_after_commit
def test_enqueue_sends_nothing_for_a_rolled_back_transaction(django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        enqueue(record, value=1)
        raise RuntimeError
    assert callbacks == []
    assert calls == []


def test_unreachable_broker_is_logged_and_counted_not_raised(api_client, caplog):
    offline = Celery("offline", set_as_current=False, broker=f"redis://127.0.0.1:{free_port()}/0")
    offline.conf.broker_transport_options = {"max_retries": 1, "interval_start": 0}

    @offline.task(name="minitter.tests.offline")
    def task():
        pass

    before = _metric(
        api_client.get("/metrics").content.decode(), "minitter_task_enqueue_failed_total"
    )

    with caplog.at_level(logging.WARNING, logger="core.tasks"):
        assert send(task, {}) is False

    assert "could not enqueue minitter.tests.offline" in caplog.text
    after = _metric(
        api_client.get("/metrics").content.decode(), "minitter_task_enqueue_failed_total"
    )
    assert after == before + 1


def test_a_task_failing_with_a_database_error_is_retried(monkeypatch):
    failures = iter([OperationalError("server closed the connection unexpectedly")])

    def trim_failing_once():
        if (error := next(failures, None)) is not None:
            raise error
        return 3

    monkeypatch.setattr(timelines, "timelines_trim", trim_failing_once)

    result = timelines_trim.apply(throw=False)  # a retry runs again at once, eagerly

    assert result.get() == 3
    assert result.task_id and next(failures, None) is None
