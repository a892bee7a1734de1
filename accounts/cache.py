"""Accounts kept in the shared cache (``core/copies.py``), served only while the account's stamp
is unchanged: a suspension, a deactivation, a new password, a profile, a picture or a counter
that changes renews it.

- The accounts that access tokens name (``TOKEN_ACCOUNTS``): every authenticated request reads
  its account, and a current copy costs one cache round trip instead of a query.
- Profiles by username (``PROFILE_ACCOUNTS``), with their pictures: a profile and the lists
  under it, and Mastodon's lookup, find their account by name. A name that another account
  takes later (a rename, a deletion) finds a copy whose stamp that change renewed.
- The OAuth access tokens of apps (``OAUTH_TOKENS``), with their app and account, by the
  token's SHA-256 checksum (the key the database finds them by): every request of a Mastodon
  app reads its token. Revoking a token deletes it, and deleting or changing a token or an app
  renews its stamp (both are tracked, ``accounts.apps``), as a suspension renews the account's.
  An expired token is refused by its ``expires``, which the copy holds.

Copies hold no password hash, and profiles no email address either; apps' token copies hold
neither the token itself nor the app's client secret (each read from the database if anything
asks for it). A token's account keeps only the digest of its hash that the
account's access tokens carry (SimpleJWT's revoke claim, ``token_digest``), which is what a
token is checked against. Should Redis refuse a renewal, how long a change could go unseen is
bounded by how long copies live: ``TOKEN_ACCOUNT_SECONDS`` for tokens and their accounts (a
suspension, a new password, a revoked app token; JWT access tokens live 5 minutes),
``HYDRATED_CACHE_SECONDS`` for profiles, as for tweets.
"""

import hashlib
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.checks import Error
from oauth2_provider.models import get_access_token_model, get_application_model
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.utils import get_md5_hash_password

from core import stamps
from core.copies import Copies
from media.models import MediaFile

User = get_user_model()
OAuthAccessToken = get_access_token_model()

TOKEN_ACCOUNT_SECONDS = 30

TOKEN_ACCOUNTS = Copies(
    "account:token",
    [User],
    seconds=lambda: min(settings.HYDRATED_CACHE_SECONDS, TOKEN_ACCOUNT_SECONDS),
    private=("password",),
    rows_known=lambda pk: [stamps.EPOCH_KEY, stamps.key(User, pk)],
)

PROFILE_ACCOUNTS = Copies(
    "account:profile",
    [User, MediaFile],
    seconds=lambda: settings.HYDRATED_CACHE_SECONDS,
    private=("password", "email"),  # no profile shows them: read from the database if asked
)


OAUTH_TOKENS = Copies(
    "oauth:token",
    [OAuthAccessToken, get_application_model(), User],
    seconds=lambda: min(settings.HYDRATED_CACHE_SECONDS, TOKEN_ACCOUNT_SECONDS),
    private=("token", "client_secret", "password"),
)


def token_user_id_is_the_key(**kwargs) -> list:
    """System check: tokens name their account by its primary key, which is what its stamp is
    renewed by (a token naming it by another field would reach a copy no renewal reaches)."""
    if api_settings.USER_ID_FIELD in ("pk", User._meta.pk.attname):
        return []
    message = "SIMPLE_JWT's USER_ID_FIELD must be the account's primary key."
    return [Error(message, id="accounts.E001")]


def account_for_token(pk, read: Callable[[], User | None], *, kept: bool = True) -> User | None:
    """The account of this id, with ``token_digest`` (what its tokens carry of its password):
    from its copy while current (``kept``), else ``read()`` from the database; None when there
    is none."""

    def read_with_digest(pks: list) -> dict:
        user = read()
        if user is None:
            return {}
        user.token_digest = get_md5_hash_password(user.password)
        return {pk: user}

    if not kept:
        return read_with_digest([pk]).get(pk)
    return TOKEN_ACCOUNTS.get_many([pk], read_with_digest, checked_afterwards=True).get(pk)


def oauth_token(token: str) -> OAuthAccessToken | None:
    """The OAuth access token of this bearer string, with its app and account (None when there
    is none): from its copy while current, else from the database, as django-oauth-toolkit
    finds it (by checksum). Whether it is still valid (expiry, scopes) is the caller's check."""
    checksum = hashlib.sha256(token.encode()).hexdigest()

    def read(checksums: list) -> dict:
        found = OAuthAccessToken.objects.select_related("application", "user").filter(
            token_checksum__in=checksums
        )
        return {access.token_checksum: access for access in found}

    return OAUTH_TOKENS.get_many([checksum], read, checked_afterwards=True).get(checksum)
