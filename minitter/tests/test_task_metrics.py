"""The task metrics a worker serves: ``minitter_task_queue_length`` read from a real Redis broker,
and ``minitter_task_latency_seconds`` observed when a worker starts a task sent through it."""

import pytest
import redis
from celery import Celery
from celery.worker.request import Request
from prometheus_client import REGISTRY

from core.tasks import QueueLengthCollector

QUEUE = "minitter-metrics-test"
TASK = "minitter.tests.metrics_task"


def nothing():
    pass


@pytest.fixture
def broker(redis_server):
    """A Celery app on the real Redis (database 3, emptied before and after the test)."""
    url = redis_server.url.rpartition("/")[0] + "/3"
    client = redis.Redis.from_url(url)
    client.flushdb()
    app = Celery("metrics-test", set_as_current=False, broker=url)
    app.conf.task_default_queue = QUEUE
    app.conf.broker_connection_retry_on_startup = False
    app.task(name=TASK)(nothing)
    yield app
    client.flushdb()
    client.close()


def queue_length(app) -> float:
    (family,) = QueueLengthCollector(app).collect()
    return {sample.labels["queue"]: sample.value for sample in family.samples}[QUEUE]


def latency_count() -> float:
    return REGISTRY.get_sample_value("minitter_task_latency_seconds_count", {"task": TASK}) or 0


def test_queue_length_counts_the_messages_waiting_in_the_redis_broker(broker):
    assert queue_length(broker) == 0

    for _ in range(3):
        broker.send_task(TASK)

    assert queue_length(broker) == 3


def test_a_task_taken_from_the_broker_and_run_records_its_latency(broker):
    before = latency_count()
    broker.send_task(TASK)

    with broker.connection_for_read() as connection:
        message = connection.default_channel.basic_get(QUEUE, no_ack=True)
    Request(message, app=broker, task=broker.tasks[TASK]).execute()

    assert latency_count() == before + 1
    assert queue_length(broker) == 0
