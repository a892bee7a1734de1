"""The public pages shared links open: ``/@username`` and ``/@username/<tweet id>``, as on
Mastodon (the ``url`` of its accounts and statuses)."""

from django.urls import path

from web import views

urlpatterns = [
    path("@<str:username>", views.profile_page, name="web-profile"),
    path("@<str:username>/<int:tweet_id>", views.tweet_page, name="web-tweet"),
]
