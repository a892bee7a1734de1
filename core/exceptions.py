"""API-wide error handling: one error shape for every error, and JSON error pages.

Every error the API answers is one JSON object::

    {"code": "invalid", "detail": "username: This field is required.",
     "fields": {"username": [{"code": "required", "detail": "This field is required."}]}}

``code`` is stable and machine-readable (``invalid``, ``not_authenticated``, ``not_found``,
``throttled``, ...); ``detail`` is for people; ``fields`` appears on validation errors only and
maps each invalid field (nested ones as ``media_ids.0``) to its errors, each with its own code.

Services raise Django's ``ValidationError`` so they do not depend on DRF; the handler turns it into
a 400. A backing service that cannot be reached (``DependencyUnavailable``, e.g. the media store)
is a 503 with ``Retry-After``, and so is a database that cannot be reached or does not answer in
time (``DATABASE_ERRORS``). A write that a concurrent change made impossible (the row it refers
to was removed, or the same row was made at the same moment: ``is_write_conflict``) is a 409.
Errors outside DRF views (an unknown URL, a crash, a body refused
by a middleware, too many fields or files, a refused CSRF check, a method a ``read_only`` view
does not take) use the same shape, so clients never parse an HTML error page (a browser's form
that fails its CSRF check still gets Django's page). ``fields_renamed`` names a service's
validation errors by the parameters the client sent.

A second API surface with its own error shape (the Mastodon-compatible one) overrides
``get_exception_handler()`` on its views.
"""

import logging
import sys
from contextlib import contextmanager
from functools import wraps

from django.conf import settings
from django.core.exceptions import BadRequest, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from django.views.csrf import csrf_failure as django_csrf_failure
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
VALIDATION_CODE = "invalid"


class DependencyUnavailable(Exception):
    """A backing service (storage, ...) could not be reached; nothing was stored or changed.
    Subclasses set ``detail`` to say which."""

    detail = "A service minitter depends on is unavailable right now; nothing was saved."
    code = "service_unavailable"


class DatabaseUnavailable(DependencyUnavailable):
    detail = "The database is unavailable right now; nothing was saved. Try again later."
    code = "database_unavailable"


# Connection refused or lost, a timeout, a lock not obtained in time: try again later (a 503).
DATABASE_ERRORS = (OperationalError, InterfaceError)


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Service unavailable; nothing was saved. Try again later."
    default_code = "service_unavailable"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state."
    default_code = "conflict"


class WriteConflict(Conflict):
    default_detail = (
        "A change made at the same moment conflicts with this request (what it refers to was "
        "removed, or made by another request); nothing was saved."
    )
    default_code = "write_conflict"


class PageRequestInvalid(BadRequest):
    """A request to a plain Django view (not DRF's) that it cannot answer, such as a page's query
    parameter that is not what it must be: a 400 whose detail is the exception's message, for
    the client to mend."""


# PostgreSQL's SQLSTATEs for a foreign key or a unique constraint violated, and SQLite's messages.
_CONFLICT_SQLSTATES = {"23503", "23505"}
_CONFLICT_SQLITE_MESSAGES = ("FOREIGN KEY constraint failed", "UNIQUE constraint failed")


def is_write_conflict(exc: BaseException) -> bool:
    """Whether ``exc`` is the ``IntegrityError`` of a foreign key or a unique constraint: what a
    concurrent write causes (a row referred to was deleted meanwhile, such as an account deleted
    while its own request was on its way; a unique row was made by another request first).
    Other integrity errors (a NOT NULL column left empty) are bugs, and stay 500s."""
    if not isinstance(exc, IntegrityError):
        return False
    cause = exc.__cause__
    if getattr(cause, "pgcode", None) in _CONFLICT_SQLSTATES:
        return True
    return str(exc).startswith(_CONFLICT_SQLITE_MESSAGES)


def as_write_conflict(exc: BaseException) -> WriteConflict | None:
    """A ``WriteConflict`` (409) for a write conflict (``is_write_conflict``), logged with its
    traceback: a bug that violates such a constraint answers 409 too, and shows there."""
    if not is_write_conflict(exc):
        return None
    logger.warning("write conflict answered 409", exc_info=exc)
    return WriteConflict()


def as_database_unavailable(exc: BaseException) -> DatabaseUnavailable:
    """A ``DatabaseUnavailable`` (503) for a ``DATABASE_ERRORS`` exception, logged in one line with
    its SQLSTATE: a refused connection, a deadline passed, a lock not obtained in time and a
    deadlock all answer the same 503, and only the log tells them apart."""
    cause = exc.__cause__ or exc
    message = str(exc).strip().splitlines()
    logger.warning(
        "database unavailable, answered 503: [%s] %s",
        getattr(cause, "pgcode", None) or type(cause).__name__,
        message[0] if message else "",
    )
    return DatabaseUnavailable()


@contextmanager
def fields_renamed(**names: str):
    """Validation errors of a service call named by the parameters the client sent
    (``fields_renamed(text="status")``) rather than by the service's own fields."""
    try:
        yield
    except DjangoValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        raise DjangoValidationError(
            {names.get(name, name): errors for name, errors in exc.error_dict.items()}
        ) from exc


