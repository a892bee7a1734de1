"""Tweets and reposts, their attachments, and the visibility rule every read of tweets goes
through."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import active_account_q
from core.ids import next_id

# What a tweet's JSON needs joined: its author's row and avatar, and for a repost the original
# with its author's. Prefix with a path (``"tweet__"``) to reach tweets from another model.
TWEET_JOINS = ("author__avatar", "repost_of__author__avatar")


def attachments_prefetch(path: str = "") -> models.Prefetch:
    """Attachments in display order with their media rows: one query for a whole page."""
    return models.Prefetch(
        f"{path}attachments",
        queryset=TweetMedia.objects.select_related("media").order_by("position"),
    )


def sees_everything(viewer) -> bool:
    """Staff see every tweet, hidden ones too."""
    return viewer is not None and viewer.is_authenticated and viewer.is_staff


def _shown_q(path: str) -> Q:
    """Not hidden by a moderator, by an active and unsuspended author."""
    return active_account_q(f"{path}author__") & Q(**{f"{path}is_hidden": False})


def visible_tweet_q(viewer, path: str = "") -> Q:
    """The rule every read of tweets goes through: not hidden by a moderator, by an active and
    unsuspended author, and for a repost the same of its original; staff see everything. ``path``
    reaches the tweet from another model (``"tweet__"``), so that the rule applies through a join.
    """
    if sees_everything(viewer):
        return Q()
    return _shown_q(path) & (
        Q(**{f"{path}repost_of__isnull": True}) | _shown_q(f"{path}repost_of__")
    )


def visible_original_q(viewer, path: str = "") -> Q:
    """``visible_tweet_q`` for reads of original tweets only (no reposts): the same rule, without
    the join to an original that an original does not have."""
    originals = Q(**{f"{path}repost_of__isnull": True})
    return originals if sees_everything(viewer) else originals & _shown_q(path)


class TweetQuerySet(models.QuerySet):
    def visible(self):
        """Tweets anyone may see."""
        return self.filter(visible_tweet_q(None))

    def visible_to(self, viewer):
        """Tweets and reposts this viewer may see (staff also see hidden ones)."""
        return self.filter(visible_tweet_q(viewer))

    def originals_visible_to(self, viewer):
        """Original tweets (no reposts) this viewer may see."""
        return self.filter(visible_original_q(viewer))

    def with_author(self):
        """With what a tweet's JSON needs: the author and avatar joined, and for a repost its
        original with its author; media prefetched."""
        return self.select_related(*TWEET_JOINS).prefetch_related(
            attachments_prefetch(), attachments_prefetch("repost_of__")
        )


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
    # A repost (Mastodon's reblog) is a row of its own, with its own time-ordered id, so that it
    # takes a place in timelines by the time of the repost; it has no text and is no reply.
    repost_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reposts",
        db_index=False,
    )
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    reply_count = models.PositiveIntegerField(default=0)
    like_count = models.PositiveIntegerField(default=0)
    repost_count = models.PositiveIntegerField(default=0)
    # Mentions and hashtags as the tweet's JSON shows them, with character offsets, written when
    # it is posted or edited (see tweets/services/entities.py).
    entities = models.JSONField(default=dict, blank=True)
    # False when the author had too many followers to fan out to: merged into timelines at read.
    fanned_out = models.BooleanField(default=True)
    # Hidden by a moderator: gone from every timeline, list, search and count, except for staff.
    is_hidden = models.BooleanField(default=False)
    # Marked by its author as sensitive: clients show its pictures behind a warning. The default
    # is the database's too, so that a release without the column can still post beside this one.
    sensitive = models.BooleanField(default=False, db_default=False)
    # The language it is written in, as its author says (ISO 639: "en", "ko"), or "" unsaid.
    language = models.CharField(max_length=3, blank=True, default="", db_default="")
    # Its content warning (Mastodon's spoiler text): a few words clients show in place of the
    # text until the reader opens it, or "" for none. A tweet with one is sensitive.
    content_warning = models.TextField(blank=True, default="", db_default="")

    objects = TweetQuerySet.as_manager()

    class Meta:
        permissions = [("hide_tweet", "Can hide and unhide tweets")]
        constraints = [
            # One repost per account and original; also serves "did the viewer repost these".
            models.UniqueConstraint(
                fields=["author", "repost_of"],
                condition=Q(repost_of__isnull=False),
                name="repost_once",
            ),
            models.CheckConstraint(
                condition=Q(repost_of__isnull=True) | Q(in_reply_to__isnull=True, text=""),
                name="repost_is_bare",
            ),
        ]
        indexes = [
            models.Index(fields=["author", "-id"], name="tweet_author_id"),
            models.Index(fields=["in_reply_to", "id"], name="tweet_reply_id"),
            models.Index(
                fields=["author", "-id"],
                name="tweet_unfanned_author_id",
                condition=Q(fanned_out=False),
            ),
            models.Index(
                fields=["repost_of", "-id"],
                name="tweet_repost_id",
                condition=Q(repost_of__isnull=False),
            ),
        ]

    def __str__(self):
        if self.repost_of_id:
            return f"{self.author_id} reposts {self.repost_of_id}"
        return f"{self.author_id}: {self.text[:50]}"

    def media_files(self) -> list:
        """The attached uploads in display order, as ``tweets_hydrate`` or a prefetch of
        ``attachments`` (``with_author``) loaded them for a whole page, or ``tweet_create``
        attached them; else one query."""
        hydrated = getattr(self, "_media_files", None)
        if hydrated is not None:
            return hydrated
        return [attachment.media for attachment in self.attachments.all()]


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


class TweetMediaRemoved(models.Model):
    """An upload an edit took off a tweet, kept for the tweet's history (its earlier versions
    still show it, and a later edit may put it back): it goes with the tweet, and no other tweet
    can claim it (it stays marked attached)."""

    tweet = models.ForeignKey(Tweet, on_delete=models.CASCADE, related_name="+")
    media = models.OneToOneField("media.MediaFile", on_delete=models.CASCADE, related_name="+")

    def __str__(self):
        return f"media {self.media_id} once of tweet {self.tweet_id}"


class TweetEdit(models.Model):
    """One version of an edited tweet, as it was from ``created_at`` on: the first edit records
    the version it replaces (at the tweet's ``created_at``) and each edit the version it makes.
    A tweet never edited has none. ``media`` is the version's attachments in order, as
    ``[{"id": …, "description": …}]``; an upload an edit takes off is kept
    (``TweetMediaRemoved``) until the tweet goes."""

    id = models.BigAutoField(primary_key=True)
    tweet = models.ForeignKey(Tweet, on_delete=models.CASCADE, related_name="edits", db_index=False)
    text = models.TextField()
    content_warning = models.TextField(blank=True, default="", db_default="")
    sensitive = models.BooleanField(default=False)
    entities = models.JSONField(default=dict, blank=True)
    media = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["tweet", "id"], name="tweet_edit_tweet_id")]

    def __str__(self):
        return f"version of tweet {self.tweet_id} from {self.created_at:%Y-%m-%d %H:%M}"
