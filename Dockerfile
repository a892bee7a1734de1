# minitter: gunicorn serving the API. Static files are collected at build time for nginx.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    GUNICORN_BIND=0.0.0.0:8000 \
    GUNICORN_FORWARDED_ALLOW_IPS=* \
    STATIC_ROOT=/srv/minitter/staticfiles \
    MEDIA_ROOT=/srv/minitter/media \
    PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus

RUN groupadd --system --gid 10001 minitter \
    && useradd --system --uid 10001 --gid minitter --home-dir /srv/minitter --no-create-home minitter

WORKDIR /srv/minitter/app

# Dependencies in their own layer: rebuilt only when requirements.txt changes.
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY --chown=minitter:minitter . .

# collectstatic needs production settings to load; these values exist only during the build.
RUN DEBUG=false ALLOWED_HOSTS=build.invalid \
    SECRET_KEY=build-only-secret-key-never-used-at-run-time-0123456789abcdef \
    python manage.py collectstatic --noinput \
    && mkdir -p /srv/minitter/media \
    && chown -R minitter:minitter /srv/minitter/staticfiles /srv/minitter/media

USER 10001:10001
EXPOSE 8000

HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health/live', timeout=2)"]

CMD ["gunicorn", "-c", "gunicorn.conf.py", "minitter.wsgi"]
