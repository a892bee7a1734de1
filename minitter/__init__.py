"""minitter: a mini-Twitter REST API (project wiring: settings, URLs, WSGI, the Celery app)."""

from minitter.celery import app as celery_app

__all__ = ("celery_app",)
