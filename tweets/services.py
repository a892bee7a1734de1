"""Writes of the social layer: tweets, likes, follows, and keeping home timelines in step.

Each function runs in one transaction: the row, its counters and its timeline entries are written
together or not at all. Counters change by ``F()`` expressions, so concurrent writers do not lose
updates. The timeline rules (who gets which entry) live in the ``timeline_*`` functions, the
moderation writes (each logged with its reason) at the end.
"""

from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import active_account_q
from accounts.services import user_set_suspended
from media.models import MediaFile
from media.services import media_claim, media_delete
from tweets.ids import id_datetime, id_floor
from tweets.metrics import FOLLOWS, LIKES, TWEETS
from tweets.models import (
    Broadcaster,
    Follow,
    Like,
    ModerationAction,
    Report,
    TimelineEntry,
    Tweet,
    TweetMedia,
)

User = get_user_model()


# --- Tweets --------------------------------------------------------------------------------------
def tweet_text_clean(text: str) -> str:
    """The one rule for tweet text: 1 to TWEET_MAX_LENGTH code points once trimmed."""
    text = text.strip()
    if not text:
        raise ValidationError({"text": ["A tweet cannot be empty."]})
    limit = settings.TWEET_MAX_LENGTH
    if len(text) > limit:
        raise ValidationError(
            {"text": [f"A tweet has at most {limit} characters (this one has {len(text)})."]}
        )
    return text


@transaction.atomic
def tweet_create(
    *, author: User, text: str, in_reply_to: Tweet | None = None, media_ids: Sequence[int] = ()
) -> Tweet:
    """Post a tweet (or a reply) with up to four of the author's uploads, and put it into the
    author's and their followers' timelines."""
    text = tweet_text_clean(text)
    media = media_claim(owner=author, media_ids=list(media_ids)) if media_ids else []
    if in_reply_to is not None:
        # Lock the parent (its row only, not its author's): a reply to a tweet being deleted
        # must fail, not dangle.
        parent = (
            Tweet.objects.visible()
            .select_for_update(of=("self",))
            .filter(pk=in_reply_to.pk)
            .first()
        )
        if parent is None:
            raise ValidationError({"in_reply_to": ["That tweet does not exist."]})
        Tweet.objects.filter(pk=parent.pk).update(reply_count=F("reply_count") + 1)

    tweet = Tweet(author=author, text=text, in_reply_to=in_reply_to)
    tweet.created_at = id_datetime(tweet.pk)  # so that time filters on ids agree with it
    tweet.fanned_out = author.followers_count <= settings.TIMELINE_FANOUT_MAX_FOLLOWERS
    tweet.save(force_insert=True)
    TweetMedia.objects.bulk_create(
        [TweetMedia(tweet=tweet, media=item, position=n) for n, item in enumerate(media)]
    )
    User.objects.filter(pk=author.pk).update(tweets_count=F("tweets_count") + 1)
    timeline_fan_out(tweet)
    TWEETS.inc()
    return tweet


@transaction.atomic
def tweet_update(*, tweet: Tweet, editor: User, text: str) -> Tweet:
    """Change a tweet's text (author only) and mark it edited."""
    if editor.pk != tweet.author_id:
        raise PermissionDenied("Only the author can edit a tweet.")
    tweet.text = tweet_text_clean(text)
    tweet.edited_at = timezone.now()
    tweet.save(update_fields=["text", "edited_at"])
    return tweet


@transaction.atomic
def tweet_delete(*, tweet: Tweet, actor: User, reason: str = "") -> None:
    """Delete a tweet (its author or staff): its likes, timeline entries and media go with it.
    Staff deleting someone else's tweet is a moderation action, written to the audit log."""
    if actor.pk != tweet.author_id:
        if not actor.is_staff:
            raise PermissionDenied("Only the author or staff can delete a tweet.")
        _record(
            actor,
            ModerationAction.Kind.DELETE_TWEET,
            reason or "Deleted by staff through the API.",
            tweet_id=tweet.pk,
            account_id=tweet.author_id,
        )
    media_delete(
        MediaFile.objects.filter(pk__in=TweetMedia.objects.filter(tweet=tweet).values("media_id"))
    )
    if not tweet.is_hidden:
        User.objects.filter(pk=tweet.author_id, tweets_count__gt=0).update(
            tweets_count=F("tweets_count") - 1
        )
    tweet.delete()
    _recount_replies([tweet.in_reply_to_id])


