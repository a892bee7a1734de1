"""Reads of what the Mastodon surface stores itself, and of the social layer in Mastodon's terms."""

from mastodon_api.models import HomeMarker
from tweets import selectors as tweet_selectors


def markers_get(*, user, timelines) -> dict:
    """The read markers of these timelines (``home``, ``notifications``) that the user has set,
    by timeline; one never set is left out, as on Mastodon."""
    markers = {}
    if "home" in timelines:
        home = HomeMarker.objects.filter(user=user).first()
        if home is not None:
            markers["home"] = home
    if "notifications" in timelines:
        notifications, _unread = tweet_selectors.notification_marker(user=user)
        if notifications.version:
            markers["notifications"] = notifications
    return markers
