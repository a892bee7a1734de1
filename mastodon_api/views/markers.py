"""Read markers: where the caller stopped reading the home timeline and the notifications, kept
on the server so that every app and device picks up from there."""

from django.core.exceptions import ValidationError
from rest_framework.response import Response

from core.fields import parse_id
from mastodon_api import entities, selectors, services
from mastodon_api.views.base import MastodonView, param_list


def _last_read_id(data, timeline: str) -> int | None:
    """``timeline[last_read_id]`` from a form, or ``{"timeline": {"last_read_id": ...}}`` from
    JSON; None when the timeline is not set by this request."""
    nested = data.get(timeline)
    if isinstance(nested, dict):
        value = nested.get("last_read_id")
    else:
        value = data.get(f"{timeline}[last_read_id]")
    if value is None:
        return None
    number = parse_id(value)
    if number is None:
        raise ValidationError({f"{timeline}[last_read_id]": [f"Not an id: {value!r}."]})
    return number


class MarkersView(MastodonView):
    """``GET`` the markers of ``timeline[]`` (``home``, ``notifications``; those never set are
    left out); ``POST`` ``home[last_read_id]`` and/or ``notifications[last_read_id]``. Other
    timelines are ignored, as on Mastodon. The ``notifications`` marker is the one
    ``unread_count`` counts from."""

    scopes = {"GET": "read:statuses", "POST": "write:statuses"}

    def get(self, request):
        timelines = set(param_list(request.query_params, "timeline"))
        markers = selectors.markers_get(user=request.user, timelines=timelines)
        return Response({name: entities.marker(row) for name, row in markers.items()})

    def post(self, request):
        changes = {
            timeline: last_read_id
            for timeline in services.MARKER_TIMELINES
            if (last_read_id := _last_read_id(request.data, timeline)) is not None
        }
        markers = {
            timeline: services.marker_set(
                user=request.user, timeline=timeline, last_read_id=last_read_id
            )
            for timeline, last_read_id in changes.items()
        }
        return Response({name: entities.marker(row) for name, row in markers.items()})
