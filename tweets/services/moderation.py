"""Reports and moderation: each moderator action is written to the audit log with its reason.

Acting on a tweet or an account (hiding or deleting the tweet, suspending the account) answers
every open report about it: they are resolved with the action (``reports_resolve``), each
recorded, so that the queue holds only what still needs a moderator (as Mastodon closes an
account's reports on an action). A staff delete through the API does the same (``tweet_delete``)."""

from collections.abc import Sequence

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.services import user_set_suspended
from core import stamps
from core.db.retries import deadlock_retried
from tweets.models import (
    ModerationAction,
    Report,
    Tweet,
    reported_repost_words,
    reported_text,
    reports_about_author_q,
)
from tweets.services.audit import moderation_record, reports_resolve
from tweets.services.blocks import users_lock
from tweets.services.counters import (
    neighbours_lock,
    recount_around,
    recount_replies,
    recount_reposts,
)
from tweets.services.tweets import tweet_delete, tweets_share_lock

User = get_user_model()


def report_create(
    *,
    reporter: User,
    reason: str,
    tweet: Tweet | None = None,
    account: User | None = None,
    comment: str = "",
) -> tuple[Report, bool]:
    """Report a tweet or an account. Idempotent per reporter while the report is open: returns
    the open report and False when there already is one (see ``reports_file``)."""
    if (tweet is None) == (account is None):
        raise ValidationError({"detail": ["Report either a tweet or an account."]})
    tweets = [tweet] if tweet is not None else []
    return reports_file(
        reporter=reporter, reason=reason, comment=comment, tweets=tweets, account=account
    )[0]


@deadlock_retried
@transaction.atomic
def reports_file(
    *,
    reporter: User,
    reason: str,
    comment: str = "",
    tweets: Sequence[Tweet] = (),
    account: User | None = None,
) -> list[tuple[Report, bool]]:
    """Report tweets, one report each, or (without tweets) an account: all or none. Each is
    returned with whether it was made now; one the reporter already has open is returned as it
    is.

    Rows are locked in the one order: the tweets first (share-locked, ascending ids: none can be
    deleted before the reports are in), then, once the reports are in, the reported account's
    row. A suspension being saved is so either waited for, and the reports then refused (as if
    it had been suspended before: the same 400 as for a target not found), or waits for them and
    resolves them; none is left open behind it unseen."""
    if reason not in Report.Reason.values:
        raise ValidationError({"reason": [f"Choose one of: {', '.join(Report.Reason.values)}."]})
    comment = comment.strip()
    longest = Report._meta.get_field("comment").max_length
    if len(comment) > longest:
        raise ValidationError({"comment": [f"At most {longest} characters."]})
    reported = {tweet.author_id for tweet in tweets} or {account.pk}
    if reporter.pk in reported:
        raise ValidationError({"detail": ["You cannot report yourself."]})
    held = tweets_share_lock([tweet.pk for tweet in tweets])
    if any(tweet.pk not in held for tweet in tweets):
        raise report_target_gone("tweet")
    targets = [{"tweet": tweet} for tweet in tweets] or [{"account": account}]
    snapshots = _reported_words([tweet.pk for tweet in tweets])
    filed = [_report_one(reporter, reason, comment, target, snapshots) for target in targets]
    # Shared: a report changes no account's row, and reports of one account do not queue.
    if set(reported) - users_lock(*reported, shared=reported):
        raise report_target_gone("tweet" if tweets else "account")
    return filed


def _reported_words(tweet_ids: Sequence[int]) -> dict[int, dict]:
    """What reported tweets say, by id, as committed when the report is filed (an edit still
    in progress is not waited for), and the time of that version (``Report.tweet_edited_at``:
    an edit committed later has another, so the report says "edited since"); a repost's, its
    original's author (by name in the words, and by id: ``Report.reposted_author``), text and
    time."""
    if not tweet_ids:
        return {}
    rows = Tweet.objects.filter(pk__in=tweet_ids).values_list(
        "pk",
        "text",
        "content_warning",
        "edited_at",
        "repost_of",
        "repost_of__author__username",
        "repost_of__text",
        "repost_of__content_warning",
        "repost_of__edited_at",
        "repost_of__author",
    )
    return {
        pk: {
            "tweet_text": reported_repost_words(
                original, username, reported_text(original_text, original_cw)
            ),
            "tweet_edited_at": original_edited_at,
            "reposted_author_id": original_author,
        }
        if original
        else {"tweet_text": reported_text(text, warning), "tweet_edited_at": edited_at}
        for (
            pk,
            text,
            warning,
            edited_at,
            original,
            username,
            original_text,
            original_cw,
            original_edited_at,
            original_author,
        ) in rows
    }


