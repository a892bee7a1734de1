"""The admin for the social layer and its moderation.

Tables here hold millions of rows: no full-table counts, related rows joined in one query, raw id
widgets instead of huge selects, search on indexed columns only. Moderation happens through
actions that ask for a reason and call the moderation services, which record who did what, when
and why; the admin's own delete (which would skip that) is switched off. Deleting accounts,
likes and follows goes through the services, so counters stay equal to their rows.
"""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Case, IntegerField, Value, When
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from accounts.admin import UserAdmin
from core.admin import (
    BooleanFilter,
    IndexedSearchAdmin,
    ReadOnlyAdmin,
    ServiceDeletesAdmin,
    short_time,
    truncated,
)
from media.selectors import storage_url
from tweets import selectors, services
from tweets.models import (
    Block,
    Follow,
    Like,
    ModerationAction,
    Report,
    Tweet,
    reported_repost_words,
    reported_text,
)

User = get_user_model()


class ReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=2000, widget=forms.Textarea(attrs={"rows": 3, "cols": 70}), strip=True
    )


def moderation_action(name: str, description: str, permission: str, perform):
    """An admin action that first asks why, then calls ``perform(obj, moderator, reason)`` for
    each selected object; ``perform`` returns whether it changed anything."""

    def action(modeladmin, request, queryset):
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return TemplateResponse(
                request,
                "admin/tweets/moderation_reason.html",
                {
                    **modeladmin.admin_site.each_context(request),
                    "title": description,
                    "objects": list(queryset),
                    "form": form,
                    "action": name,
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                    "opts": modeladmin.model._meta,
                },
            )
        changed = 0
        for obj in queryset:
            try:
                changed += bool(perform(obj, request.user, form.cleaned_data["reason"]))
            except ValidationError as exc:
                modeladmin.message_user(request, f"{obj}: {' '.join(exc.messages)}", messages.ERROR)
            except (ObjectDoesNotExist, Http404):  # deleted meanwhile, by someone else
                modeladmin.message_user(request, f"{obj}: it no longer exists.", messages.WARNING)
        modeladmin.message_user(request, f"{description}: {changed} of {len(queryset)} changed.")
        return None

    action.__name__ = name
    return admin.action(description=description, permissions=[permission])(action)


class ModerationPermissions:
    """Permission checks the moderation actions ask for (``permissions=[...]`` above), and the
    same actions as buttons on the change page (they lead to the same reason form)."""

    change_form_template = "admin/tweets/moderation_change_form.html"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        buttons = [
            (name, description.replace(" selected", ""))
            for name, (_, _, description) in self.get_actions(request).items()
        ]
        extra_context = {**(extra_context or {}), "moderation_buttons": buttons}
        return super().change_view(request, object_id, form_url, extra_context)

    def has_hide_permission(self, request):
        return request.user.has_perm("tweets.hide_tweet")

    def has_remove_permission(self, request):
        return request.user.has_perm("tweets.delete_tweet")

    def has_suspend_permission(self, request):
        return request.user.has_perm("accounts.suspend_user")

    def has_close_permission(self, request):
        return request.user.has_perm("tweets.change_report")


def _hide(tweet, moderator, reason):
    return services.tweet_set_hidden(tweet=tweet, hidden=True, moderator=moderator, reason=reason)


def _unhide(tweet, moderator, reason):
    return services.tweet_set_hidden(tweet=tweet, hidden=False, moderator=moderator, reason=reason)


def _delete(tweet, moderator, reason):
    services.tweet_delete_by_moderator(tweet=tweet, moderator=moderator, reason=reason)
    return True


def _suspend(account, moderator, reason):
    return services.account_set_suspended(
        account=account, suspended=True, moderator=moderator, reason=reason
    )


def _unsuspend(account, moderator, reason):
    return services.account_set_suspended(
        account=account, suspended=False, moderator=moderator, reason=reason
    )


def _resolve(report, moderator, reason):
    return services.report_close(report=report, moderator=moderator, resolved=True, reason=reason)


def _dismiss(report, moderator, reason):
    return services.report_close(report=report, moderator=moderator, resolved=False, reason=reason)


