"""Tweets, likes and follows in the Django admin, usable on tables with millions of rows:
no full-table counts, related rows joined in one query, raw id widgets instead of huge selects,
and search on indexed columns only."""

from django.contrib import admin

from accounts.admin_pagination import LargeTablePaginator
from tweets.models import Follow, Like, Tweet


class LargeTableAdmin(admin.ModelAdmin):
    show_full_result_count = False
    paginator = LargeTablePaginator
    list_per_page = 50


@admin.register(Tweet)
class TweetAdmin(LargeTableAdmin):
    list_display = ["id", "author", "short_text", "created_at", "reply_count", "like_count"]
    list_select_related = ["author"]
    raw_id_fields = ["author", "in_reply_to"]
    # Exact matches only: they use the primary key and the username index.
    search_fields = ["=id", "=author__username"]
    search_help_text = "Exact tweet id or author username."
    list_filter = ["fanned_out"]
    readonly_fields = ["id", "created_at", "edited_at", "reply_count", "like_count", "fanned_out"]
    ordering = ["-id"]

    @admin.display(description="text")
    def short_text(self, tweet):
        return tweet.text[:80]


@admin.register(Like)
class LikeAdmin(LargeTableAdmin):
    list_display = ["id", "user", "tweet", "created_at"]
    list_select_related = ["user", "tweet"]
    raw_id_fields = ["user", "tweet"]
    search_fields = ["=user__username", "=tweet__id"]
    search_help_text = "Exact username or tweet id."
    ordering = ["-id"]


@admin.register(Follow)
class FollowAdmin(LargeTableAdmin):
    list_display = ["id", "follower", "followee", "created_at"]
    list_select_related = ["follower", "followee"]
    raw_id_fields = ["follower", "followee"]
    search_fields = ["=follower__username", "=followee__username"]
    search_help_text = "Exact username of the follower or the followee."
    ordering = ["-id"]
