"""gunicorn settings, from environment variables: ``gunicorn -c gunicorn.conf.py minitter.wsgi``.

Prometheus metrics from several workers: set PROMETHEUS_MULTIPROC_DIR to an empty directory
writable by the app; it is cleared when gunicorn starts and each worker's files are marked dead
when it exits, so /metrics on any worker reports the whole instance.
"""

import json
import multiprocessing
import os
import shutil
import socket
from pathlib import Path

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 2))
worker_class = "gthread" if threads > 1 else "sync"

# A request that takes longer is killed; a restart lets running requests finish first.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 30))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", 5))
# Recycle workers now and then so that slow leaks never add up.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 2000))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", 200))

# Only the local proxy may set X-Forwarded-* for gunicorn.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")

# No control socket: several instances on one machine would otherwise share $HOME/.gunicorn.
control_socket_disable = True

# The app writes one JSON line per request (with request and user ids); gunicorn's own access
# log duplicates it and is off unless GUNICORN_ACCESS_LOG=1.
access_log_enabled = os.environ.get("GUNICORN_ACCESS_LOG", "") not in ("", "0", "false")
access_log_format = json.dumps(
    {
        "timestamp": "%(t)s",
        "remote": "%(h)s",
        "method": "%(m)s",
        "path": "%(U)s",
        "status": "%(s)s",
        "bytes": "%(B)s",
        "duration_ms": "%(M)s",
        "request_id": "%({x-request-id}o)s",
        "user_agent": "%(a)s",
    }
)
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# gunicorn's own messages as JSON too (its defaults are merged key by key, so name them all).
_stderr = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "minitter.logging.JsonFormatter"},
        "as_is": {"format": "%(message)s"},  # access lines are JSON already
    },
    "handlers": {
        "console": _stderr,
        "error_console": _stderr,
        "access": {
            "class": "logging.StreamHandler",
            "formatter": "as_is",
            "stream": "ext://sys.stdout",
        },
    },
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        "gunicorn.error": {"handlers": ["error_console"], "level": "INFO", "propagate": False},
        "gunicorn.access": {
            "handlers": ["access"] if access_log_enabled else [],
            "level": "INFO",
            "propagate": False,
        },
    },
}


# Requests gunicorn refuses itself (a malformed request line, headers too large) are answered in
# the API's JSON error shape instead of gunicorn's HTML page. Workers are forked from this process,
# so they inherit the replacement.
_GUNICORN_ERROR_CODES = {
    400: "bad_request",
    403: "permission_denied",
    414: "uri_too_long",
    417: "expectation_failed",
    431: "request_header_fields_too_large",
    500: "server_error",
    501: "not_implemented",
}


def json_write_error(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    from gunicorn import util

    body = json.dumps(
        {"code": _GUNICORN_ERROR_CODES.get(status_int, "bad_request"), "detail": mesg or reason}
    ).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin1") + body)


def _use_json_errors() -> None:
    from gunicorn import util

    util.write_error = json_write_error


_use_json_errors()


def on_starting(server):
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        Path(directory).mkdir(parents=True, exist_ok=True)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