def _preview_images(tweet):
    attachments = tweet.attachments.all() if tweet is not None else []
    return _images([attachment.media for attachment in attachments])


def _images(media_files):
    return format_html_join(
        " ",
        '<img src="{}" alt="{}" style="max-height:60px">',
        ((storage_url(media.preview), media.description) for media in media_files),
    )


def _tweet_link(tweet_id: int):
    url = reverse("admin:tweets_tweet_change", args=[tweet_id])
    return format_html('<a href="{}">tweet {}</a>', url, tweet_id)


class HiddenFilter(BooleanFilter):
    title = "visibility"
    parameter_name = "hidden"
    field = "is_hidden"
    yes = "Hidden by a moderator"
    no = "Visible"


class SuspendedFilter(BooleanFilter):
    title = "suspension"
    parameter_name = "suspended"
    field = "is_suspended"
    yes = "Suspended"
    no = "Not suspended"


class DeliveryFilter(BooleanFilter):
    title = "delivery"
    parameter_name = "delivered"
    field = "fanned_out"
    yes = "Reached followers' timelines"
    no = "Merged in when read (popular author)"


@admin.register(Tweet)
class TweetAdmin(ModerationPermissions, IndexedSearchAdmin):
    list_display = ["id", "by", "short_text", "created", "hidden", "likes"]
    list_select_related = ["author"]
    raw_id_fields = ["author", "in_reply_to"]
    search_lookups = ("pk", "author__username__lower")
    search_help_text = "Exact tweet id or author username."
    list_filter = [HiddenFilter, DeliveryFilter]
    readonly_fields = [
        "id",
        "author",
        "content_warning",
        "text",
        "original",
        "in_reply_to",
        "created_at",
        "edited_at",
        "versions",
        "sensitive",
        "language",
        "reply_count",
        "like_count",
        "reposts",
        "mentions",
        "tags",
        "delivery",
        "is_hidden",
        "pictures",
    ]
    # Every field read-only (a select of every tweet for repost_of would read the whole table).
    fields = readonly_fields
    ordering = ["-id"]
    actions = [
        moderation_action("hide_tweets", "Hide selected tweets", "hide", _hide),
        moderation_action("unhide_tweets", "Unhide selected tweets", "hide", _unhide),
        moderation_action(
            "delete_tweets", "Delete selected tweets and their media", "remove", _delete
        ),
    ]

    @admin.display(description="author")
    def by(self, tweet):
        return truncated(tweet.author.username, 9)

    @admin.display(description="text")
    def short_text(self, tweet):
        if tweet.repost_of_id:
            return format_html("repost of {}", _tweet_link(tweet.repost_of_id))
        return truncated(tweet.text, 24)

    @admin.display(description="repost of")
    def original(self, tweet):
        """The reposted original, linked, with its author and the start of its text."""
        if not tweet.repost_of_id:
            return "-"
        original = Tweet.objects.select_related("author").get(pk=tweet.repost_of_id)
        return format_html(
            "{} by @{}: {}", _tweet_link(original.pk), original.author.username, original.text[:80]
        )

    @admin.display(description="reposts")
    def reposts(self, tweet):
        """The stored repost count, linking to the reposts."""
        url = reverse("admin:tweets_tweet_changelist") + f"?repost_of__id__exact={tweet.pk}"
        return format_html('<a href="{}">{}</a>', url, tweet.repost_count)

    @admin.display(description="mentions")
    def mentions(self, tweet):
        """The accounts the tweet mentions, as stored in its entities (linked)."""
        accounts = {m["id"]: m["username"] for m in tweet.entities.get("mentions", [])}
        return (
            format_html_join(
                ", ",
                '<a href="{}">@{}</a>',
                (
                    (reverse("admin:accounts_user_change", args=[pk]), username)
                    for pk, username in accounts.items()
                ),
            )
            or "-"
        )

    @admin.display(description="earlier versions")
    def versions(self, tweet):
        """What an edited tweet said and showed before, oldest first (a report may be about one
        of these): each version's time, text, whether it was marked sensitive and its pictures
        (those an edit took off too: they are still served with the history)."""
        earlier = selectors.tweet_versions(tweet=tweet)[:-1]
        rows = (
            (
                short_time(version.created_at),
                " (sensitive)" if version.sensitive else "",
                reported_text(version.text, version.content_warning),
                format_html(" {}", _images(version.media_files)) if version.media_files else "",
            )
            for version in earlier
        )
        return format_html_join("", "<p>{}{}: {}{}</p>", rows) or "-"

    @admin.display(description="hashtags")
    def tags(self, tweet):
        """The tweet's hashtags by their normalized names, as stored in its entities."""
        names = dict.fromkeys(tag["name"] for tag in tweet.entities.get("tags", []))
        return " ".join(f"#{name}" for name in names) or "-"

    @admin.display(description="created (UTC)")
    def created(self, tweet):
        return short_time(tweet.created_at)

    @admin.display(description="hidden", boolean=True)
    def hidden(self, tweet):
        return tweet.is_hidden

    @admin.display(description="likes")
    def likes(self, tweet):
        return tweet.like_count

    @admin.display(description="delivery")
    def delivery(self, tweet):
        return DeliveryFilter.yes if tweet.fanned_out else DeliveryFilter.no

    @admin.display(description="pictures")
    def pictures(self, tweet):
        return _preview_images(tweet)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # deletion goes through the "Delete … and their media" action (audited)


