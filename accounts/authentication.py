"""Bearer-token authentication: SimpleJWT's, which also refuses suspended accounts at once.

With read replicas, the token's user is read from a replica unless they wrote recently (then from
the primary, see core/replicas.py); an account too new to have reached the replica is looked up
on the primary."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed
from rest_framework_simplejwt.settings import api_settings

from core.replicas import pin_recent_writer, read_primary


class AccountTokenAuthentication(JWTAuthentication):
    def get_user(self, validated_token):
        pin_recent_writer(validated_token.get(api_settings.USER_ID_CLAIM))
        try:
            user = super().get_user(validated_token)
        except AuthenticationFailed as exc:
            if exc.detail.get("code") != "user_not_found" or not read_primary():
                raise
            user = super().get_user(validated_token)
        if not user.can_authenticate:
            raise AuthenticationFailed("This account cannot be used.", code="user_inactive")
        return user


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
