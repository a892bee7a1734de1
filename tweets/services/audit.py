"""The moderation audit log: every moderator action is recorded with who, what and why; and the
open reports an action answers, resolved with it."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

from tweets.models import ModerationAction, Report

User = get_user_model()


def moderation_record(moderator: User, kind: str, reason: str, **target) -> ModerationAction:
    """Write one audit-log row; a moderation action without a reason is refused."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": ["Say why: moderation actions need a reason."]})
    return ModerationAction.objects.create(moderator=moderator, kind=kind, reason=reason, **target)


def reports_resolve(about: Q, *, moderator: User, reason: str) -> int:
    """Resolve the open reports ``about`` selects, answered by the action the moderator is
    taking (hiding or deleting a tweet, suspending an account), each recorded with that action's
    reason; returns how many. Call it once the action holds what it acts on (the tweet's row,
    the account's): a report filed meanwhile then waits and is seen, or comes after."""
    reports = list(
        Report.objects.select_for_update(of=("self",))
        .filter(about, status=Report.Status.OPEN)
        .order_by("pk")
    )
    for report in reports:
        moderation_record(
            moderator,
            ModerationAction.Kind.RESOLVE_REPORT,
            reason,
            report_id=report.pk,
            tweet_id=report.tweet_id,
            account_id=report.account_id,
        )
    Report.objects.filter(pk__in=[report.pk for report in reports]).update(
        status=Report.Status.RESOLVED, handled_by=moderator, handled_at=timezone.now()
    )
    return len(reports)