def _report_one(
    reporter: User, reason: str, comment: str, target: dict, snapshots: dict
) -> tuple[Report, bool]:
    existing = Report.objects.filter(reporter=reporter, status=Report.Status.OPEN, **target)
    if (report := existing.first()) is not None:
        return report, False
    if (tweet := target.get("tweet")) is not None:
        target = {
            **target,
            "reported_tweet_id": tweet.pk,
            "tweet_author_id": tweet.author_id,
            **snapshots[tweet.pk],
        }
    try:
        with transaction.atomic():
            report = Report.objects.create(
                reporter=reporter, reason=reason, comment=comment, **target
            )
    except IntegrityError:
        # The same reporter's concurrent request created it first (anything else goes up).
        if (report := existing.first()) is None:
            raise
        return report, False
    return report, True


def report_target_gone(field: str) -> ValidationError:
    """What reporting says of a target (``tweet`` or ``account``) that is not found, gone, or no
    longer shown (its account suspended or deactivated): the one 400 of the view's check and of
    the service's, under its lock."""
    message = "That tweet does not exist." if field == "tweet" else "No account with that username."
    return ValidationError({field: ValidationError(message, code="does_not_exist")})


@deadlock_retried
@transaction.atomic
def tweet_set_hidden(*, tweet: Tweet, hidden: bool, moderator: User, reason: str) -> bool:
    """Hide a tweet from everyone but staff, or show it again; recorded in the audit log.
    Returns False when it already was in that state.

    Locks as a delete does: the tweet it answers or reposts (older) before it, both before the
    author's row (the counters), so it queues behind a reply or a like instead of deadlocking.
    Only their columns change, so the lock lets rows that refer to them (likes, bookmarks) in."""
    related = [tweet.in_reply_to_id, tweet.repost_of_id, tweet.pk]
    locked = Tweet.objects.select_for_update(no_key=True).filter(pk__in=related).order_by("pk")
    tweet = {row.pk: row for row in locked}.get(tweet.pk)
    if tweet is None:
        raise Tweet.DoesNotExist
    if tweet.is_hidden == hidden:
        return False
    kind = ModerationAction.Kind.HIDE_TWEET if hidden else ModerationAction.Kind.UNHIDE_TWEET
    moderation_record(moderator, kind, reason, tweet_id=tweet.pk, account_id=tweet.author_id)
    Tweet.objects.filter(pk=tweet.pk).update(is_hidden=hidden)
    # Itself, and the count of the tweet it reposts or answers.
    stamps.renew(Tweet, related)
    if tweet.repost_of_id:
        # Reposts do not count as the reposter's tweets, but in the original's repost_count.
        recount_reposts([tweet.repost_of_id])
    else:
        author = User.objects.filter(pk=tweet.author_id)
        if hidden:
            author.filter(tweets_count__gt=0).update(tweets_count=F("tweets_count") - 1)
        else:
            author.update(tweets_count=F("tweets_count") + 1)
        stamps.renew(User, [tweet.author_id])
        recount_replies([tweet.in_reply_to_id])
    if hidden:
        reports_resolve(Q(tweet_id=tweet.pk), moderator=moderator, reason=reason)
    return True


@deadlock_retried
@transaction.atomic
def tweet_delete_by_moderator(*, tweet: Tweet, moderator: User, reason: str) -> None:
    """Delete a tweet and its media as a moderator; recorded in the audit log with the reason
    (also when the moderator happens to be its author)."""
    if not reason.strip():
        raise ValidationError({"reason": ["Say why: moderation actions need a reason."]})
    tweet_delete(tweet=tweet, actor=moderator, reason=reason, moderated=True)


@deadlock_retried
@transaction.atomic
def account_set_suspended(*, account: User, suspended: bool, moderator: User, reason: str) -> bool:
    """Suspend an account (no logins, tokens refused at once, tweets hidden) or restore it;
    recorded in the audit log. Returns False when it already was in that state."""
    if account.pk == moderator.pk:
        raise ValidationError({"detail": ["You cannot suspend yourself."]})
    if (account.is_staff or account.is_superuser) and not moderator.is_superuser:
        # A moderator could otherwise lock out the other moderators and the superusers.
        raise ValidationError(
            {"detail": ["Only a superuser can suspend or restore a staff account."]}
        )
    if not reason.strip():
        raise ValidationError({"reason": ["Say why: moderation actions need a reason."]})
    if User.objects.filter(pk=account.pk, is_suspended=suspended).exists():
        account.is_suspended = suspended
        return False  # done already (then nothing is recorded)
    neighbours_lock(account)  # before the account's row: tweets first, as interactions do
    if not user_set_suspended(user=account, suspended=suspended):
        return False
    kind = (
        ModerationAction.Kind.SUSPEND_ACCOUNT
        if suspended
        else ModerationAction.Kind.UNSUSPEND_ACCOUNT
    )
    moderation_record(moderator, kind, reason, account=account)
    recount_around(account)
    if suspended:  # its tweets are hidden with it
        about = reports_about_author_q(account.pk)
        reports_resolve(about, moderator=moderator, reason=reason)
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
    moderation_record(
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
