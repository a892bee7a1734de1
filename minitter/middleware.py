"""Request guards that run before any view reads the body."""

from django.conf import settings
from django.core.handlers.wsgi import get_bytes_from_wsgi
from django.http import JsonResponse

from core.exceptions import VALIDATION_CODE, error_body, error_response
from core.parsers import form_encoding_problem, text_problem
from core.throttling import RATE_LIMIT_ATTRIBUTE


class RequestBodyLimitMiddleware:
    """Refuse a request whose declared body is larger than we accept, before it is read.

    JSON and form bodies are capped at ``MINITTER_MAX_JSON_BODY``; multipart uploads at
    ``MINITTER_MAX_UPLOAD_BODY`` (set by the media settings, defaulting to the JSON cap).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        declared = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(declared)
        except ValueError:
            return error_response("bad_request", "Invalid Content-Length header.", 400)
        if request.content_type == "multipart/form-data":
            limit = getattr(settings, "MINITTER_MAX_UPLOAD_BODY", settings.MINITTER_MAX_JSON_BODY)
        else:
            limit = settings.MINITTER_MAX_JSON_BODY
        if length > limit:
            return error_response(
                "request_too_large",
                f"Request body too large: at most {limit} bytes are accepted.",
                413,
            )
        return self.get_response(request)


class UrlTextGuardMiddleware:
    """Refuse a path or query parameters that no database column can hold (NUL, unpaired
    surrogates) with a 400, so no view passes them on to a query (PostgreSQL fails on NUL in
    text): ``accounts/a%00b/avatar`` as much as ``accounts?search=%00``; and a query string whose
    %-escapes are no UTF-8 (``?q=%ff``), which Django would read as something else."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        problem = text_problem(request.path_info)
        if problem:
            return _refused("path", *problem)
        problem = form_encoding_problem(get_bytes_from_wsgi(request.META, "QUERY_STRING", ""))
        if problem:
            return _refused("query", *problem)
        for name, values in request.GET.lists():
            for text in (name, *values):
                problem = text_problem(text)
                if problem:
                    return _refused(name if text_problem(name) is None else "query", *problem)
        return self.get_response(request)


def _refused(field: str, code: str, message: str) -> JsonResponse:
    body = error_body(
        VALIDATION_CODE, f"{field}: {message}", {field: [{"code": code, "detail": message}]}
    )
    return JsonResponse(body, status=400)


class RateLimitHeadersMiddleware:
    """``X-RateLimit-Limit/Remaining/Reset`` of the tightest limit a throttle applied."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        rate_limit = getattr(request, RATE_LIMIT_ATTRIBUTE, None)
        if rate_limit is not None:
            limit, remaining, reset = rate_limit
            response["X-RateLimit-Limit"] = str(limit)
            response["X-RateLimit-Remaining"] = str(remaining)
            response["X-RateLimit-Reset"] = str(reset)
        return response


class ContentSecurityPolicyMiddleware:
    """``Content-Security-Policy`` (``settings.CONTENT_SECURITY_POLICY``) on HTML pages: the
    browsable API, Swagger UI, the admin and the public pages. JSON answers need none."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = "; ".join(
            f"{directive} {' '.join(sources)}"
            for directive, sources in settings.CONTENT_SECURITY_POLICY.items()
        )

    def __call__(self, request):
        response = self.get_response(request)
        if response.get("Content-Type", "").startswith("text/html"):
            response.setdefault("Content-Security-Policy", self.policy)
        return response