@admin.register(Report)
class ReportAdmin(ModerationPermissions, IndexedSearchAdmin):
    list_display = [
        "status",
        "reason",
        "target",
        "reported_words",
        "tweet_pictures",
        "short_comment",
        "by",
        "created",
    ]
    list_display_links = ["status"]
    list_select_related = [
        "reporter",
        "tweet__author",
        "tweet__repost_of__author",
        "account",
        "tweet_author",
    ]
    list_filter = ["status", "reason"]
    search_lookups = (
        "tweet_id",  # reports filed before they kept the id
        "reported_tweet_id",
        "account__username__lower",
        "tweet_author__username__lower",
        "reposted_author__username__lower",
        "reporter__username__lower",
    )
    search_help_text = (
        "Exact tweet id, reported username (or the tweet's author's, or a repost's original "
        "author's) or reporter username."
    )
    raw_id_fields = [
        "reporter",
        "tweet",
        "account",
        "tweet_author",
        "reposted_author",
        "handled_by",
    ]
    readonly_fields = [
        "reporter",
        "tweet",
        "reported_tweet_id",
        "tweet_author",
        "tweet_text",
        "tweet_edited_at",
        "reposted_author",
        "account",
        "reason",
        "comment",
        "status",
        "created_at",
        "handled_by",
        "handled_at",
    ]
    actions = [
        moderation_action("resolve_reports", "Resolve selected reports", "close", _resolve),
        moderation_action("dismiss_reports", "Dismiss selected reports", "close", _dismiss),
        moderation_action(
            "hide_reported_tweets",
            "Hide the reported tweets (and resolve)",
            "hide",
            lambda report, moderator, reason: _act_on_report(report, moderator, reason, _hide),
        ),
        moderation_action(
            "delete_reported_tweets",
            "Delete the reported tweets and their media (and resolve)",
            "remove",
            lambda report, moderator, reason: _act_on_report(report, moderator, reason, _delete),
        ),
        moderation_action(
            "suspend_reported_accounts",
            "Suspend the reported accounts or tweet authors (and resolve)",
            "suspend",
            lambda report, moderator, reason: _act_on_report(report, moderator, reason, _suspend),
        ),
    ]

    def get_queryset(self, request):
        # Open reports first, grouped by what they report, newest first within a group.
        return (
            super()
            .get_queryset(request)
            .prefetch_related("tweet__attachments__media")
            .annotate(
                queue_rank=Case(
                    When(status=Report.Status.OPEN, then=Value(0)),
                    default=Value(1),
                    output_field=IntegerField(),
                )
            )
            .order_by("queue_rank", "tweet_id", "account_id", "-id")
        )

    @admin.display(description="reported")
    def target(self, report):
        if report.account_id:
            return truncated(f"account @{report.account.username}", 10)
        if report.tweet_id:
            return truncated(f"tweet {report.tweet_id} by @{report.tweet.author.username}", 10)
        if report.tweet_author_id:
            number = f" {report.reported_tweet_id}" if report.reported_tweet_id else ""
            return truncated(f"deleted tweet{number} by @{report.tweet_author.username}", 10)
        return "(deleted tweet)"

    @admin.display(description="tweet text")
    def reported_words(self, report):
        """What the tweet said when reported (a repost: what it reposted), kept by the report,
        also once the tweet is deleted; says so when it was edited since (its page lists the
        versions) or deleted."""
        text = report.tweet_text
        if not report.tweet_id:
            return format_html("{} (deleted)", truncated(text, 10)) if text else ""
        shown = report.tweet.repost_of or report.tweet
        if report.tweet_author_id is None:  # filed by a release that kept no words: as it is now
            words = reported_text(shown.text, shown.content_warning)
            if shown is report.tweet:
                return truncated(words, 10)
            return truncated(reported_repost_words(shown.pk, shown.author.username, words), 10)
        if shown.edited_at == report.tweet_edited_at:
            return truncated(text, 10)
        return format_html("{} (edited since)", truncated(text, 10))

    @admin.display(description="reporter")
    def by(self, report):
        return truncated(report.reporter.username, 8)

    @admin.display(description="comment")
    def short_comment(self, report):
        return truncated(report.comment, 8)

    @admin.display(description="created (UTC)")
    def created(self, report):
        return short_time(report.created_at)

    @admin.display(description="pictures")
    def tweet_pictures(self, report):
        return _preview_images(report.tweet)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _act_on_report(report, moderator, reason, perform):
    """Apply a tweet action (or, for suspension, an account action) to what a report is about,
    which resolves the report (and the other open ones about it). A report that an action on
    another one of the selection (or another moderator) resolved meanwhile is left as it is."""
    if not Report.objects.filter(pk=report.pk, status=Report.Status.OPEN).exists():
        return False
    if perform is _suspend:
        target = report.account or (report.tweet.author if report.tweet_id else None)
        target = target or report.tweet_author
    else:
        target = report.tweet
    if target is None:
        raise ValidationError("This report has nothing left to act on.")
    perform(target, moderator, reason)
    services.report_close(report=report, moderator=moderator, resolved=True, reason=reason)
    return True


