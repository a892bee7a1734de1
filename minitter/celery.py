"""The Celery application: background tasks of every app, periodic jobs (beat), worker metrics.

    celery -A minitter worker --loglevel=INFO --without-mingle --without-gossip
        runs tasks, several per machine if need be (mingle and gossip, which nothing here uses,
        could leave a worker taking no tasks after a Redis restart: celery/celery#7276)
    celery -A minitter beat --loglevel=INFO
        schedules the periodic jobs (run exactly one)

Configuration comes from Django's settings (``CELERY_*``, see minitter/settings.py and the README).
Without ``CELERY_BROKER_URL`` tasks run in-process, right after the transaction that enqueued them
commits (see ``core/tasks.py``).
"""

import os

from celery import Celery, signals

from core import broker
from core.tasks import serve_worker_metrics

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minitter.settings")
# redis:// and rediss:// brokers through kombu's Redis transport with a channel that closes even
# when Redis has gone away, so that a worker reconnects after a Redis restart (core/broker.py).
broker.install()

app = Celery("minitter")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The settings make publishing fail fast, so that a web request never waits for a broker that is
# down. kombu applies those transport options to every connection of the process, so a worker or
# beat would give up reconnecting after one retry and stay disconnected once the broker is back;
# those processes instead retry for as long as it takes, a few seconds apart.
RECONNECT_UNTIL_BACK = {
    "max_retries": None,
    "interval_start": 0,
    "interval_step": 1,
    "interval_max": 5,
}


@signals.celeryd_init.connect
def _worker_reconnects_until_the_broker_is_back(conf, **kwargs):
    conf.broker_transport_options = {**conf.broker_transport_options, **RECONNECT_UNTIL_BACK}


@signals.beat_init.connect
def _beat_reconnects_until_the_broker_is_back(sender, **kwargs):
    _worker_reconnects_until_the_broker_is_back(sender.app.conf)


@signals.worker_init.connect
def _serve_worker_metrics(**kwargs):
    """With CELERY_WORKER_METRICS_BIND set, the worker serves Prometheus metrics: task latency and
    duration (from every pool process, through PROMETHEUS_MULTIPROC_DIR when set), the broker's
    queue lengths and the outbox backlog, read when scraped."""
    from django.conf import settings

    if settings.CELERY_WORKER_METRICS_BIND:
        serve_worker_metrics(app, settings.CELERY_WORKER_METRICS_BIND)
