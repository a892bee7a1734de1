"""What clients read about the server on start-up: instance (v1 and v2), nodeinfo, app
registration, and the features minitter does not have, answered as Mastodon answers without them."""

from contextlib import suppress

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.http import JsonResponse
from django.templatetags.static import static
from django.urls import reverse
from redis.exceptions import RedisError
from rest_framework.response import Response

from core.exceptions import read_only
from mastodon_api import entities, services
from mastodon_api.views.base import MastodonView, param_text
from media.images import ACCEPTED_FORMATS
from media.models import MEDIA_DESCRIPTION_MAX_LENGTH
from tweets.models import Tweet

User = get_user_model()

# The Mastodon release whose client API this follows. Clients choose features by it: 4.3 brought
# grouped notifications (``/api/v2/notifications``), which minitter does not have, so a client
# told 4.3 would open its notifications on a 404. ``api_versions`` (from Mastodon 4.3 on, 2 there)
# says 1 for the same reason.
VERSION = "4.2.0"
USAGE_KEY = "mastodon:usage"
SOFTWARE_VERSION = "1.0.0"
DESCRIPTION = "A mini-Twitter: short posts with pictures, follows, likes and replies."
MIME_TYPES = sorted(f"image/{name.lower()}" for name in ACCEPTED_FORMATS)


def _usage() -> dict:
    """Counts for instance and nodeinfo, cached for an hour (counting big tables is not free);
    counted afresh while Redis cannot be reached."""
    with suppress(RedisError):
        usage = cache.get(USAGE_KEY)
        if usage is not None:
            return usage
    usage = {
        "users": User.objects.active().count(),
        "statuses": Tweet.objects.visible().count(),
    }
    with suppress(RedisError):
        cache.set(USAGE_KEY, usage, 3600)
    return usage


def _configuration(request) -> dict:
    return {
        # No streaming API, status page or HTML pages: every address is null.
        "urls": {
            "streaming": None,
            "status": None,
            "about": None,
            "privacy_policy": None,
            "terms_of_service": None,
        },
        "vapid": {"public_key": ""},
        "accounts": {
            "max_display_name_length": User._meta.get_field("display_name").max_length,
            "max_note_length": User._meta.get_field("bio").max_length,
            "max_featured_tags": 0,
            "max_pinned_statuses": 0,
            "max_profile_fields": 0,
            "profile_field_name_limit": 0,
            "profile_field_value_limit": 0,
        },
        "statuses": {
            "max_characters": settings.TWEET_MAX_LENGTH,
            "max_media_attachments": settings.MEDIA_MAX_PER_TWEET,
            "characters_reserved_per_url": 23,
        },
        "media_attachments": {
            "supported_mime_types": MIME_TYPES,
            "description_limit": MEDIA_DESCRIPTION_MAX_LENGTH,
            "image_size_limit": settings.MEDIA_MAX_UPLOAD_BYTES,
            "image_matrix_limit": settings.MEDIA_MAX_PIXELS,
            "video_size_limit": 0,
            "video_frame_rate_limit": 0,
            "video_matrix_limit": 0,
        },
        "polls": {
            "max_options": 0,
            "max_characters_per_option": 0,
            "min_expiration": 0,
            "max_expiration": 0,
        },
        "translation": {"enabled": False},
    }


def _contact_account(request):
    admin = (
        User.objects.active().filter(is_superuser=True).select_related("avatar", "header").first()
    )
    return entities.account(admin, request) if admin else None


class InstanceV1View(MastodonView):
    public = frozenset({"GET"})

    def get(self, request):
        usage = _usage()
        configuration = _configuration(request)
        return Response(
            {
                "uri": request.get_host(),
                "title": settings.MASTODON_INSTANCE_TITLE,
                "short_description": DESCRIPTION,
                "description": DESCRIPTION,
                "email": settings.MASTODON_CONTACT_EMAIL,
                "version": VERSION,
                "urls": {"streaming_api": None},
                "stats": {
                    "user_count": usage["users"],
                    "status_count": usage["statuses"],
                    "domain_count": 0,
                },
                "thumbnail": request.build_absolute_uri(static("mastodon_api/header.png")),
                "languages": ["en", "ko"],
                "registrations": True,
                "approval_required": False,
                "invites_enabled": False,
                "configuration": {
                    key: configuration[key]
                    for key in ("accounts", "statuses", "media_attachments", "polls")
                },
                "contact_account": _contact_account(request),
                "rules": [],
            }
        )