@admin.register(ModerationAction)
class ModerationActionAdmin(ReadOnlyAdmin, IndexedSearchAdmin):
    list_display = ["id", "created", "by", "kind", "short_reason", "about"]
    list_display_links = ["id"]
    list_select_related = ["moderator", "account"]
    list_filter = ["kind"]
    search_lookups = ("tweet_id", "moderator__username__lower", "account__username__lower")
    search_help_text = "Exact moderator or account username, or tweet id."
    ordering = ["-id"]

    @admin.display(description="created (UTC)")
    def created(self, action):
        return short_time(action.created_at)

    @admin.display(description="moderator")
    def by(self, action):
        return truncated(action.moderator.username, 8) if action.moderator else "-"

    @admin.display(description="reason")
    def short_reason(self, action):
        return truncated(action.reason, 20)

    @admin.display(description="about")
    def about(self, action):
        parts = []
        if action.tweet_id:
            parts.append(f"tweet {action.tweet_id}")
        if action.account_id:
            parts.append(f"@{action.account.username}")
        if action.report_id:
            parts.append(f"report {action.report_id}")
        return truncated(", ".join(parts) or "-", 16)


@admin.register(Like)
class LikeAdmin(ServiceDeletesAdmin, IndexedSearchAdmin):
    list_display = ["id", "user", "tweet", "created_at"]
    list_select_related = ["user", "tweet"]
    raw_id_fields = ["user", "tweet"]
    search_lookups = ("tweet_id", "user__username__lower")
    search_help_text = "Exact username or tweet id."
    ordering = ["-id"]

    def remove(self, like):
        services.like_delete(user=like.user, tweet=like.tweet)


