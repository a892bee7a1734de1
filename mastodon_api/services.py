"""Writes of the Mastodon surface that have no home in the other apps: registering client apps."""

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import transaction
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import Application

from accounts.services import user_avatar_set, user_update_profile
from mastodon_api.models import AppRegistration
from mastodon_api.scopes import SCOPES, scope_list

OOB = "urn:ietf:wg:oauth:2.0:oob"
FORBIDDEN_SCHEMES = {"javascript", "data", "vbscript", "file"}


def _clean_redirect_uris(text: str) -> list[str]:
    uris = text.split()
    if not uris:
        raise ValidationError({"redirect_uris": ["At least one redirect URI is required."]})
    for uri in uris:
        if uri == OOB:
            continue
        parts = urlsplit(uri)
        # Native apps use their own schemes (com.example.app://callback); no scripts, no fragments.
        if not parts.scheme or parts.scheme.lower() in FORBIDDEN_SCHEMES or parts.fragment:
            raise ValidationError({"redirect_uris": [f"Not a usable redirect URI: {uri}"]})
        if parts.scheme in ("http", "https") and not parts.netloc:
            raise ValidationError({"redirect_uris": [f"Not a usable redirect URI: {uri}"]})
    return uris


@transaction.atomic
def app_create(
    *, name: str, redirect_uris: str, scopes: str = "read", website: str = ""
) -> tuple[Application, str]:
    """Register a client app; returns it with its client secret in clear (stored hashed, so this
    is the only time it can be shown). Any app may use the authorization-code, password and
    client-credentials grants, with the scopes it registered."""
    name = name.strip()
    if not name or len(name) > 255:
        raise ValidationError({"client_name": ["Give a name of 1 to 255 characters."]})
    uris = _clean_redirect_uris(redirect_uris)
    requested = scope_list(scopes) or ["read"]
    unknown = [scope for scope in requested if scope not in SCOPES]
    if unknown:
        raise ValidationError({"scopes": [f"Unknown scopes: {' '.join(unknown)}."]})
    website = website.strip()
    if website and urlsplit(website).scheme not in ("http", "https"):
        raise ValidationError({"website": ["Give an http or https address."]})
    secret = generate_client_secret()
    application = Application.objects.create(
        name=name,
        redirect_uris=" ".join(uris),
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        client_secret=secret,
        skip_authorization=False,
    )
    AppRegistration.objects.create(
        application=application, scopes=" ".join(dict.fromkeys(requested)), website=website[:500]
    )
    return application, secret


@transaction.atomic
def credentials_update(*, user, profile: dict[str, str], avatar=None):
    """Mastodon's ``update_credentials``: profile fields and the avatar together, or nothing
    (a bad picture leaves the profile as it was)."""
    if profile:
        user_update_profile(user=user, **profile)
    if avatar is not None:
        user_avatar_set(user=user, upload=avatar)
    return user
