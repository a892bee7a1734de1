"""API-wide error handling: the DRF exception handler and JSON error pages.

Services raise Django's ``ValidationError`` so they do not depend on DRF; the handler turns it into
a 400 with DRF's usual ``{"field": ["message"]}`` shape. A backing service that cannot be reached
(``DependencyUnavailable``, e.g. the media store) is a 503 with ``Retry-After``. Errors outside DRF
views (an unknown URL, a crash) are JSON as well, so clients never have to parse an HTML error page.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from rest_framework import exceptions
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

RETRY_AFTER_SECONDS = 30


class DependencyUnavailable(Exception):
    """A backing service (storage, ...) could not be reached; nothing was stored or changed.
    Subclasses set ``detail`` to say which."""

    detail = "A service minitter depends on is unavailable right now; nothing was saved."
    code = "service_unavailable"


class ServiceUnavailable(exceptions.APIException):
    status_code = 503
    default_detail = "Service unavailable; nothing was saved. Try again later."
    default_code = "service_unavailable"


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=as_serializer_error(exc))
    elif isinstance(exc, DependencyUnavailable):
        exc = ServiceUnavailable(detail=exc.detail, code=exc.code)
    response = drf_exception_handler(exc, context)
    if isinstance(exc, ServiceUnavailable) and response is not None:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def not_found(request, exception=None):
    return JsonResponse({"detail": "Not found."}, status=404)


def bad_request(request, exception=None):
    return JsonResponse({"detail": "Bad request."}, status=400)


def permission_denied(request, exception=None):
    return JsonResponse(
        {"detail": "You do not have permission to perform this action."}, status=403
    )


def server_error(request):
    return JsonResponse({"detail": "Server error."}, status=500)
