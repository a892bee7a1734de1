"""Writes of the Mastodon surface that have no home in the other apps (registering client apps,
the home timeline's read marker) and the few that combine the social layer's services in
Mastodon's terms (reports of several statuses, read markers)."""

from urllib.parse import SplitResult, urlsplit

from django.core.exceptions import ValidationError
from django.db import transaction
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import Application
from oauthlib.uri_validate import is_absolute_uri

from accounts.services import user_profile_change
from mastodon_api.models import AppRegistration, HomeMarker
from mastodon_api.scopes import SCOPES, scope_list
from tweets import services as tweet_services
from tweets.models import Report

OOB = "urn:ietf:wg:oauth:2.0:oob"
FORBIDDEN_SCHEMES = {"javascript", "data", "vbscript", "file"}


def _split(uri: str, field: str) -> SplitResult:
    """``urlsplit``, with what it cannot split (``http://[::1``) a 422 on ``field``."""
    try:
        return urlsplit(uri)
    except ValueError:
        raise ValidationError({field: [f"Not a usable address: {uri}"]}) from None


def _clean_redirect_uris(text: str) -> list[str]:
    uris = text.split()
    if not uris:
        raise ValidationError({"redirect_uris": ["At least one redirect URI is required."]})
    for uri in uris:
        if uri == OOB:
            continue
        if not _usable_redirect_uri(_split(uri, "redirect_uris"), uri):
            raise ValidationError({"redirect_uris": [f"Not a usable redirect URI: {uri}"]})
    return uris


def _usable_redirect_uri(parts: SplitResult, uri: str) -> bool:
    """Whether the authorization step can ever send a browser to ``uri``. Native apps use their
    own schemes (com.example.app://callback); no scripts, no fragments. The authorization step
    (oauthlib) takes only absolute URIs in plain ASCII, without user names (an international
    host is given in its ``xn--`` form), and reads the port: one it cannot read would fail
    every login with the app."""
    if not parts.scheme or parts.scheme.lower() in FORBIDDEN_SCHEMES or parts.fragment:
        return False
    if parts.scheme in ("http", "https") and not parts.netloc:
        return False
    try:
        port = parts.port  # a port out of range raises
    except ValueError:
        return False
    return port != 0 and bool(is_absolute_uri(uri))


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
    if website and _split(website, "website").scheme not in ("http", "https"):
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


def credentials_update(*, user, profile: dict[str, str], avatar=None, header=None):
    """Mastodon's ``update_credentials``: profile fields, the avatar and the header together, or
    nothing (a bad picture leaves the profile, and the other picture, as they were, and no new
    file behind)."""
    images = {"avatar": avatar, "header": header}
    return user_profile_change(
        user=user,
        fields=profile,
        images={field: upload for field, upload in images.items() if upload is not None},
    )


# Mastodon's report categories as minitter's reasons.
REPORT_REASONS = {
    "spam": Report.Reason.SPAM,
    "legal": Report.Reason.ILLEGAL,
    "violation": Report.Reason.ABUSE,
    "other": Report.Reason.OTHER,
}


def report_file(*, reporter, account, tweets=(), category: str = "other", comment: str = ""):
    """Mastodon's report: an account, with some of its statuses or none. A minitter report is of
    one tweet or one account, so this files one per tweet (or one of the account), all or none
    (``reports_file``); those the reporter already has open are returned as they are."""
    reason = REPORT_REASONS.get(category)
    if reason is None:
        raise ValidationError({"category": [f"Choose one of: {', '.join(REPORT_REASONS)}."]})
    filed = tweet_services.reports_file(
        reporter=reporter,
        reason=reason,
        comment=comment,
        tweets=tweets,
        account=None if tweets else account,
    )
    return [report for report, _ in filed]


MARKER_TIMELINES = ("home", "notifications")


@transaction.atomic
def marker_set(*, user, timeline: str, last_read_id: int):
    """Move a read marker (``home`` or ``notifications``) to ``last_read_id``; each change
    increases its ``version``, as Mastodon's does (setting it where it is already changes
    nothing). The ``notifications`` marker is the social layer's."""
    if timeline == "notifications":
        return tweet_services.notification_marker_set(user=user, last_read_id=last_read_id)
    if timeline != "home":
        raise ValidationError({"timeline": [f"Choose one of: {', '.join(MARKER_TIMELINES)}."]})
    marker, created = HomeMarker.objects.select_for_update().get_or_create(user=user)
    if not created and marker.last_read_id == last_read_id:
        return marker
    marker.last_read_id = last_read_id
    marker.version += 1
    marker.save()
    return marker