def _count(rows, group: str):
    """A correlated ``COUNT`` of ``rows`` per ``group`` (matched to the outer row), 0 when none."""
    counted = rows.filter(**{group: OuterRef("pk")}).order_by().values(group)
    return Coalesce(Subquery(counted.annotate(n=Count("pk")).values("n")), 0)


def _recount_replies(parent_ids) -> None:
    """Set reply_count to the number of visible replies (after a delete, hide or suspension).
    ``None`` among the ids (a tweet that is no reply) is ignored."""
    Tweet.objects.filter(pk__in=parent_ids).update(
        reply_count=_count(Tweet.objects.visible(), "in_reply_to")
    )


def _recount_around(account: User) -> None:
    """After an account is suspended or restored, set the counts that include it to what the
    lists show: its followees' followers, its followers' followees, the likes of what it liked
    and the replies of what it answered. One UPDATE each, over the rows it touches."""
    User.objects.filter(pk__in=Follow.objects.filter(follower=account).values("followee")).update(
        followers_count=_count(Follow.objects.filter(active_account_q("follower__")), "followee")
    )
    User.objects.filter(pk__in=Follow.objects.filter(followee=account).values("follower")).update(
        following_count=_count(Follow.objects.filter(active_account_q("followee__")), "follower")
    )
    Tweet.objects.filter(pk__in=Like.objects.filter(user=account).values("tweet")).update(
        like_count=_count(Like.objects.filter(active_account_q("user__")), "tweet")
    )
    _recount_replies(
        Tweet.objects.filter(author=account, in_reply_to__isnull=False).values("in_reply_to")
    )


# --- Likes ---------------------------------------------------------------------------------------
def like_create(*, user: User, tweet: Tweet) -> bool:
    """Like a tweet. Idempotent: returns False when it was already liked."""
    try:
        with transaction.atomic():
            Like.objects.create(user=user, tweet=tweet)
            Tweet.objects.filter(pk=tweet.pk).update(like_count=F("like_count") + 1)
    except IntegrityError:
        # Already liked (unique pair), or the tweet was deleted meanwhile.
        if not Tweet.objects.filter(pk=tweet.pk).exists():
            raise ValidationError({"tweet": ["That tweet does not exist."]}) from None
        return False
    LIKES.inc()
    return True


@transaction.atomic
def like_delete(*, user: User, tweet: Tweet) -> bool:
    """Take a like back. Idempotent: returns False when there was none."""
    deleted, _ = Like.objects.filter(user=user, tweet=tweet).delete()
    if deleted:
        Tweet.objects.filter(pk=tweet.pk, like_count__gt=0).update(like_count=F("like_count") - 1)
    return bool(deleted)


# --- Follows -------------------------------------------------------------------------------------
def follow_create(*, follower: User, followee: User) -> bool:
    """Follow someone; their recent tweets enter the follower's timeline. Idempotent."""
    if follower.pk == followee.pk:
        raise ValidationError({"detail": ["You cannot follow yourself."]})
    try:
        with transaction.atomic():
            follow = Follow.objects.create(follower=follower, followee=followee)
            User.objects.filter(pk=follower.pk).update(following_count=F("following_count") + 1)
            User.objects.filter(pk=followee.pk).update(followers_count=F("followers_count") + 1)
            timeline_backfill(owner=follower, follow=follow)
    except IntegrityError:
        return False
    FOLLOWS.inc()
    return True


