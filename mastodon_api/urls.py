"""Routes of the Mastodon client API and its OAuth server, mounted at the site root. Every route
answers with and without a trailing slash; unknown ones under ``/api/v1|v2/`` are JSON 404s."""

from django.urls import re_path

from mastodon_api import oauth
from mastodon_api.views import (
    accounts,
    discovery,
    instance,
    markers,
    notifications,
    reports,
    statuses,
)


def route(pattern: str, view, name: str | None = None):
    """``pattern`` (a regex without anchors) with an optional trailing slash."""
    return re_path(rf"^{pattern}/?$", view, name=name)


ID = r"(?P<{}>[^/]+)"
ACCOUNT = ID.format("account_id")
STATUS = ID.format("status_id")
MEDIA = ID.format("media_id")
NOTIFICATION = ID.format("notification_id")
empty = instance.EmptyListView.as_view()

urlpatterns = [
    # OAuth 2
    route("oauth/authorize", oauth.AuthorizeView.as_view(), "oauth-authorize"),
    route("oauth/token", oauth.MastodonTokenView.as_view(), "oauth-token"),
    route("oauth/revoke", oauth.MastodonRevokeView.as_view(), "oauth-revoke"),
    route(r"\.well-known/oauth-authorization-server", oauth.server_metadata, "oauth-metadata"),
    route(r"\.well-known/nodeinfo", instance.nodeinfo_links, "nodeinfo-links"),
    route("nodeinfo/2.0", instance.nodeinfo, "nodeinfo"),
    route("api/v1/apps", instance.AppsView.as_view(), "mastodon-apps"),
    route("api/v1/apps/verify_credentials", instance.AppVerifyView.as_view()),
    # Instance
    route("api/v1/instance", instance.InstanceV1View.as_view(), "mastodon-instance-v1"),
    route("api/v2/instance", instance.InstanceV2View.as_view(), "mastodon-instance-v2"),
    route("api/v1/preferences", instance.PreferencesView.as_view()),
    # Notifications
    route("api/v1/notifications", notifications.NotificationsView.as_view()),
    route("api/v1/notifications/clear", notifications.NotificationsClearView.as_view()),
    route("api/v1/notifications/dismiss", notifications.NotificationDismissView.as_view()),
    route("api/v1/notifications/unread_count", notifications.UnreadCountView.as_view()),
    route(f"api/v1/notifications/{NOTIFICATION}", notifications.NotificationView.as_view()),
    route(
        f"api/v1/notifications/{NOTIFICATION}/dismiss",
        notifications.NotificationDismissView.as_view(),
    ),
    # Accounts
    route("api/v1/accounts/verify_credentials", accounts.VerifyCredentialsView.as_view()),
    route("api/v1/accounts/update_credentials", accounts.UpdateCredentialsView.as_view()),
    route("api/v1/accounts/lookup", accounts.LookupView.as_view()),
    route("api/v1/accounts/relationships", accounts.RelationshipsView.as_view()),
    route("api/v1/accounts/search", accounts.AccountSearchView.as_view()),
    route("api/v1/accounts/familiar_followers", empty),
    route(f"api/v1/accounts/{ACCOUNT}", accounts.AccountView.as_view()),
    route(f"api/v1/accounts/{ACCOUNT}/statuses", accounts.AccountStatusesView.as_view()),
    route(f"api/v1/accounts/{ACCOUNT}/followers", accounts.FollowersView.as_view()),
    route(f"api/v1/accounts/{ACCOUNT}/following", accounts.FollowingView.as_view()),
    route(f"api/v1/accounts/{ACCOUNT}/follow", accounts.FollowView.as_view()),
    route(f"api/v1/accounts/{ACCOUNT}/unfollow", accounts.UnfollowView.as_view()),
    route(f"api/v1/accounts/{ACCOUNT}/block", accounts.BlockView.as_view()),
    route(f"api/v1/accounts/{ACCOUNT}/unblock", accounts.UnblockView.as_view()),
    route(f"api/v1/accounts/{ACCOUNT}/mute", accounts.MuteView.as_view()),
    route(f"api/v1/accounts/{ACCOUNT}/unmute", accounts.UnmuteView.as_view()),
    route(f"api/v1/accounts/{ACCOUNT}/featured_tags", empty),
    route(f"api/v1/accounts/{ACCOUNT}/lists", empty),
    # Statuses
    route("api/v1/statuses", statuses.StatusesView.as_view()),
    route(f"api/v1/statuses/{STATUS}", statuses.StatusView.as_view()),
    route(f"api/v1/statuses/{STATUS}/source", statuses.StatusSourceView.as_view()),
    route(f"api/v1/statuses/{STATUS}/history", statuses.StatusHistoryView.as_view()),
    route(f"api/v1/statuses/{STATUS}/context", statuses.StatusContextView.as_view()),
    route(f"api/v1/statuses/{STATUS}/favourite", statuses.FavouriteView.as_view()),
    route(f"api/v1/statuses/{STATUS}/unfavourite", statuses.UnfavouriteView.as_view()),
    route(f"api/v1/statuses/{STATUS}/favourited_by", statuses.FavouritedByView.as_view()),
    route(f"api/v1/statuses/{STATUS}/reblog", statuses.ReblogView.as_view()),
    route(f"api/v1/statuses/{STATUS}/unreblog", statuses.UnreblogView.as_view()),
    route(f"api/v1/statuses/{STATUS}/reblogged_by", statuses.RebloggedByView.as_view()),
    route(f"api/v1/statuses/{STATUS}/bookmark", statuses.BookmarkView.as_view()),
    route(f"api/v1/statuses/{STATUS}/unbookmark", statuses.UnbookmarkView.as_view()),
    route("api/v1/favourites", statuses.FavouritesView.as_view()),
    route("api/v1/bookmarks", statuses.BookmarksView.as_view()),
    route("api/v1/blocks", accounts.BlocksView.as_view()),
    route("api/v1/mutes", accounts.MutesView.as_view()),
    # Timelines
    route("api/v1/timelines/home", statuses.HomeTimelineView.as_view()),
    route("api/v1/timelines/public", statuses.PublicTimelineView.as_view()),
    route(f"api/v1/timelines/tag/{ID.format('hashtag')}", statuses.TagTimelineView.as_view()),
    # Markers, search, trends, reports
    route("api/v1/markers", markers.MarkersView.as_view()),
    route("api/v2/search", discovery.SearchView.as_view()),
    route("api/v1/trends/tags", discovery.TrendingTagsView.as_view()),
    route("api/v1/trends", discovery.TrendingTagsView.as_view()),
    route("api/v1/reports", reports.ReportsView.as_view()),
    # Media
    route("api/v2/media", statuses.MediaUploadView.as_view()),
    route("api/v1/media", statuses.MediaUploadView.as_view()),
    route(f"api/v1/media/{MEDIA}", statuses.MediaView.as_view()),
    # What minitter does not have: empty lists, as on a Mastodon server with none.
    *(
        route(f"api/v1/{name}", empty)
        for name in (
            "custom_emojis",
            "lists",
            "filters",
            "announcements",
            "follow_requests",
            "instance/rules",
            "instance/peers",
            "instance/activity",
            "trends/statuses",
            "trends/links",
            "suggestions",
            "conversations",
            "scheduled_statuses",
            "endorsements",
            "followed_tags",
            "domain_blocks",
        )
    ),
    route("api/v2/filters", empty),
    route("api/v2/suggestions", empty),
    re_path(r"^api/v[12](/.*)?$", oauth.not_found_json),
]
