"""The public pages shared links open: ``/@username``, ``/@username/<tweet id>`` and
``/tags/<name>``, as on Mastodon (the ``url`` of its accounts, statuses and tags)."""

from django.urls import path

from web import views

urlpatterns = [
    path("@<str:username>", views.profile_page, name="web-profile"),
    path("@<str:username>/<int:tweet_id>", views.tweet_page, name="web-tweet"),
    path("tags/<str:tag>", views.tag_page, name="web-tag"),
]
