"""Bearer-token authentication: SimpleJWT's access tokens and the OAuth access tokens of apps
(django-oauth-toolkit), both refusing suspended and deactivated accounts at once.

On the project's own API an OAuth token needs a ``read`` scope to read and a ``write`` scope to
write; the Mastodon surface checks finer scopes per endpoint.

With read replicas, the token's user is read from a replica unless they wrote recently (then from
the primary, see core/replicas.py); an account or OAuth token too new to have reached the replica
is looked up on the primary.
"""

from functools import partial

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings

from accounts.cache import account_for_token
from core.db.compiled import CompiledInBulk
from core.fields import parse_id
from core.replicas import pin_recent_writer, read_primary

User = get_user_model()
# Accounts by id, the read of every write's token (writes read the row), compiled once.
_accounts_by_id = CompiledInBulk(User, lambda: User.objects.all())


class AccountTokenAuthentication(JWTAuthentication):
    """SimpleJWT's access tokens, checked against the account they name, which comes from its
    copy in the shared cache while that is current (``accounts.cache``), else from the database.
    A write reads the row: it is about to change the account (its counts) most of the time,
    which would leave its copy out at once (DRF makes this object per request)."""

    kept_copies = True

    def authenticate(self, request):
        self.kept_copies = request.method in SAFE_METHODS
        return super().authenticate(request)

    def get_user(self, validated_token):
        # The account id a token names: an integer or its digits, in the range of ids.
        user_id = parse_id(validated_token.get(api_settings.USER_ID_CLAIM))
        if user_id is None:
            raise InvalidToken("Token contained no recognizable user identification")
        pin_recent_writer(user_id)
        read = partial(self._read_user, user_id)
        user = account_for_token(user_id, read, kept=self.kept_copies)
        if user is None:
            raise AuthenticationFailed("User not found", code="user_not_found")
        if not user.can_authenticate:
            raise AuthenticationFailed("This account cannot be used.", code="user_inactive")
        # The token carries a digest of the password hash: a new password voids it at once.
        revoked = validated_token.get(api_settings.REVOKE_TOKEN_CLAIM) != user.token_digest
        if api_settings.CHECK_REVOKE_TOKEN and revoked:
            raise AuthenticationFailed(
                "The user's password has been changed.", code="password_changed"
            )
        return user

    def _read_user(self, user_id):
        """The account from the database; from the primary when a replica does not have it yet."""
        user = _accounts_by_id([user_id]).get(user_id)
        if user is None and read_primary():
            user = _accounts_by_id([user_id]).get(user_id)
        return user


class AccountOAuthAuthentication(OAuth2Authentication):
    """An OAuth access token: ``request.auth`` is the token (its ``scope``), ``request.user`` its
    account, or an anonymous user for an app's own token (client credentials)."""

    www_authenticate_realm = "minitter"
    # The project's own API: reads need a read scope, writes a write scope.
    coarse_scopes = True

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header.lower().startswith("bearer ") or "." in header:
            return None  # no bearer token, or a JWT: SimpleJWT's class decides
        result = super().authenticate(request)
        if result is None and read_primary():
            result = super().authenticate(request)  # a token issued a moment ago
        if result is None:
            return None
        user, token = result
        if user is None:
            user = AnonymousUser()
        elif not user.can_authenticate:
            raise AuthenticationFailed("This account cannot be used.", code="user_inactive")
        else:
            pin_recent_writer(user.pk)
        if self.coarse_scopes:
            kind = "read" if request.method in SAFE_METHODS else "write"
            if not any(scope.split(":")[0] == kind for scope in token.scope.split()):
                raise PermissionDenied(f"This action needs a token with the {kind} scope.")
        return user, token


def user_authentication_rule(user) -> bool:
    """SimpleJWT's rule for issuing and refreshing tokens."""
    return user is not None and user.can_authenticate


class AccountTokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = AccountTokenAuthentication
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        scheme = build_bearer_security_scheme_object(
            header_name="AUTHORIZATION", token_prefix="Bearer", bearer_format="JWT"
        )
        scheme["description"] = (
            "The `access` token from `POST auth/token` (valid 5 minutes; renew it with "
            "`POST auth/token/refresh`). In Swagger UI: click Authorize and paste it."
        )
        return scheme


class AccountOAuthAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = AccountOAuthAuthentication
    name = "oauth2"

    def get_security_definition(self, auto_schema):
        return {
            "type": "oauth2",
            "description": "OAuth access tokens of apps (see the Mastodon API's OAuth server).",
            "flows": {
                "authorizationCode": {
                    "authorizationUrl": "/oauth/authorize",
                    "tokenUrl": "/oauth/token",
                    "scopes": {"read": "Read with the account", "write": "Write as the account"},
                }
            },
        }
