"""The OAuth 2 server Mastodon apps talk to, built on django-oauth-toolkit.

- ``GET/POST /oauth/authorize``: an HTML page where a person logs in (username or email and
  password) and approves the app's scopes; then a redirect to the app with a code, or the code
  shown on the page for ``urn:ietf:wg:oauth:2.0:oob``. PKCE (S256) is checked whenever a challenge
  is sent; ``force_login=true`` asks for the password even with a session.
- ``POST /oauth/token`` (authorization_code, password, client_credentials, refresh_token) in form
  or JSON; ``POST /oauth/revoke``; ``GET /.well-known/oauth-authorization-server`` (RFC 8414).

Every app may use every grant; the scopes it may get are those it registered (``read`` also allows
``read:statuses`` and the like).
"""

import io
import json
import time
from contextlib import contextmanager
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.contrib.auth import authenticate, login
from django.contrib.auth.hashers import check_password
from django.db import transaction
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from oauth2_provider.exceptions import FatalClientError, OAuthToolkitError
from oauth2_provider.models import (
    get_application_model,
    get_grant_model,
    get_refresh_token_model,
)
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.scopes import BaseScopes
from oauth2_provider.views import RevokeTokenView, TokenView
from oauth2_provider.views.mixins import OAuthLibMixin
from oauthlib.oauth2.rfc6749.errors import (
    AccessDeniedError,
    InvalidGrantError,
    InvalidRequestError,
)
from rest_framework.exceptions import ParseError, ValidationError

from accounts.cache import oauth_token
from accounts.services import account_lock_for_tokens
from accounts.throttles import LoginAddressThrottle, LoginUsernameThrottle
from core.exceptions import error_response, read_only, validation_body
from core.parsers import JSONParser, check_data, form_values
from mastodon_api.scopes import SCOPES, expand, scope_list
from mastodon_api.services import FORBIDDEN_SCHEMES, OOB

GRANT_TYPES = {"authorization_code", "password", "client_credentials", "refresh_token"}
Grant = get_grant_model()
OAuthRefreshToken = get_refresh_token_model()


def _registered_scopes(application) -> list[str]:
    registration = getattr(application, "mastodon", None)
    return scope_list(registration.scopes) if registration is not None else ["read"]


class ApplicationScopes(BaseScopes):
    """An app may get the scopes it registered and their sub-scopes; without a ``scope``
    parameter it gets ``read`` (as on Mastodon) or, lacking that, what it registered."""

    def get_all_scopes(self):
        return SCOPES

    def get_available_scopes(self, application=None, request=None, *args, **kwargs):
        if application is None:
            return list(SCOPES)
        return sorted(expand(_registered_scopes(application)))

    def get_default_scopes(self, application=None, request=None, *args, **kwargs):
        registered = _registered_scopes(application) if application is not None else ["read"]
        return ["read"] if "read" in registered else registered


