"""WSGI entry point for gunicorn: ``gunicorn minitter.wsgi``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minitter.settings")

application = get_wsgi_application()
