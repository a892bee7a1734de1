"""Reports by users and the moderators' audit log."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from tweets.models.tweets import Tweet


class Report(models.Model):
    """A user's report of a tweet or an account, for moderators to resolve or dismiss. A report
    of a tweet keeps which tweet, who wrote it and what it said when reported
    (``reported_tweet_id``, ``tweet_author``, ``tweet_text`` with ``tweet_edited_at``; a
    repost's, ``reposted_author`` too): an author deleting a reported tweet leaves the report
    open, with that."""

    class Reason(models.TextChoices):
        SPAM = "spam"
        ABUSE = "abuse"
        ILLEGAL = "illegal"
        OTHER = "other"

    class Status(models.TextChoices):
        OPEN = "open"
        RESOLVED = "resolved"
        DISMISSED = "dismissed"

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    # SET_NULL: a report outlives the tweet a moderator deleted.
    tweet = models.ForeignKey(
        Tweet, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    # The reported tweet's id, kept once the tweet is deleted (``tweet`` is then None): the
    # moderators find the report by it, as the audit log's actions.
    reported_tweet_id = models.BigIntegerField(null=True, blank=True)
    # The reported tweet's author (a repost's: the reposter) and text (a repost's: its
    # original's) as they were when reported.
    tweet_author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    tweet_text = models.TextField(blank=True, default="", db_default="")
    # A repost's report: the author of the tweet it reposted, whose words ``tweet_text`` keeps
    # (they go with that account, also once the repost is gone).
    reposted_author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    # When the version in ``tweet_text`` was written: the shown tweet's ``edited_at`` then (None:
    # not edited yet). The tweet was edited since exactly when its ``edited_at`` is another now.
    tweet_edited_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=10, choices=Reason.choices)
    comment = models.CharField(max_length=1000, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(tweet__isnull=True) | Q(account__isnull=True),
                name="report_one_target",
            ),
            # Reporting the same thing again while a report is open changes nothing.
            models.UniqueConstraint(
                fields=["reporter", "tweet"],
                condition=Q(status="open", tweet__isnull=False),
                name="report_tweet_once_while_open",
            ),
            models.UniqueConstraint(
                fields=["reporter", "account"],
                condition=Q(status="open", account__isnull=False),
                name="report_account_once_while_open",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "tweet", "account", "-id"], name="report_queue"),
            models.Index(fields=["tweet"], name="report_tweet"),
            models.Index(fields=["account"], name="report_account"),
            models.Index(fields=["tweet_author"], name="report_tweet_author"),
            models.Index(fields=["reposted_author"], name="report_reposted_author"),
            models.Index(fields=["reported_tweet_id"], name="report_reported_tweet"),
            # An account's deletion finds the reports it filed (the constraints cover open ones).
            models.Index(fields=["reporter"], name="report_reporter"),
        ]

    def __str__(self):
        if self.account_id:
            target = f"account {self.account_id}"
        else:
            target = f"tweet {self.tweet_id}" if self.tweet_id else "a deleted tweet"
        return f"report {self.pk} of {target} ({self.reason})"


def reported_text(text: str, content_warning: str = "") -> str:
    """How a report keeps what a tweet said: its content warning (in brackets) and its text."""
    return f"[{content_warning}] {text}" if content_warning else text


def reported_repost_words(original_id: int, username: str, words: str) -> str:
    """How a report keeps the words of a repost: whose tweet it reposted and what that said
    (``reported_text``)."""
    return f"repost of {original_id} by @{username}: {words}"


def reports_about_author_q(account_id: int) -> Q:
    """Reports about an account and about what it wrote: its tweets, also those deleted since
    (``tweet_author``), and those a report filed by the previous release did not record the
    author of. Each part through its own index, united: not a scan of the whole queue."""
    tweets = Tweet.objects.filter(author_id=account_id).values("pk")
    about = (
        Report.objects.filter(account_id=account_id)
        .values("pk")
        .union(
            Report.objects.filter(tweet_author_id=account_id).values("pk"),
            Report.objects.filter(tweet__in=tweets).values("pk"),
        )
    )
    return Q(pk__in=about)


def reports_about_accounts_q(ids) -> Q:
    """Reports that deleting these accounts (by id) would leave about nothing: about the accounts,
    their tweets (also those they deleted since), and others' reposts of their tweets (which go
    with them; also those gone since, by ``reposted_author``). Each part through its own index,
    united: not a scan of the whole queue."""
    tweets = Tweet.objects.filter(author__in=ids).values("pk")
    reposts = Tweet.objects.filter(repost_of__in=tweets).values("pk")
    about = (
        Report.objects.filter(account__in=ids)
        .values("pk")
        .union(
            Report.objects.filter(tweet_author__in=ids).values("pk"),
            Report.objects.filter(tweet__in=tweets).values("pk"),
            Report.objects.filter(tweet__in=reposts).values("pk"),
            Report.objects.filter(reposted_author__in=ids).values("pk"),
        )
    )
    return Q(pk__in=about)


class ModerationAction(models.Model):
    """The audit log: who did what to which tweet or account, when and why."""

    class Kind(models.TextChoices):
        HIDE_TWEET = "hide_tweet"
        UNHIDE_TWEET = "unhide_tweet"
        DELETE_TWEET = "delete_tweet"
        SUSPEND_ACCOUNT = "suspend_account"
        UNSUSPEND_ACCOUNT = "unsuspend_account"
        RESOLVE_REPORT = "resolve_report"
        DISMISS_REPORT = "dismiss_report"

    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # Plain ids, not foreign keys: the log outlives deleted tweets.
    tweet_id = models.BigIntegerField(null=True, blank=True)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    report_id = models.BigIntegerField(null=True, blank=True)
    reason = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self):
        return f"{self.kind} by {self.moderator_id} at {self.created_at:%Y-%m-%d %H:%M}"
