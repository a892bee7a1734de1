"""The Celery application: background tasks of every app, periodic jobs (beat), worker metrics.

    celery -A minitter worker --loglevel=INFO      # runs tasks (several per machine are fine)
    celery -A minitter beat --loglevel=INFO        # schedules the periodic jobs (run exactly one)

Configuration comes from Django's settings (``CELERY_*``, see minitter/settings.py and the README).
Without ``CELERY_BROKER_URL`` tasks run in-process, right after the transaction that enqueued them
commits (see ``core/tasks.py``).
"""

import os

from celery import Celery, signals

from core.tasks import serve_worker_metrics

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minitter.settings")

app = Celery("minitter")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.worker_init.connect
def _serve_worker_metrics(**kwargs):
    """With CELERY_WORKER_METRICS_BIND set, the worker serves Prometheus metrics: task latency and
    duration (from every pool process, through PROMETHEUS_MULTIPROC_DIR when set), the broker's
    queue lengths and the outbox backlog, read when scraped."""
    from django.conf import settings

    if settings.CELERY_WORKER_METRICS_BIND:
        serve_worker_metrics(app, settings.CELERY_WORKER_METRICS_BIND)
