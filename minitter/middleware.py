"""Request guards that run before any view reads the body."""

from django.conf import settings
from django.http import JsonResponse

from core.exceptions import VALIDATION_CODE, error_body, error_response
from core.parsers import text_problem


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


class QueryStringGuardMiddleware:
    """Refuse query parameters that no database column can hold (NUL, unpaired surrogates) with
    a 400, so no view passes them on to a query (PostgreSQL fails on NUL in text)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for name, values in request.GET.lists():
            for text in (name, *values):
                problem = text_problem(text)
                if problem:
                    code, message = problem
                    field = name if text_problem(name) is None else "query"
                    body = error_body(
                        VALIDATION_CODE,
                        f"{field}: {message}",
                        {field: [{"code": code, "detail": message}]},
                    )
                    return JsonResponse(body, status=400)
        return self.get_response(request)