@transaction.atomic
def follow_delete(*, follower: User, followee: User) -> bool:
    """Unfollow; their tweets leave the follower's timeline. Idempotent."""
    deleted, _ = Follow.objects.filter(follower=follower, followee=followee).delete()
    if not deleted:
        return False
    User.objects.filter(pk=follower.pk, following_count__gt=0).update(
        following_count=F("following_count") - 1
    )
    User.objects.filter(pk=followee.pk, followers_count__gt=0).update(
        followers_count=F("followers_count") - 1
    )
    TimelineEntry.objects.filter(
        owner=follower, tweet__in=Tweet.objects.filter(author=followee).values("pk")
    ).delete()
    return True


# --- Home timelines ------------------------------------------------------------------------------
def timeline_fan_out(tweet: Tweet) -> None:
    """Put a new tweet into its author's timeline and, unless the author has more followers than
    TIMELINE_FANOUT_MAX_FOLLOWERS, into every follower's: one INSERT ... SELECT, no rows in Python.
    """
    TimelineEntry.objects.create(owner_id=tweet.author_id, tweet=tweet)
    if not tweet.fanned_out:
        Broadcaster.objects.get_or_create(user_id=tweet.author_id)
        return
    entries = TimelineEntry._meta.db_table
    follows = Follow._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {entries} (owner_id, tweet_id) "  # table names come from our models
            f"SELECT follower_id, %s FROM {follows} WHERE followee_id = %s",
            [tweet.pk, tweet.author_id],
        )


def _followed_tweet_ids(follow: Follow) -> list[int]:
    """The one rule for what a follow puts into the follower's timeline: the followee's fanned-out
    tweets of the TIMELINE_BACKFILL_DAYS before the follow (at most TIMELINE_BACKFILL_MAX), and
    every fanned-out tweet of theirs since."""
    followed_at = id_floor(follow.created_at)
    fanned_out = Tweet.objects.filter(author_id=follow.followee_id, fanned_out=True)
    window_start = id_floor(follow.created_at - timedelta(days=settings.TIMELINE_BACKFILL_DAYS))
    before = fanned_out.filter(pk__gte=window_start, pk__lt=followed_at).order_by("-pk")
    since = fanned_out.filter(pk__gte=followed_at)
    return [
        *before.values_list("pk", flat=True)[: settings.TIMELINE_BACKFILL_MAX],
        *since.values_list("pk", flat=True),
    ]


def timeline_backfill(*, owner: User, follow: Follow) -> None:
    """On a follow: the followee's recent tweets enter the follower's timeline. (Tweets posted
    since are fanned out by their own transactions; any that committed already are added too.)"""
    TimelineEntry.objects.bulk_create(
        [TimelineEntry(owner=owner, tweet_id=pk) for pk in _followed_tweet_ids(follow)],
        ignore_conflicts=True,
    )


@transaction.atomic
def timeline_rebuild(*, owner: User) -> int:
    """Recompute a reader's timeline from tweets and follows; returns the number of entries.

    Gives exactly what the incremental rules maintain: the reader's own tweets, and for each
    follow what ``_followed_tweet_ids`` says.
    """
    tweet_ids = set(Tweet.objects.filter(author=owner).values_list("pk", flat=True))
    for follow in Follow.objects.filter(follower=owner).order_by():
        tweet_ids.update(_followed_tweet_ids(follow))
    TimelineEntry.objects.filter(owner=owner).delete()
    TimelineEntry.objects.bulk_create(
        [TimelineEntry(owner=owner, tweet_id=tweet_id) for tweet_id in sorted(tweet_ids)],
        batch_size=1000,
    )
    return len(tweet_ids)


# --- Reports and moderation ----------------------------------------------------------------------
def report_create(
    *,
    reporter: User,
    reason: str,
    tweet: Tweet | None = None,
    account: User | None = None,
    comment: str = "",
) -> tuple[Report, bool]:
    """Report a tweet or an account. Idempotent per reporter while the report is open: returns
    the open report and False when there already is one."""
    if (tweet is None) == (account is None):
        raise ValidationError({"detail": ["Report either a tweet or an account."]})
    if reason not in Report.Reason.values:
        raise ValidationError({"reason": [f"Choose one of: {', '.join(Report.Reason.values)}."]})
    if (account or tweet.author).pk == reporter.pk:
        raise ValidationError({"detail": ["You cannot report yourself."]})
    target = {"tweet": tweet} if tweet is not None else {"account": account}
    existing = Report.objects.filter(reporter=reporter, status=Report.Status.OPEN, **target)
    if (report := existing.first()) is not None:
        return report, False
    try:
        with transaction.atomic():
            report = Report.objects.create(
                reporter=reporter, reason=reason, comment=comment.strip(), **target
            )
    except IntegrityError:
        # The same reporter's concurrent request created it first.
        return existing.get(), False
    return report, True


