"""The User admin: search by username or email, filters, read-only timestamps; a password set
here revokes the account's tokens, as the account's own change does."""

from django.contrib import admin
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.models import User
from accounts.services import account_search_document_write, user_password_save, user_set_active
from core.admin import IndexedSearchAdmin


class AdminPasswordChangeForm(auth_forms.AdminPasswordChangeForm):
    """Django's form, saved through ``user_password_save``: the sessions and app tokens of an
    account whose password a moderator resets stop working."""

    def save(self, commit=True):
        user = super().save(commit=False)
        if commit:
            user_password_save(user=user)
        return user


@admin.register(User)
class UserAdmin(IndexedSearchAdmin, DjangoUserAdmin):
    change_password_form = AdminPasswordChangeForm
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
        # account's, which the form's save then writes with the other fields changed.
        if change and "is_active" in form.changed_data:
            user_set_active(user=obj, active=obj.is_active)
        super().save_model(request, obj, form, change)
        if "display_name" in form.changed_data:
            account_search_document_write(user=obj)