class MastodonOAuth2Validator(OAuth2Validator):
    def _load_access_token(self, token):
        """The bearer token of a request, from its copy in the shared cache while current
        (``accounts.cache.OAUTH_TOKENS``): every request of an app reads it. django-oauth-toolkit
        then checks its expiry, scopes and app as it would a row just read."""
        return oauth_token(token)

    def validate_grant_type(self, client_id, grant_type, client, request, *args, **kwargs):
        # The token view refuses other grants before the toolkit reads them; this is the rule
        # for oauthlib's own dispatch, which the view's check only brings forward.
        return grant_type in GRANT_TYPES and client.is_usable(request)

    def validate_redirect_uri(self, client_id, redirect_uri, request, *args, **kwargs):
        """As the toolkit's, but a URI it cannot compare (a registered or requested port out of
        range: apps registered before registration refused such URIs) is not allowed, not a 500."""
        try:
            return super().validate_redirect_uri(client_id, redirect_uri, request, *args, **kwargs)
        except ValueError:
            return False

    def validate_response_type(self, client_id, response_type, client, request, *args, **kwargs):
        return response_type == "code"

    def save_bearer_token(self, token, request, *args, **kwargs):
        super().save_bearer_token(token, request, *args, **kwargs)
        token["created_at"] = int(time.time())  # Mastodon's token responses carry it

    # --- Codes and tokens are written holding the account's row ----------------------------------
    # A password change or a deactivation locks the account's row, then deletes its codes and
    # tokens. Each write below takes that lock first and checks again what was validated before
    # it, so a change that came first is seen, and one that comes after deletes what was written.

    def save_authorization_code(self, client_id, code, request, *args, **kwargs):
        """Only while the password the person logged in with (or opened the session with) is
        still the account's."""
        with transaction.atomic():
            _account_locked(request, same_password=True, refusal=AccessDeniedError)
            super().save_authorization_code(client_id, code, request, *args, **kwargs)

    def _save_bearer_token(self, token, request, *args, **kwargs):
        """In the toolkit's transaction: a password login's tokens only while that password is
        still the account's; a code exchanged once, by the exchange that holds it first (it is
        used up here, not after the commit); a refresh token used once, and never after it was
        revoked (its row is read again, locked)."""
        grant_type = request.grant_type
        if grant_type == "client_credentials":
            return super()._save_bearer_token(token, request, *args, **kwargs)
        _account_locked(request, same_password=grant_type == "password")
        if grant_type == "authorization_code":
            code = Grant.objects.select_for_update().filter(
                code=request.code, application=request.client
            )
            if not code.exists():
                raise InvalidGrantError(request=request)
            super()._save_bearer_token(token, request, *args, **kwargs)
            code.delete()
            request.authorization_code_used = True
            return None
        if grant_type == "refresh_token":
            unrevoked = OAuthRefreshToken.objects.select_for_update().filter(
                pk=request.refresh_token_instance.pk, revoked__isnull=True
            )
            if not unrevoked.exists():
                raise InvalidGrantError(request=request)
        return super()._save_bearer_token(token, request, *args, **kwargs)

    def invalidate_authorization_code(self, client_id, code, request, *args, **kwargs):
        """oauthlib's last step of an exchange; the code is used up already, with its tokens."""
        if not getattr(request, "authorization_code_used", False):
            super().invalidate_authorization_code(client_id, code, request, *args, **kwargs)

    # The toolkit reads the code again at each of these steps; one exchanged by another request
    # meanwhile is gone, and the answer is the one for a used code, not a 500.
    def confirm_redirect_uri(self, client_id, code, redirect_uri, client, *args, **kwargs):
        with _code_used_meanwhile_refused():
            return super().confirm_redirect_uri(
                client_id, code, redirect_uri, client, *args, **kwargs
            )

    def get_code_challenge(self, code, request):
        with _code_used_meanwhile_refused():
            return super().get_code_challenge(code, request)

    def get_code_challenge_method(self, code, request):
        with _code_used_meanwhile_refused():
            return super().get_code_challenge_method(code, request)


def _account_locked(request, *, same_password: bool, refusal=InvalidGrantError) -> None:
    """Lock the account the code or tokens are for (``accounts.services.account_lock_for_tokens``)
    and refuse if it was deleted or deactivated, or, with ``same_password``, if its password is no
    longer the one ``request.user`` was loaded with. A password-grant login whose password checks
    against the new hash goes on: another login only renewed the hash (Django upgrades it when
    the hasher's settings change). The authorize page has no password at hand (the toolkit does
    not pass the form on): an approval racing such a renewal is refused, and approved again."""
    current = account_lock_for_tokens(user_id=request.user.pk)
    if current is None:
        raise refusal(request=request)
    password, active = current
    if not active:
        raise refusal(request=request)
    if same_password and password != request.user.password:
        given = getattr(request, "password", None)
        if not (given and check_password(given, password)):
            raise refusal(request=request)


@contextmanager
def _code_used_meanwhile_refused():
    try:
        yield
    except Grant.DoesNotExist:
        raise InvalidGrantError() from None


def _login_throttled(request, username: str) -> bool:
    """The project's login throttles (per address and per username) for HTML and token logins."""
    shim = SimpleNamespace(META=request.META, headers=request.headers, data={"username": username})
    return not all(
        throttle.allow_request(shim, None)
        for throttle in (LoginAddressThrottle(), LoginUsernameThrottle())
    )


class AppRedirect(HttpResponseRedirect):
    """A redirect to an app's registered URI, which may use the app's own scheme."""

    def __init__(self, url):
        scheme = urlsplit(url).scheme.lower()
        self.allowed_schemes = [scheme] if scheme not in FORBIDDEN_SCHEMES else ["https"]
        super().__init__(url)