class InstanceV2View(MastodonView):
    public = frozenset({"GET"})

    def get(self, request):
        usage = _usage()
        return Response(
            {
                "domain": request.get_host(),
                "title": settings.MASTODON_INSTANCE_TITLE,
                "version": VERSION,
                "source_url": "",
                "description": DESCRIPTION,
                "usage": {"users": {"active_month": usage["users"]}},
                "thumbnail": {
                    "url": request.build_absolute_uri(static("mastodon_api/header.png")),
                    "blurhash": None,
                    "versions": {},
                },
                "icon": [],
                "languages": ["en", "ko"],
                "configuration": _configuration(request),
                "registrations": {
                    "enabled": True,
                    "approval_required": False,
                    "reason_required": False,
                    "message": None,
                    "url": None,
                    "min_age": None,
                },
                "api_versions": {"mastodon": 1},
                "contact": {
                    "email": settings.MASTODON_CONTACT_EMAIL,
                    "account": _contact_account(request),
                },
                "rules": [],
            }
        )


class EmptyListView(MastodonView):
    """A feature minitter does not have: an empty list, as Mastodon answers without any."""

    public = frozenset({"GET"})

    def get(self, request, *args, **kwargs):
        return Response([])


class PreferencesView(MastodonView):
    scopes = {"GET": "read:accounts"}

    def get(self, request):
        return Response(
            {
                "posting:default:visibility": "public",
                "posting:default:sensitive": False,
                "posting:default:language": None,
                "reading:expand:media": "default",
                "reading:expand:spoilers": False,
            }
        )


class AppsView(MastodonView):
    public = frozenset({"POST"})

    def post(self, request):
        data = request.data
        redirect_uris = data.get("redirect_uris", "")
        if isinstance(redirect_uris, list):  # JSON clients may send an array
            redirect_uris = " ".join(str(uri) for uri in redirect_uris)
        app, secret = services.app_create(
            name=param_text(data, "client_name"),
            redirect_uris=redirect_uris if isinstance(redirect_uris, str) else "",
            scopes=param_text(data, "scopes", "read"),
            website=param_text(data, "website"),
        )
        return Response(entities.application(app, secret=secret))


class AppVerifyView(MastodonView):
    """The app of the token (any token of it, a client-credentials one included)."""

    public = frozenset({"GET"})

    def get(self, request):
        token = request.auth
        app = getattr(token, "application", None)
        if app is None:
            return Response({"error": "The access token is invalid"}, status=401)
        return Response(entities.application(app))


@read_only
def nodeinfo_links(request):
    return JsonResponse(
        {
            "links": [
                {
                    "rel": "http://nodeinfo.diaspora.software/ns/schema/2.0",
                    "href": request.build_absolute_uri(reverse("nodeinfo")),
                }
            ]
        }
    )


@read_only
def nodeinfo(request):
    usage = _usage()
    return JsonResponse(
        {
            "version": "2.0",
            "software": {"name": "minitter", "version": SOFTWARE_VERSION},
            "protocols": [],
            "services": {"inbound": [], "outbound": []},
            "usage": {
                "users": {
                    "total": usage["users"],
                    "activeMonth": usage["users"],
                    "activeHalfyear": usage["users"],
                },
                "localPosts": usage["statuses"],
            },
            "openRegistrations": True,
            "metadata": {"nodeName": settings.MASTODON_INSTANCE_TITLE},
        },
        content_type="application/json; profile=http://nodeinfo.diaspora.software/ns/schema/2.0#",
    )
