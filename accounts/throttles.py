"""Throttles for login and sign-up: per client address and per username tried (rates in settings;
how they count and fail open: ``core.throttling``)."""

import hashlib
import math
from functools import wraps

from django.http import HttpResponse

from core.throttling import RateThrottle


class _PerAddress(RateThrottle):
    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class _PerUsername(RateThrottle):
    def get_cache_key(self, request, view):
        data = request.data if hasattr(request, "data") else request.POST  # DRF or a form view
        username = data.get("username") if hasattr(data, "get") else None
        if not isinstance(username, str) or not username:
            return None
        # Any text hashes, even text that is no UTF-8 (an unpaired surrogate from JSON).
        tried = username.strip().lower().encode("utf-8", "surrogatepass")
        digest = hashlib.sha256(tried).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": digest}


class LoginAddressThrottle(_PerAddress):
    scope = "login_ip"


class LoginUsernameThrottle(_PerUsername):
    scope = "login_username"


class SignupAddressThrottle(_PerAddress):
    scope = "signup_ip"


class SignupUsernameThrottle(_PerUsername):
    scope = "signup_username"


def login_form_throttled(view):
    """Give an HTML login form (the admin's, the browsable API's) the limits of the API's login:
    its POSTs count against the same per-address and per-username counters."""

    @wraps(view)
    def throttled_view(request, *args, **kwargs):
        if request.method == "POST":
            for throttle in (LoginAddressThrottle(), LoginUsernameThrottle()):
                if not throttle.allow_request(request, None):
                    wait = max(1, math.ceil(throttle.wait() or 1))
                    response = HttpResponse(
                        f"Too many login attempts. Try again in {wait} seconds.",
                        status=429,
                        content_type="text/plain; charset=utf-8",
                    )
                    response["Retry-After"] = str(wait)
                    return response
        return view(request, *args, **kwargs)

    return throttled_view
