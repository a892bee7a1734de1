"""Background tasks: sent only after commit, never for a rolled-back transaction, and a broker
that cannot be reached costs the caller nothing but a logged, counted failure."""

import logging

import pytest
from celery import Celery
from django.db import transaction

from core.tasks import enqueue, send
from core.testing import free_port
from minitter.celery import app
from minitter.tests.test_operations import _metric

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
