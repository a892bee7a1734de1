"""Bearer-token authentication: SimpleJWT's, which also refuses suspended accounts at once."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed


class AccountTokenAuthentication(JWTAuthentication):
    def get_user(self, validated_token):
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
        return build_bearer_security_scheme_object(
            header_name="AUTHORIZATION", token_prefix="Bearer", bearer_format="JWT"
        )
