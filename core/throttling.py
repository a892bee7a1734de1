"""Rate limits: the throttle base class every limit uses, and the limits on writes.

Rates are read from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` when a request is checked (not
when a class is imported), so settings changes take effect at once. Counters live in the default
cache, which production shares between processes (Redis, or the database; see the settings). When
Redis cannot be reached a throttle lets the request through (fails open) with a warning and a
metric: a brief Redis outage must not take the API down.

Each limit counts in windows: a window opens at the first request that finds none and lasts the
rate's period (a minute for ``10/min``); requests are counted atomically
(``core.cache.window_count``: one Redis transaction, one statement on the window's row in the
database, a lock in the per-process cache), so requests at the same moment are all counted.
(DRF's own throttles read a list of request times and write it back: parallel requests
overwrote each other's and passed the limit.)

Each throttle records the limit it applied; ``RateLimitHeadersMiddleware`` then answers with
``X-RateLimit-Limit``, ``X-RateLimit-Remaining`` and ``X-RateLimit-Reset`` (seconds until a slot
frees) of the tightest one. Over a limit → 429 with ``Retry-After``.
"""

import logging
import math

from prometheus_client import Counter
from redis.exceptions import RedisError
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from core.cache import window_count

logger = logging.getLogger(__name__)

THROTTLE_FAILED_OPEN = Counter(
    "minitter_throttle_failed_open",
    "Requests let through unthrottled because the cache (Redis) could not be reached.",
    ["scope"],
)
RATE_LIMIT_ATTRIBUTE = "minitter_rate_limit"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def failed_open(scope: str, exc: Exception) -> None:
    """Record that the limit ``scope`` was not applied because the cache could not be reached:
    a warning and the ``minitter_throttle_failed_open`` metric. Every rate limit that fails open
    (these throttles, the Mastodon surface's middleware) reports it here."""
    THROTTLE_FAILED_OPEN.labels(scope=scope).inc()
    logger.warning("throttle %s not applied: cache unreachable (%s)", scope, type(exc).__name__)


class RateThrottle(SimpleRateThrottle):
    """A throttle whose rate comes from settings, counted atomically in windows (see above), that
    fails open when the cache is unreachable, and that records its limit for the rate-limit
    headers. Subclasses say what is counted in ``get_cache_key``."""

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        try:
            self.count, started = self._count()
        except RedisError as exc:
            failed_open(self.scope, exc)
            return True
        self.reset_at = started + self.duration
        self._record(request)
        return self.count <= self.num_requests

    def _count(self) -> tuple[int, float]:
        """Count this request in its key's current window: (requests in it so far, the time it
        opened). Redis and the database tell the time left with the count; the per-process cache
        keeps the opening time in a second key."""
        count, left = window_count(self.cache, f"{self.key}:count", self.duration)
        if left is not None:
            return count, self.now - (self.duration - left)
        opened = f"{self.key}:opened"
        if count == 1:
            self.cache.set(opened, self.now, self.duration)
            return count, self.now
        return count, self.cache.get(opened, self.now)

    def wait(self):
        """Seconds until the window closes."""
        return max(0.0, self.reset_at - self.now)

    def _record(self, request) -> None:
        remaining = max(0, self.num_requests - self.count)
        reset = max(0, math.ceil(self.reset_at - self.now))
        django_request = getattr(request, "_request", request)
        current = getattr(django_request, RATE_LIMIT_ATTRIBUTE, None)
        if current is None or remaining < current[1]:
            setattr(django_request, RATE_LIMIT_ATTRIBUTE, (self.num_requests, remaining, reset))


class _WriteThrottle(RateThrottle):
    """Limits writes (POST, PUT, PATCH, DELETE) only; reads are never counted. A view sets
    ``write_throttle_scope = "upload"`` for the stricter limits of CPU-heavy uploads."""

    kind = ""

    def allow_request(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        self.scope = f"{getattr(view, 'write_throttle_scope', 'write')}_{self.kind}"
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def __init__(self):
        pass  # the scope (and so the rate) is known once the view is


class WriteUserThrottle(_WriteThrottle):
    """Writes per logged-in user (anonymous writes are refused anyway, or counted by address)."""

    kind = "user"

    def get_cache_key(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class WriteAddressThrottle(_WriteThrottle):
    """Writes per client address, whoever is logged in."""

    kind = "ip"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
