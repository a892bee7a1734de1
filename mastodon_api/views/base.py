"""What every endpoint of the Mastodon surface shares: bearer authentication (OAuth or SimpleJWT
tokens, never cookies), a scope per method, Mastodon's error shape and status codes, parsers for
form, JSON and multipart bodies, and helpers to read Mastodon's parameters (``media_ids[]``).
"""

import re

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from oauth2_provider.models import AbstractAccessToken
from rest_framework import exceptions
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import AccountOAuthAuthentication, AccountTokenAuthentication
from core.exceptions import (
    DATABASE_ERRORS,
    RETRY_AFTER_SECONDS,
    DependencyUnavailable,
    as_database_unavailable,
    as_write_conflict,
)
from core.fields import parse_id
from core.parsers import FormParser, JSONParser, MultiPartParser
from core.renderers import JSONRenderer
from mastodon_api.scopes import covers


class OAuthAuthentication(AccountOAuthAuthentication):
    coarse_scopes = False  # each view names the scope it needs
    www_authenticate_realm = "Doorkeeper"


class HasScope(BasePermission):
    """The view's ``scopes`` maps a method to the scope it needs; methods in ``public`` need no
    token. SimpleJWT tokens are the account's own login and carry every scope. ``HEAD`` is a
    ``GET`` without the body (Django runs ``get`` for it), and needs what ``GET`` needs."""

    def has_permission(self, request, view):
        method = "GET" if request.method == "HEAD" else request.method
        required = view.scopes.get(method)
        if method in view.public or method == "OPTIONS":
            return True
        if required is None:
            raise exceptions.MethodNotAllowed(request.method)
        if not request.user or not request.user.is_authenticated:
            raise exceptions.NotAuthenticated()
        token = request.auth
        if isinstance(token, AbstractAccessToken) and not covers(token.scope.split(), required):
            raise exceptions.PermissionDenied("This action is outside the authorized scopes")
        return True


class IgnoreAccept(BaseContentNegotiation):
    """Always JSON, whatever the client's Accept header says."""

    def select_parser(self, request, parsers):
        for parser in parsers:
            if request.content_type.split(";")[0].strip() == parser.media_type:
                return parser
        return None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def _message(detail) -> str:
    if isinstance(detail, dict):
        return "; ".join(
            f"{'' if name in ('detail', 'non_field_errors') else name + ': '}{_message(value)}"
            for name, value in detail.items()
        )
    if isinstance(detail, list):
        return " ".join(_message(item) for item in detail)
    return str(detail)


def exception_handler(exc, context):
    """Mastodon's error shape ``{"error": "..."}``: 401 without a valid token, 403 for a scope or
    permission, 404 for what the caller may not see, 422 for invalid input, 409 for a write a
    concurrent change made impossible."""
    headers = {}
    if isinstance(exc, DjangoValidationError):
        status, message = (
            422,
            "Validation failed: "
            + _message(exc.message_dict if hasattr(exc, "error_dict") else exc.messages),
        )
    elif isinstance(exc, exceptions.ValidationError):
        status, message = 422, "Validation failed: " + _message(exc.detail)
    elif isinstance(exc, Http404 | exceptions.NotFound):
        status, message = 404, "Record not found"
    elif isinstance(exc, DjangoPermissionDenied):
        status, message = 403, str(exc) or "This action is not allowed"
    elif isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        status, message = 401, "The access token is invalid"
        view = context["view"]
        header = view.get_authenticate_header(context["request"])
        if header:
            headers["WWW-Authenticate"] = header
    elif conflict := as_write_conflict(exc):
        status, message = conflict.status_code, str(conflict.detail)
    elif isinstance(exc, (DependencyUnavailable, *DATABASE_ERRORS)):
        if isinstance(exc, DATABASE_ERRORS):
            exc = as_database_unavailable(exc)
        status, message = 503, exc.detail
        headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    elif isinstance(exc, exceptions.APIException):
        status, message = exc.status_code, _message(exc.detail)
        if isinstance(exc, exceptions.Throttled) and exc.wait:
            headers["Retry-After"] = str(int(exc.wait))
    else:
        return None
    return Response({"error": message}, status=status, headers=headers)


