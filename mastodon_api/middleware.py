"""The Mastodon surface's middleware: its rate limits, with Mastodon's headers on every response
of it, and Mastodon's error shape on the errors answered before any of its views runs.

Each bearer token (or, without one, each client address) may make ``MASTODON_RATE_LIMIT``
requests per fixed window of ``MASTODON_RATE_WINDOW_SECONDS``; beyond that the answer is 429 with
``Retry-After``. Counters live in the default cache (shared by every process with
``CACHE_BACKEND=database``). Responses carry ``X-RateLimit-Limit``, ``X-RateLimit-Remaining`` and
``X-RateLimit-Reset`` (an ISO 8601 time), as Mastodon's do; where the project's tighter limit on
writes (``core.throttling``) applied, its numbers. While Redis cannot be reached the limit fails
open like the project's throttles (a warning and the ``minitter_throttle_failed_open`` metric,
scope ``mastodon``), and responses go without the headers.
"""

import hashlib
import json
import re
import time
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from django.http import JsonResponse
from redis.exceptions import RedisError
from rest_framework.throttling import BaseThrottle

from core.cache import window_count
from core.throttling import failed_open

SCOPE = "mastodon"
SURFACE = re.compile(r"^/(api/v1/|api/v2/|api/v1$|api/v2$|oauth/|\.well-known/|nodeinfo/)")


def _client_key(request) -> str:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header.lower().startswith("bearer ") and len(header) > 7:
        return "t:" + hashlib.sha256(header[7:].strip().encode()).hexdigest()[:32]
    # The same address rule as the project's throttles (NUM_PROXIES).
    return "a:" + BaseThrottle().get_ident(request)


class RateLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not SURFACE.match(request.path) or request.method == "OPTIONS":
            return self.get_response(request)
        limit = settings.MASTODON_RATE_LIMIT
        window = settings.MASTODON_RATE_WINDOW_SECONDS
        now = time.time()
        start = int(now // window) * window
        try:
            used = self._count(f"mastodon-rate:{_client_key(request)}:{start}", window)
        except RedisError as exc:
            # Fail open, as the project's throttles do: an unreachable Redis must not take the
            # API down. Without a count there are no honest numbers to report.
            failed_open(SCOPE, exc)
            return self.get_response(request)
        remaining = max(0, limit - used)
        reset = start + window
        if used > limit:
            response = JsonResponse({"error": "Too many requests"}, status=429)
            response["Retry-After"] = str(max(1, int(reset - now)))
        else:
            response = self.get_response(request)
            tighter = response.get("X-RateLimit-Remaining")
            if tighter is not None and int(tighter) < remaining:
                # The project's own limit on writes applied and is the tighter one: report it
                # (its reset is in seconds from now; Mastodon clients expect a time).
                limit, remaining = int(response["X-RateLimit-Limit"]), int(tighter)
                reset = now + int(response["X-RateLimit-Reset"])
        response["X-RateLimit-Limit"] = str(limit)
        response["X-RateLimit-Remaining"] = str(remaining)
        response["X-RateLimit-Reset"] = datetime.fromtimestamp(reset, tz=UTC).strftime(
            "%Y-%m-%dT%H:%M:%S.000Z"
        )
        return response

    @staticmethod
    def _count(key: str, window: int) -> int:
        """This request's number in the window."""
        return window_count(cache, key, window + 5)[0]


class ErrorShapeMiddleware:
    """Errors answered on the surface before a Mastodon view runs (the project's request guards:
    a body too large, a bad ``Content-Length``, NUL in the path; a server error or an unreachable
    database outside a view) come in the project's shape ``{"code", "detail"}``. Mastodon's
    clients read ``{"error": "..."}``, so those get ``{"error": detail}``, status and headers
    kept. Answers already in Mastodon's shape (its views, OAuth's ``error_description``) pass
    unchanged."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code < 400
            or not SURFACE.match(request.path)
            or response.get("Content-Type") != "application/json"
            or getattr(response, "streaming", False)
        ):
            return response
        try:
            body = json.loads(response.content)
        except ValueError:
            return response
        if isinstance(body, dict) and set(body) - {"fields"} == {"code", "detail"}:
            # Every 404 of the surface says what its views say.
            message = "Record not found" if response.status_code == 404 else str(body["detail"])
            response.content = json.dumps({"error": message}).encode()
            if response.has_header("Content-Length"):
                response["Content-Length"] = str(len(response.content))
        return response