def error_body(code: str, detail: str, fields: dict | None = None) -> dict:
    """The one error shape."""
    body = {"code": code, "detail": detail}
    if fields is not None:
        body["fields"] = fields
    return body


def error_response(code: str, detail: str, status_code: int, **headers) -> JsonResponse:
    """An error outside DRF views (middleware, error pages), in the same shape."""
    response = JsonResponse(error_body(code, detail), status=status_code)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _flatten(details, prefix: str, into: dict) -> None:
    """DRF's nested full details -> ``{"a.0.b": [{"code", "detail"}]}``."""
    if isinstance(details, dict) and set(details) == {"message", "code"}:
        into.setdefault(prefix, []).append(
            {"code": str(details["code"]), "detail": str(details["message"])}
        )
    elif isinstance(details, dict):
        for key, value in details.items():
            _flatten(value, f"{prefix}.{key}" if prefix else str(key), into)
    elif isinstance(details, list):
        for value in details:
            _flatten(value, prefix, into)


def validation_body(exc: exceptions.ValidationError) -> dict:
    fields: dict[str, list[dict]] = {}
    _flatten(exc.get_full_details(), "", fields)
    general = [
        error
        for key in ("", api_settings.NON_FIELD_ERRORS_KEY, "detail")
        for error in fields.pop(key, [])
    ]
    if general:
        detail = " ".join(error["detail"] for error in general)
    else:
        name, errors = next(iter(fields.items()), ("", [{"detail": "Invalid input."}]))
        detail = f"{name}: {errors[0]['detail']}" if name else errors[0]["detail"]
    return error_body(VALIDATION_CODE, detail, fields)


def api_exception_body(exc: exceptions.APIException) -> dict:
    """The error shape of any DRF exception."""
    if isinstance(exc, exceptions.ValidationError):
        return validation_body(exc)
    detail = exc.detail
    if isinstance(detail, dict):  # SimpleJWT: {"detail", "code", "messages"}
        return error_body(
            str(detail.get("code", exc.default_code)), str(detail.get("detail", exc.default_detail))
        )
    if isinstance(detail, list):
        detail = " ".join(str(item) for item in detail)
    return error_body(str(getattr(detail, "code", None) or exc.default_code), str(detail))


def to_api_exception(exc):
    """Exceptions of Django and of services, as the DRF exception they answer with."""
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(detail=as_serializer_error(exc))
    if conflict := as_write_conflict(exc):
        return conflict
    if isinstance(exc, DATABASE_ERRORS):
        exc = as_database_unavailable(exc)
    if isinstance(exc, DependencyUnavailable):
        return ServiceUnavailable(detail=exc.detail, code=exc.code)
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(detail=str(exc) or None)
    return exc


def exception_handler(exc, context):
    exc = to_api_exception(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    response.data = api_exception_body(exc)
    if isinstance(exc, ServiceUnavailable):
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def not_found(request, exception=None):
    return error_response("not_found", "Not found.", 404)


def csrf_failure(request, reason=""):
    """``CSRF_FAILURE_VIEW``: the one JSON shape, except for a browser's form (its ``Accept``
    prefers HTML: the admin, the login and authorization pages), which gets Django's page."""
    if request.get_preferred_type(["application/json", "text/html"]) == "text/html":
        return django_csrf_failure(request, reason)
    return error_response("csrf_failed", f"CSRF check failed: {reason}", 403)


def read_only(view):
    """A function view that only answers GET and HEAD: any other method is a JSON 405 with
    ``Allow``, answered before the CSRF check (these views change nothing)."""

    @csrf_exempt
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return error_response(
                "method_not_allowed",
                f'Method "{request.method}" not allowed.',
                405,
                Allow="GET, HEAD",
            )
        return view(request, *args, **kwargs)

    return wrapper


def bad_request(request, exception=None):
    """Django's refusals of a request (``SuspiciousOperation``, ``BadRequest``): those a client
    can mend are named."""
    if isinstance(exception, TooManyFieldsSent):
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        return error_response("too_many_fields", f"At most {limit} fields in one request.", 400)
    if isinstance(exception, TooManyFilesSent):
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FILES
        return error_response("too_many_files", f"At most {limit} files in one request.", 400)
    if isinstance(exception, PageRequestInvalid):
        return error_response(VALIDATION_CODE, str(exception), 400)
    return error_response("bad_request", "Bad request.", 400)


def permission_denied(request, exception=None):
    return error_response(
        "permission_denied", "You do not have permission to perform this action.", 403
    )


def server_error(request):
    if isinstance(exc := sys.exc_info()[1], DATABASE_ERRORS):  # outside DRF views (admin, ...)
        as_database_unavailable(exc)
        return error_response(
            DatabaseUnavailable.code,
            DatabaseUnavailable.detail,
            503,
            Retry_After=str(RETRY_AFTER_SECONDS),
        )
    return error_response("server_error", "Server error.", 500)
