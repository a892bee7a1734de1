"""Background tasks: how they are enqueued, retried and measured.

``enqueue(task, **kwargs)`` sends a task once the current transaction commits, so a task never
sees an uncommitted or rolled-back row. A broker that cannot be reached is logged and counted,
never raised: the write that asked for the task is committed and acknowledged, so whatever the
task does must also be recoverable without it (an outbox row drained later, a periodic job).

Every task uses ``RETRY_POLICY``: database errors are retried with exponential back-off; a task
that also touches the file store uses ``retry_policy(*storage errors)``, the same back-off for
those errors too. Tasks are acknowledged late and idempotent (settings, and each task's
docstring), so running one twice, or again after its worker was killed, leaves the same rows.
"""

import logging
import os
import time
from functools import partial
from pathlib import Path

from celery import shared_task, signals
from django.db import InterfaceError, OperationalError
from django.db.transaction import on_commit
from kombu.exceptions import OperationalError as BrokerUnavailable
from prometheus_client import Counter, Histogram
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

ENQUEUE_FAILED = Counter(
    "minitter_task_enqueue_failed",
    "Tasks that could not be sent to the broker (their work waits for the outbox drain).",
    ["task"],
)
TASK_LATENCY = Histogram(
    "minitter_task_latency_seconds",
    "Time from a task being enqueued to a worker starting it.",
    ["task"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900),
)
TASK_DURATION = Histogram(
    "minitter_task_duration_seconds",
    "Time a task ran, by outcome.",
    ["task", "state"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)


def retry_policy(*errors: type[BaseException]) -> dict:
    """Task options that retry transient failures of the database, and ``errors`` besides, with
    exponential back-off (1 s, 2 s, 4 s, ..., at most 5 minutes apart, with jitter), ten times
    before the task is given up and logged."""
    return {
        "autoretry_for": (OperationalError, InterfaceError, *errors),
        "retry_backoff": True,
        "retry_backoff_max": 300,
        "retry_jitter": True,
        "max_retries": 10,
    }


RETRY_POLICY = retry_policy()

BROKER_ERRORS = (BrokerUnavailable, RedisError, OSError)
ENQUEUED_AT = "minitter_enqueued_at"


def enqueue(task, **kwargs) -> None:
    """Send ``task(**kwargs)`` once the current transaction commits (at once outside one)."""
    on_commit(partial(send, task, kwargs))


def send(task, kwargs: dict) -> bool:
    """Send a task now; False (logged and counted) when the broker cannot be reached."""
    try:
        task.apply_async(kwargs=kwargs)
    except BROKER_ERRORS as exc:
        ENQUEUE_FAILED.labels(task=task.name).inc()
        logger.warning("could not enqueue %s %s: %s", task.name, kwargs, type(exc).__name__)
        return False
    return True


@signals.before_task_publish.connect
def _stamp_enqueue_time(headers=None, **kwargs):
    if headers is not None:
        headers.setdefault(ENQUEUED_AT, time.time())


@signals.task_prerun.connect
def _observe_latency(task=None, **kwargs):
    task.request.minitter_started_at = time.monotonic()
    enqueued_at = getattr(task.request, ENQUEUED_AT, None)
    if enqueued_at is not None and not task.request.is_eager:
        TASK_LATENCY.labels(task=task.name).observe(max(0.0, time.time() - float(enqueued_at)))


@signals.task_postrun.connect
def _observe_duration(task=None, state=None, **kwargs):
    started = getattr(task.request, "minitter_started_at", None)
    if started is not None:
        TASK_DURATION.labels(task=task.name, state=state or "UNKNOWN").observe(
            time.monotonic() - started
        )


class QueueLengthCollector:
    """``minitter_task_queue_length{queue}``: messages waiting in the broker, read when scraped."""

    def __init__(self, app):
        self.app = app

    def collect(self):
        from prometheus_client.core import GaugeMetricFamily

        gauge = GaugeMetricFamily(
            "minitter_task_queue_length",
            "Messages waiting in the broker's queue.",
            labels=["queue"],
        )
        queue = self.app.conf.task_default_queue
        try:
            with self.app.connection_for_read() as connection:
                channel = connection.default_channel
                try:
                    count = channel.queue_declare(queue=queue, passive=True).message_count
                except connection.channel_errors:  # Redis has no key for an empty queue
                    count = 0
                gauge.add_metric([queue], count)
        except BROKER_ERRORS as exc:
            logger.warning("queue length unavailable: %s", type(exc).__name__)
        yield gauge


def serve_worker_metrics(app, bind: str) -> None:
    """Serve a worker's Prometheus metrics on ``host:port``. With PROMETHEUS_MULTIPROC_DIR set
    (needed for the prefork pool), every pool process's samples are reported; files left by
    processes that no longer run are removed first."""
    from prometheus_client import REGISTRY, CollectorRegistry, start_http_server
    from prometheus_client.multiprocess import MultiProcessCollector

    host, _, port = bind.rpartition(":")
    registry = REGISTRY
    multiproc_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if multiproc_dir:
        _remove_dead_process_files(Path(multiproc_dir))
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    registry.register(QueueLengthCollector(app))
    start_http_server(int(port), addr=host or "127.0.0.1", registry=registry)


def _remove_dead_process_files(directory: Path) -> None:
    for path in directory.glob("*_*.db"):
        pid = path.stem.rpartition("_")[2]
        if pid.isdigit() and not _running(int(pid)):
            path.unlink(missing_ok=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@signals.worker_process_shutdown.connect
def _mark_pool_process_dead(pid=None, **kwargs):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR") and pid:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)


@shared_task(**RETRY_POLICY)
def idempotency_keys_purge() -> int:
    """Delete Idempotency-Key records past IDEMPOTENCY_KEY_HOURS. Idempotent."""
    from core.idempotency import idempotency_keys_purge as purge

    return purge()
