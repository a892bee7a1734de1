"""Tweets, likes, follows and the precomputed home timeline.

See docs/architecture.md for the timeline design (fan-out on write, with read-time merging for
authors with very many followers).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import active_account_q
from core.ids import next_id


def attachments_prefetch() -> models.Prefetch:
    """Attachments in display order with their media rows: one query for a whole page."""
    return models.Prefetch(
        "attachments", queryset=TweetMedia.objects.select_related("media").order_by("position")
    )


def visible_tweet_q(viewer, path: str = "") -> Q:
    """The rule every read of tweets goes through: not hidden by a moderator, by an active and
    unsuspended author, except that staff see everything. ``path`` reaches the tweet from another
    model (``"tweet__"``), so that the rule applies through a join."""
    if viewer is not None and viewer.is_authenticated and viewer.is_staff:
        return Q()
    return active_account_q(f"{path}author__") & Q(**{f"{path}is_hidden": False})


class TweetQuerySet(models.QuerySet):
    def visible(self):
        """Tweets anyone may see."""
        return self.filter(visible_tweet_q(None))

    def visible_to(self, viewer):
        """Tweets this viewer may see (staff also see hidden ones)."""
        return self.filter(visible_tweet_q(viewer))

    def with_author(self):
        """With what a tweet's JSON needs: the author and avatar joined, media prefetched."""
        return self.select_related("author__avatar").prefetch_related(attachments_prefetch())


class Tweet(models.Model):
    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    # Foreign-key indexes are left out where a composite index below starts with the same column.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tweets", db_index=False
    )
    text = models.TextField()
    in_reply_to = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replies",
        db_index=False,
    )
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    reply_count = models.PositiveIntegerField(default=0)
    like_count = models.PositiveIntegerField(default=0)
    # False when the author had too many followers to fan out to: merged into timelines at read.
    fanned_out = models.BooleanField(default=True)
    # Hidden by a moderator: gone from every timeline, list, search and count, except for staff.
    is_hidden = models.BooleanField(default=False)

    objects = TweetQuerySet.as_manager()

    class Meta:
        permissions = [("hide_tweet", "Can hide and unhide tweets")]
        indexes = [
            models.Index(fields=["author", "-id"], name="tweet_author_id"),
            models.Index(fields=["in_reply_to", "id"], name="tweet_reply_id"),
            models.Index(
                fields=["author", "-id"],
                name="tweet_unfanned_author_id",
                condition=Q(fanned_out=False),
            ),
        ]

    def __str__(self):
        return f"{self.author_id}: {self.text[:50]}"


class TweetMedia(models.Model):
    """An upload attached to a tweet, in display order. An upload belongs to one tweet only."""

    tweet = models.ForeignKey(
        Tweet, on_delete=models.CASCADE, related_name="attachments", db_index=False
    )
    media = models.OneToOneField("media.MediaFile", on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tweet", "position"], name="tweet_media_position")
        ]

    def __str__(self):
        return f"media {self.media_id} of tweet {self.tweet_id}"


class Like(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    tweet = models.ForeignKey(Tweet, on_delete=models.CASCADE, related_name="likes", db_index=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "tweet"], name="like_once")]
        indexes = [models.Index(fields=["tweet", "-id"], name="like_tweet_id")]

    def __str__(self):
        return f"{self.user_id} likes {self.tweet_id}"


class Follow(models.Model):
    follower = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    followee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["follower", "followee"], name="follow_once"),
            models.CheckConstraint(
                condition=~Q(follower=models.F("followee")), name="follow_not_self"
            ),
        ]
        indexes = [
            models.Index(fields=["followee", "-id"], name="follow_followee_id"),
            models.Index(fields=["follower", "-id"], name="follow_follower_id"),
        ]

    def __str__(self):
        return f"{self.follower_id} follows {self.followee_id}"


class TimelineEntry(models.Model):
    """One tweet in one reader's home timeline; the (owner, tweet) index serves every page.

    Timeline rows are derived data: rebuildable from tweets and follows, always read through a
    join to their tweet, and deleted with it by Django's cascade. So they carry no database-level
    foreign-key constraints, whose deferred checks tripled the cost of fanning out a tweet.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    tweet = models.ForeignKey(
        Tweet, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "tweet"], name="timeline_entry_once")
        ]

    def __str__(self):
        return f"{self.tweet_id} in {self.owner_id}'s timeline"


class Broadcaster(models.Model):
    """An author with tweets that were not fanned out; readers merge those in at read time."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )

    def __str__(self):
        return str(self.user_id)


class Report(models.Model):
    """A user's report of a tweet or an account, for moderators to resolve or dismiss."""

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
        ]

    def __str__(self):
        target = f"tweet {self.tweet_id}" if self.tweet_id else f"account {self.account_id}"
        return f"report {self.pk} of {target} ({self.reason})"


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
