"""The User admin: search by username or email, filters, read-only timestamps."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.models import User
from accounts.services import account_search_document_write, user_set_active
from core.admin import IndexedSearchAdmin


@admin.register(User)
class UserAdmin(IndexedSearchAdmin, DjangoUserAdmin):
    list_display = ["username", "email", "display_name", "is_active", "is_staff", "created_at"]
    list_filter = ["is_active", "is_staff", "is_superuser", "groups", "created_at"]
    search_lookups = ("pk", "username__lower", "email__lower")
    search_help_text = "Exact username, email or id, in any letter case."
    ordering = ["-id"]
    readonly_fields = [
        "created_at",
        "last_login",
        "date_joined",
        "followers_count",
        "following_count",
        "tweets_count",
    ]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("Profile", {"fields": ["display_name", "email", "bio"]}),
        (
            "Permissions",
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("Counts", {"fields": ["followers_count", "following_count", "tweets_count"]}),
        ("Dates", {"fields": ["created_at", "last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["username", "email", "password1", "password2"]}),
    ]

    def save_model(self, request, obj, form, change):
        # Activity changes through its service, first: it locks the rows it recounts before the
        # account's, which the form's save then writes with everything else.
        if change and "is_active" in form.changed_data:
            user_set_active(user=obj, active=obj.is_active)
        super().save_model(request, obj, form, change)
        if "display_name" in form.changed_data:
            account_search_document_write(user=obj)
