"""Request guards that run before any view reads the body."""

from django.conf import settings

from core.exceptions import error_response


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