def _record(moderator: User, kind: str, reason: str, **target) -> ModerationAction:
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": ["Say why: moderation actions need a reason."]})
    return ModerationAction.objects.create(moderator=moderator, kind=kind, reason=reason, **target)


@transaction.atomic
def tweet_set_hidden(*, tweet: Tweet, hidden: bool, moderator: User, reason: str) -> bool:
    """Hide a tweet from everyone but staff, or show it again; recorded in the audit log.
    Returns False when it already was in that state."""
    tweet = Tweet.objects.select_for_update().get(pk=tweet.pk)
    if tweet.is_hidden == hidden:
        return False
    kind = ModerationAction.Kind.HIDE_TWEET if hidden else ModerationAction.Kind.UNHIDE_TWEET
    _record(moderator, kind, reason, tweet_id=tweet.pk, account_id=tweet.author_id)
    Tweet.objects.filter(pk=tweet.pk).update(is_hidden=hidden)
    author = User.objects.filter(pk=tweet.author_id)
    if hidden:
        author.filter(tweets_count__gt=0).update(tweets_count=F("tweets_count") - 1)
    else:
        author.update(tweets_count=F("tweets_count") + 1)
    _recount_replies([tweet.in_reply_to_id])
    return True


@transaction.atomic
def tweet_delete_by_moderator(*, tweet: Tweet, moderator: User, reason: str) -> None:
    """Delete a tweet and its media as a moderator; recorded in the audit log with the reason
    (also when the moderator happens to be its author)."""
    if not reason.strip():
        raise ValidationError({"reason": ["Say why: moderation actions need a reason."]})
    if moderator.pk == tweet.author_id:
        _record(
            moderator,
            ModerationAction.Kind.DELETE_TWEET,
            reason,
            tweet_id=tweet.pk,
            account_id=tweet.author_id,
        )
    tweet_delete(tweet=tweet, actor=moderator, reason=reason)


@transaction.atomic
def account_set_suspended(*, account: User, suspended: bool, moderator: User, reason: str) -> bool:
    """Suspend an account (no logins, tokens refused at once, tweets hidden) or restore it;
    recorded in the audit log. Returns False when it already was in that state."""
    if account.pk == moderator.pk:
        raise ValidationError({"detail": ["You cannot suspend yourself."]})
    if not reason.strip():
        raise ValidationError({"reason": ["Say why: moderation actions need a reason."]})
    if not user_set_suspended(user=account, suspended=suspended):
        return False
    kind = (
        ModerationAction.Kind.SUSPEND_ACCOUNT
        if suspended
        else ModerationAction.Kind.UNSUSPEND_ACCOUNT
    )
    _record(moderator, kind, reason, account=account)
    _recount_around(account)
    return True


@transaction.atomic
def report_close(*, report: Report, moderator: User, resolved: bool, reason: str) -> bool:
    """Resolve (action was taken) or dismiss (nothing to do) an open report; recorded.
    Returns False when the report was no longer open."""
    report = Report.objects.select_for_update().get(pk=report.pk)
    if report.status != Report.Status.OPEN:
        return False
    kind = (
        ModerationAction.Kind.RESOLVE_REPORT if resolved else ModerationAction.Kind.DISMISS_REPORT
    )
    _record(
        moderator,
        kind,
        reason,
        report_id=report.pk,
        tweet_id=report.tweet_id,
        account_id=report.account_id,
    )
    report.status = Report.Status.RESOLVED if resolved else Report.Status.DISMISSED
    report.handled_by = moderator
    report.handled_at = timezone.now()
    report.save(update_fields=["status", "handled_by", "handled_at"])
    return True
