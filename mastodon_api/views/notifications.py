"""Notifications: the list (filtered by Mastodon's types), one, dismiss, clear and the unread
count, over the social layer's notifications and its visibility rules."""

from django.http import Http404
from rest_framework.response import Response

from mastodon_api import entities
from mastodon_api.pagination import limit_param, paginate, queryset_fetch
from mastodon_api.views.base import (
    MastodonView,
    paged,
    param,
    param_ids,
    param_list,
    path_id,
)
from tweets import selectors, services
from tweets.models import Notification

# Mastodon's types as minitter's kinds. Types minitter never sends (``status``, ``poll``,
# ``update``, ``follow_request``, ``admin.*``, ...) match nothing, and unknown ones are ignored,
# as on Mastodon: clients ask for the types they know.
TYPE_KINDS: dict[str, set[str]] = {}
for _kind, _type in entities.NOTIFICATION_TYPES.items():
    TYPE_KINDS.setdefault(_type, set()).add(_kind)


def requested_kinds(params) -> set[str]:
    """The kinds ``types[]`` asks for (all when absent) less those ``exclude_types[]`` names."""
    types = [value for value in param_list(params, "types") if isinstance(value, str)]
    kinds = set(Notification.Kind.values)
    if types:
        kinds = set().union(*(TYPE_KINDS.get(name, set()) for name in types))
    for name in param_list(params, "exclude_types"):
        kinds -= TYPE_KINDS.get(name, set()) if isinstance(name, str) else set()
    return kinds


class NotificationsView(MastodonView):
    """The caller's notifications, newest first: none from suspended accounts, about hidden
    tweets, from accounts blocked either way or muted with their notifications."""

    scopes = {"GET": "read:notifications"}

    def get(self, request):
        params = request.query_params
        kinds = requested_kinds(params)
        if not kinds:
            return Response([])
        rows = selectors.notification_list(user=request.user, types=sorted(kinds))
        actors = param_ids(params, "account_id")
        if actors:
            rows = rows.filter(actor_id__in=actors)
        page, link = paginate(request, queryset_fetch(rows), default=40, maximum=80)
        return paged(entities.notifications(page, request), link)


class NotificationView(MastodonView):
    scopes = {"GET": "read:notifications"}

    def get(self, request, notification_id):
        row = selectors.notification_get(
            user=request.user, notification_id=path_id(notification_id)
        )
        if row is None:
            raise Http404
        return Response(entities.notifications([row], request)[0])


class NotificationDismissView(MastodonView):
    """``POST /api/v1/notifications/:id/dismiss`` (and the older ``/dismiss`` with ``id``)."""

    scopes = {"POST": "write:notifications"}

    def post(self, request, notification_id=None):
        notification_id = path_id(notification_id or param(request.data, "id"))
        if not services.notification_dismiss(user=request.user, notification_id=notification_id):
            raise Http404
        return Response({})


class NotificationsClearView(MastodonView):
    scopes = {"POST": "write:notifications"}

    def post(self, request):
        services.notification_clear(user=request.user)
        return Response({})


class UnreadCountView(MastodonView):
    """How many notifications are newer than the ``notifications`` marker (``limit``: default
    100, at most 1,000)."""

    scopes = {"GET": "read:notifications"}

    def get(self, request):
        _marker, unread = selectors.notification_marker(user=request.user)
        return Response({"count": min(unread, limit_param(request, 100, 1000))})
