"""API-wide plumbing: the exception handler and JSON error pages.

Services raise Django's ``ValidationError`` so they do not depend on DRF; the handler turns it into
a 400 with DRF's usual ``{"field": ["message"]}`` shape. An unreachable media store is a 503.
Errors outside DRF views (an unknown URL, a crash) are JSON as well, so clients never have to parse
an HTML error page.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

from media.services import MediaStorageUnavailable


class ServiceUnavailable(exceptions.APIException):
    status_code = 503
    default_detail = "Media storage is unavailable right now; nothing was saved. Try again later."
    default_code = "storage_unavailable"


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=as_serializer_error(exc))
    elif isinstance(exc, MediaStorageUnavailable):
        exc = ServiceUnavailable()
    response = drf_exception_handler(exc, context)
    if isinstance(exc, ServiceUnavailable) and response is not None:
        response["Retry-After"] = "30"
    return response


@extend_schema(exclude=True)
@api_view(["GET"])
@permission_classes([AllowAny])
def api_root(request, format=None):
    """The entry points of the API, as links (start here in the browsable API)."""

    def link(name):
        return reverse(name, request=request, format=format)

    return Response(
        {
            "signup": link("auth-signup"),
            "token": link("auth-token"),
            "token_refresh": link("auth-token-refresh"),
            "logout": link("auth-logout"),
            "me": link("account-me"),
            "accounts": link("account-list"),
            "tweets": link("tweet-list"),
            "home_timeline": link("timeline-home"),
            "media": link("media-upload"),
            "reports": link("report-create"),
            "schema": link("schema"),
            "docs": link("swagger-ui"),
        }
    )


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