@admin.register(Follow)
class FollowAdmin(ServiceDeletesAdmin, IndexedSearchAdmin):
    list_display = ["id", "follower", "followee", "created_at"]
    list_select_related = ["follower", "followee"]
    raw_id_fields = ["follower", "followee"]
    search_lookups = ("follower__username__lower", "followee__username__lower")
    search_help_text = "Exact username of the follower or the followee."
    ordering = ["-id"]

    def remove(self, follow):
        services.follow_delete(follower=follow.follower, followee=follow.followee)


@admin.register(Block)
class BlockAdmin(ReadOnlyAdmin, IndexedSearchAdmin):
    """Who blocks whom: many blocks received in a short time are a signal of abuse. Read-only;
    mutes are private and not shown."""

    list_display = ["id", "blocked", "blocker", "created_at"]
    list_select_related = ["blocker", "blocked"]
    raw_id_fields = ["blocker", "blocked"]
    search_lookups = ("blocked__username__lower", "blocker__username__lower")
    search_help_text = "Exact username of the blocked account or of the blocker."
    ordering = ["-id"]


# The accounts admin, with the moderation actions of this layer added on top.
admin.site.unregister(User)


@admin.register(User)
class ModeratedUserAdmin(ModerationPermissions, UserAdmin):
    list_display = [*UserAdmin.list_display, "suspended"]
    list_filter = [SuspendedFilter, *UserAdmin.list_filter]
    readonly_fields = [
        *UserAdmin.readonly_fields,
        "suspended",
        "suspended_at",
        "blocks_received",
    ]
    fieldsets = [
        *UserAdmin.fieldsets,
        ("Moderation", {"fields": ["suspended", "suspended_at", "blocks_received"]}),
    ]
    actions = [
        moderation_action("suspend_accounts", "Suspend selected accounts", "suspend", _suspend),
        moderation_action(
            "unsuspend_accounts", "Unsuspend selected accounts", "suspend", _unsuspend
        ),
    ]

    def get_deleted_objects(self, objs, request):
        """The confirmation before deleting accounts: the accounts, and what goes with them
        counted by kind. Django's default would load and list every row that goes, and ask for
        the permission to delete tweets, uploads and reports, which no admin here grants (they go
        only through their services; ``account_delete`` removes them with the account). So the
        permission to delete accounts, which the delete view checks, is what it takes, except
        that nobody deletes their own account here, and only superusers delete staff accounts
        (as only they suspend them): what is refused is named, and the deletion answers 403."""
        accounts = list(objs)
        listed = [
            format_html(
                '{}: <a href="{}">{}</a>',
                "Account",
                reverse("admin:accounts_user_change", args=[account.pk]),
                account.username,
            )
            for account in accounts
        ]
        counts = selectors.account_deletion_counts(accounts=accounts)
        summary = {"accounts": len(accounts), **{kind: n for kind, n in counts.items() if n}}
        refused = set()
        if any(account.pk == request.user.pk for account in accounts):
            refused.add("your own account")
        if not request.user.is_superuser and any(
            account.is_staff or account.is_superuser for account in accounts
        ):
            refused.add("staff accounts (superusers only)")
        return listed, summary, refused, []

    def delete_model(self, request, obj):
        services.account_delete(account=obj, moderator=request.user)

    def delete_queryset(self, request, queryset):
        for account in queryset:
            services.account_delete(account=account, moderator=request.user)

    @admin.display(description="suspended", boolean=True)
    def suspended(self, account):
        return account.is_suspended

    @admin.display(description="blocks received")
    def blocks_received(self, account):
        """How many accounts block this one (a signal of abuse), linking to the list of them."""
        if account.pk is None:
            return "-"
        received = Block.objects.filter(blocked=account)
        recent = received.filter(created_at__gte=timezone.now() - timedelta(days=7))
        url = reverse("admin:tweets_block_changelist") + f"?blocked__id__exact={account.pk}"
        return format_html(
            '<a href="{}">{} in total, {} in the last 7 days</a>',
            url,
            received.count(),
            recent.count(),
        )
