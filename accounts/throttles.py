"""Throttles for login and sign-up: per client address and per username tried.

Rates are read when a request is checked (not when the class is imported), so settings changes
take effect at once. Counters live in the default cache; several processes need a shared cache
(Redis with ``REDIS_URL``, or ``CACHE_BACKEND=database``). When Redis cannot be reached the
throttle lets the request through (fails open) with a warning and a metric: a brief Redis outage
must not take logins and sign-ups down.
"""

import hashlib
import logging

from redis.exceptions import RedisError
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from accounts.metrics import THROTTLE_FAILED_OPEN

logger = logging.getLogger(__name__)


class _RateFromSettings(SimpleRateThrottle):
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except RedisError as exc:
            THROTTLE_FAILED_OPEN.labels(scope=self.scope).inc()
            logger.warning(
                "throttle %s not applied: cache unreachable (%s)", self.scope, type(exc).__name__
            )
            return True


class _PerAddress(_RateFromSettings):
    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class _PerUsername(_RateFromSettings):
    def get_cache_key(self, request, view):
        username = request.data.get("username") if hasattr(request.data, "get") else None
        if not isinstance(username, str) or not username:
            return None
        digest = hashlib.sha256(username.strip().lower().encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": digest}


class LoginAddressThrottle(_PerAddress):
    scope = "login_ip"


class LoginUsernameThrottle(_PerUsername):
    scope = "login_username"


class SignupAddressThrottle(_PerAddress):
    scope = "signup_ip"


class SignupUsernameThrottle(_PerUsername):
    scope = "signup_username"