@method_decorator(never_cache, name="dispatch")
@method_decorator(sensitive_post_parameters("password"), name="dispatch")
class AuthorizeView(OAuthLibMixin, View):
    """The page where a person logs in and lets an app act for them. The OAuth parameters stay in
    the query string; the form posts back to the same address with the login and the decision."""

    template_name = "mastodon_api/authorize.html"

    def get(self, request):
        try:
            scopes, credentials = self._validate(request)
        except OAuthToolkitError as error:
            return self._error(request, error)
        needs_login = self._force_login(request) or not request.user.is_authenticated
        return self._page(request, scopes, credentials, needs_login)

    def post(self, request):
        try:
            scopes, credentials = self._validate(request)
        except OAuthToolkitError as error:
            return self._error(request, error)
        if request.POST.get("decision") != "approve":
            return self._finish(request, scopes, credentials, allow=False)
        if self._force_login(request) or not request.user.is_authenticated:
            username = request.POST.get("username", "").strip()
            if _login_throttled(request, username):
                error = "Too many attempts: wait a minute and try again."
                return self._page(request, scopes, credentials, True, error, status=429)
            user = authenticate(
                request, username=username, password=request.POST.get("password", "")
            )
            if user is None:
                error = "Wrong username or password, or the account cannot be used."
                return self._page(request, scopes, credentials, True, error, status=401)
            login(request, user, backend="accounts.backends.UsernameOrEmailBackend")
        return self._finish(request, scopes, credentials, allow=True)

    # --- steps -----------------------------------------------------------------------------------
    def _force_login(self, request) -> bool:
        """``force_login=true``: the password is asked for even when a session exists."""
        return _truthy(request.GET.get("force_login"))

    def _validate(self, request):
        """Client, redirect URI, scopes and PKCE parameters, as oauthlib checks them (only S256:
        ``COMPLIANT_BCP_RFC9700_PKCE_METHOD``)."""
        scopes, credentials = self.validate_authorization_request(request)
        if credentials.get("code_challenge") and credentials.get("code_challenge_method") != "S256":
            # Refused before the person is asked, back to the (validated) redirect URI.
            error = InvalidRequestError(
                description="Only the S256 code challenge method is supported.",
                state=credentials.get("state"),
            )
            error.redirect_uri = credentials["redirect_uri"]
            raise OAuthToolkitError(error=error)
        return scopes, credentials

    def _page(self, request, scopes, credentials, needs_login, error="", status=200):
        application = get_application_model().objects.get(client_id=credentials["client_id"])
        registration = getattr(application, "mastodon", None)
        context = {
            "application": application,
            "website": registration.website if registration else "",
            "scopes": [(scope, SCOPES.get(scope, scope)) for scope in scopes],
            "needs_login": needs_login,
            "force_login": self._force_login(request),
            "error": error,
            "username": request.POST.get("username", "") if error else "",
            "action": request.get_full_path(),
        }
        response = render(request, self.template_name, context, status=status)
        response["Content-Security-Policy"] = _page_policy(credentials["redirect_uri"])
        return response

    def _finish(self, request, scopes, credentials, allow):
        try:
            uri, _headers, _body, _status = self.create_authorization_response(
                request=request, scopes=" ".join(scopes), credentials=credentials, allow=allow
            )
        except OAuthToolkitError as error:
            return self._error(request, error)
        if uri.startswith(OOB):
            code = parse_qs(urlsplit(uri).query).get("code", [""])[0]
            return render(request, "mastodon_api/authorize_oob.html", {"code": code})
        return AppRedirect(uri)

    def _error(self, request, error):
        """Errors about the client or its redirect URI are shown here; others go back to the app
        (unless it asked for the code to be shown)."""
        if not isinstance(error, FatalClientError):
            redirect, response = self.error_response(error)
            url = response.get("url") if redirect else None
            if url and not url.startswith(OOB):
                return AppRedirect(url)
        oauthlib_error = getattr(error, "oauthlib_error", None)
        description = getattr(oauthlib_error, "description", None) or "Invalid request."
        return render(
            request, "mastodon_api/authorize_error.html", {"error": description}, status=400
        )


def _page_policy(redirect_uri: str) -> str:
    """The site's Content-Security-Policy, letting the form's answer redirect to the app (browsers
    apply ``form-action`` to the redirect that follows a form)."""
    parts = urlsplit(redirect_uri)
    if parts.scheme in ("http", "https"):
        target = f"{parts.scheme}://{parts.netloc}"
    else:
        target = f"{parts.scheme}:"
    policy = {**settings.CONTENT_SECURITY_POLICY}
    if redirect_uri != OOB:
        policy["form-action"] = [*policy.get("form-action", ["'self'"]), target]
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in policy.items())


