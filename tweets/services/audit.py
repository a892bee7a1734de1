"""The moderation audit log: every moderator action is recorded with who, what and why."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from tweets.models import ModerationAction

User = get_user_model()


def moderation_record(moderator: User, kind: str, reason: str, **target) -> ModerationAction:
    """Write one audit-log row; a moderation action without a reason is refused."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": ["Say why: moderation actions need a reason."]})
    return ModerationAction.objects.create(moderator=moderator, kind=kind, reason=reason, **target)
