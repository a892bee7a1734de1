"""Routes of the social layer, mounted under /api/minitter/v1/ after the accounts routes."""

from django.conf import settings
from django.urls import path
from rest_framework.routers import SimpleRouter

from tweets import views

router = SimpleRouter(trailing_slash=False)
router.register("tweets", views.TweetViewSet, basename="tweet")
router.register("accounts", views.ProfileViewSet, basename="profile")
router.register("notifications", views.NotificationViewSet, basename="notification")

urlpatterns = [
    path("timelines/home", views.HomeTimelineView.as_view(), name="timeline-home"),
    path("bookmarks", views.BookmarksView.as_view(), name="bookmarks"),
    path("tags/trending", views.TrendingTagsView.as_view(), name="tags-trending"),
    path("tags/<str:tag>/tweets", views.TagTweetsView.as_view(), name="tag-tweets"),
    path("reports", views.ReportCreateView.as_view(), name="report-create"),
    path("blocks", views.BlockListView.as_view(), name="block-list"),
    path("mutes", views.MuteListView.as_view(), name="mute-list"),
    *router.urls,
]

if settings.MINITTER_BENCHMARK_ENDPOINTS:
    urlpatterns.append(path("bench/naive-home", views.NaiveHomeTimelineView.as_view()))