def _truthy(value) -> bool:
    return str(value).lower() in {"1", "true", "yes", "on"}


def _read_body(request) -> JsonResponse | None:
    """Token and revocation requests come as a form or as JSON; django-oauth-toolkit reads the
    form, so JSON is turned into one. Both are checked by the API's parsers (``core.parsers``):
    a body nested too deep, or holding text no column can hold (NUL, unpaired surrogates), is a
    400 ``invalid_request`` here rather than an error in a database query."""
    try:
        if request.content_type == "application/json":
            data = JSONParser().parse(io.BytesIO(request.body or b"{}"))
            form = QueryDict(mutable=True)
            if isinstance(data, dict):
                form.update({key: str(value) for key, value in data.items() if value is not None})
            request._post = form
            request.META["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
        else:
            check_data(form_values(request.POST))
    except ParseError as error:
        return _invalid_request(str(error.detail))
    except ValidationError as error:
        return _invalid_request(validation_body(error)["detail"])
    return None


def _invalid_request(description: str) -> JsonResponse:
    return JsonResponse({"error": "invalid_request", "error_description": description}, status=400)


class PostOnlyJSON:
    """The OAuth endpoints that take POST: another method is a JSON 405 (Mastodon's shape on its
    surface), and an answer of the toolkit's in JSON says so (some of its errors do not)."""

    def http_method_not_allowed(self, request, *args, **kwargs):
        return error_response(
            "method_not_allowed", f'Method "{request.method}" not allowed.', 405, Allow="POST"
        )

    @staticmethod
    def json_typed(response):
        if response.content and not response.get("Content-Type", "").startswith("application/json"):
            try:
                json.loads(response.content)
            except ValueError:
                return response
            response["Content-Type"] = "application/json"
        return response


@method_decorator(csrf_exempt, name="dispatch")
class MastodonTokenView(PostOnlyJSON, TokenView):
    """``POST /oauth/token``; password logins count against the project's login throttles."""

    def post(self, request, *args, **kwargs):
        if refused := _read_body(request):
            return refused
        grant_type = request.POST.get("grant_type", "")
        if grant_type not in GRANT_TYPES:
            # Refused before the toolkit reads a grant's own parameters (its device-code grant
            # reads ``device_code`` unchecked, a 500 when it is missing).
            error = "unsupported_grant_type" if grant_type else "invalid_request"
            return JsonResponse(
                {
                    "error": error,
                    "error_description": f"Use one of: {', '.join(sorted(GRANT_TYPES))}.",
                },
                status=400,
            )
        if grant_type == "password" and _login_throttled(request, request.POST.get("username", "")):
            return JsonResponse(
                {"error": "slow_down", "error_description": "Too many login attempts."},
                status=429,
            )
        return self.json_typed(super().post(request, *args, **kwargs))


@method_decorator(csrf_exempt, name="dispatch")
class MastodonRevokeView(PostOnlyJSON, RevokeTokenView):
    """``POST /oauth/revoke``: answers ``{}`` like Mastodon."""

    def post(self, request, *args, **kwargs):
        if refused := _read_body(request):
            return refused
        response = super().post(request, *args, **kwargs)
        if response.status_code == 200:
            return JsonResponse({})
        return self.json_typed(response)


@read_only
def server_metadata(request):
    """RFC 8414 authorization server metadata."""
    base = request.build_absolute_uri("/").rstrip("/")
    return JsonResponse(
        {
            "issuer": base + "/",
            "service_documentation": base + "/api/v1/instance",
            "authorization_endpoint": base + reverse("oauth-authorize"),
            "token_endpoint": base + reverse("oauth-token"),
            "revocation_endpoint": base + reverse("oauth-revoke"),
            "app_registration_endpoint": base + "/api/v1/apps",
            "scopes_supported": list(SCOPES),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "code_challenge_methods_supported": ["S256"],
            "grant_types_supported": sorted(GRANT_TYPES),
            "token_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
            ],
        }
    )


@csrf_exempt  # an unknown route answers 404 to every method, with or without a cookie
def not_found_json(request, *args, **kwargs):
    return HttpResponse(
        json.dumps({"error": "Record not found"}), status=404, content_type="application/json"
    )