class ObjectJSONParser(JSONParser):
    """A JSON body of parameters: an object, as Mastodon takes its parameters, never a list or a
    bare value (a 400)."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if not isinstance(data, dict):
            raise exceptions.ParseError("The JSON body must be an object of parameters.")
        return data


class MastodonView(APIView):
    authentication_classes = [OAuthAuthentication, AccountTokenAuthentication]
    permission_classes = [HasScope]
    renderer_classes = [JSONRenderer]  # DRF's JSON, written by orjson: the same bytes, faster
    parser_classes = [ObjectJSONParser, FormParser, MultiPartParser]
    content_negotiation_class = IgnoreAccept
    scopes: dict[str, str] = {}
    public: frozenset[str] = frozenset()
    # Documented in docs/mastodon-api.md, not in the project's own OpenAPI schema.
    schema = None

    def get_exception_handler(self):
        return exception_handler


# --- Parameters -----------------------------------------------------------------------------------
TRUE = {"1", "true", "t", "on", "yes"}
FALSE = {"0", "false", "f", "off", "no"}
# What JavaScript clients write for a flag they did not set: the default, as for no value.
ABSENT = {"", "null", "undefined"}
WHOLE_NUMBER = re.compile(r"[+-]?[0-9]{1,30}")


def param(data, name: str, default=None):
    """A parameter from ``request.data`` or ``request.query_params``: a mapping either way (a JSON
    body is an object, ``ObjectJSONParser``)."""
    value = data.get(name, default)
    return default if value is None else value


def param_text(data, name: str, default: str = "") -> str:
    value = param(data, name, default)
    if not isinstance(value, str):
        raise DjangoValidationError({name: ["Must be text."]})
    return value


def param_bool(data, name: str, default: bool = False) -> bool:
    value = param(data, name)
    if value is None or (isinstance(value, str) and value.lower() in ABSENT):
        return default
    if isinstance(value, bool):
        return value
    text = str(value).lower() if isinstance(value, str | int) else None
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise DjangoValidationError({name: ["Must be true or false."]})


def param_int(data, name: str, default: int | None = None) -> int | None:
    """A whole number (``"30"`` in forms, ``30`` in JSON); anything else is a 422."""
    value = param(data, name)
    if value is None or value == "":
        return default
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():  # 30.0 in JSON (not 1e400: infinity)
        return int(value)
    if isinstance(value, str) and WHOLE_NUMBER.fullmatch(value):  # ASCII digits only
        return int(value)
    raise DjangoValidationError({name: ["Must be a whole number."]})


def param_list(data, name: str) -> list:
    """A list parameter: ``name[]=1&name[]=2`` in forms and query strings, a JSON array, or
    numbered items ``name[0]=1&name[1]=2`` (how some HTTP libraries write arrays) in their
    order. Two of these ways at once, an item numbered twice (``name[1]``, ``name[01]``) or a key
    ``name[…]`` that is no list item is a 422, never left out."""
    ways = [_list_given(data, key) for key in (f"{name}[]", name)]
    ways.append(_numbered_items(data, name))
    given = [values for values in ways if values]
    if len(given) > 1:
        raise DjangoValidationError({name: [f"Send {name}[], {name} or {name}[0], not two."]})
    return given[0] if given else []


def _list_given(data, key: str) -> list:
    if hasattr(data, "getlist"):
        return data.getlist(key)
    value = data.get(key)
    return [] if value is None else value if isinstance(value, list) else [value]


def _numbered_items(data, name: str) -> list:
    items = []
    prefix = f"{name}["
    for key in data:
        if not key.startswith(prefix) or key == f"{name}[]":
            continue
        index = key[len(prefix) : -1] if key.endswith("]") else ""
        many = hasattr(data, "getlist") and len(data.getlist(key)) > 1
        # Plain numbers only (no sign, no leading zero: one spelling per item), each given once.
        if not WHOLE_NUMBER.fullmatch(index) or index != str(abs(int(index))) or many:
            raise DjangoValidationError({name: [f"Not an item of a list: {key}."]})
        items.append((int(index), key))
    return [data[key] for _, key in sorted(items)]


def param_ids(data, name: str) -> list[int]:
    ids = []
    for value in param_list(data, name):
        number = parse_id(value)
        if number is None:
            raise DjangoValidationError({name: [f"Not an id: {value!r}."]})
        ids.append(number)
    return ids


def path_id(value) -> int:
    """An id from the URL; anything that cannot be one is a 404, as for an unknown id."""
    number = parse_id(value)
    if number is None:
        raise Http404
    return number


def paged(data, link: str | None) -> Response:
    response = Response(data)
    if link:
        response["Link"] = link
    return response
