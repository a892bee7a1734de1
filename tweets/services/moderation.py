"""Reports and moderation: each moderator action is written to the audit log with its reason.

Acting on a tweet or an account (hiding or deleting the tweet, suspending the account) answers
every open report about it: they are resolved with the action (``reports_resolve``), each
recorded, so that the queue holds only what still needs a moderator (as Mastodon closes an
account's reports on an action). A staff delete through the API does the same (``tweet_delete``)."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.services import user_set_suspended
from core import stamps
from core.db.retries import deadlock_retried
from tweets.models import ModerationAction, Report, Tweet
from tweets.services.audit import moderation_record, reports_resolve
from tweets.services.blocks import users_lock
from tweets.services.counters import recount_around, recount_replies, recount_reposts
from tweets.services.tweets import tweet_delete

User = get_user_model()


@deadlock_retried
def report_create(
    *,
    reporter: User,
    reason: str,
    tweet: Tweet | None = None,
    account: User | None = None,
    comment: str = "",
) -> tuple[Report, bool]:
    """Report a tweet or an account. Idempotent per reporter while the report is open: returns
    the open report and False when there already is one.

    The reported account's row is locked once the report is in (after the tweet's, which the
    insert holds): a suspension being saved is waited for, and then the report is refused
    (as if it had been suspended before: the same 400 as for a tweet or account not found), or
    the suspension waits for the report and resolves it; none is left open behind it unseen."""
    if (tweet is None) == (account is None):
        raise ValidationError({"detail": ["Report either a tweet or an account."]})
    if reason not in Report.Reason.values:
        raise ValidationError({"reason": [f"Choose one of: {', '.join(Report.Reason.values)}."]})
    if (account or tweet.author).pk == reporter.pk:
        raise ValidationError({"detail": ["You cannot report yourself."]})
    comment = comment.strip()
    longest = Report._meta.get_field("comment").max_length
    if len(comment) > longest:
        raise ValidationError({"comment": [f"At most {longest} characters."]})
    target = {"tweet": tweet} if tweet is not None else {"account": account}
    existing = Report.objects.filter(reporter=reporter, status=Report.Status.OPEN, **target)
    if (report := existing.first()) is not None:
        return report, False
    try:
        with transaction.atomic():
            report = Report.objects.create(
                reporter=reporter, reason=reason, comment=comment, **target
            )
            reported = account.pk if account is not None else tweet.author_id
            if reported not in users_lock(reported):
                field, message = (
                    ("tweet", "That tweet does not exist.")
                    if tweet
                    else ("account", "No account with that username.")
                )
                raise ValidationError({field: ValidationError(message, code="does_not_exist")})
    except IntegrityError:
        # The same reporter's concurrent request created it first.
        return existing.get(), False
    return report, True


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
    if moderator.pk == tweet.author_id:
        moderation_record(
            moderator,
            ModerationAction.Kind.DELETE_TWEET,
            reason,
            tweet_id=tweet.pk,
            account_id=tweet.author_id,
        )
    tweet_delete(tweet=tweet, actor=moderator, reason=reason)  # resolves its reports


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
        about = Q(account_id=account.pk) | Q(tweet__author_id=account.pk)
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
