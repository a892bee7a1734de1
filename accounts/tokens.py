"""The project's JWTs: SimpleJWT's access and refresh tokens, except that a token whose expiry no
date can hold (``exp`` past the year 9999, past what the platform's clock can count, or text) is
refused as invalid (a 401 or 400) rather than failing the request on the date's arithmetic."""

from rest_framework_simplejwt import tokens
from rest_framework_simplejwt.exceptions import TokenError


class _ExpiryChecked:
    def check_exp(self, claim="exp", current_time=None):
        try:
            super().check_exp(claim, current_time)
        except (OverflowError, ValueError, OSError, TypeError) as exc:
            raise TokenError(f"Token '{claim}' claim is not a usable time") from exc


class AccessToken(_ExpiryChecked, tokens.AccessToken):
    pass


class RefreshToken(_ExpiryChecked, tokens.RefreshToken):
    access_token_class = AccessToken
