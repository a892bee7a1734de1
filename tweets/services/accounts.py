"""Deleting an account for good (the admin's delete): its rows go, every counter that included
them is recounted, and the open reports it would leave about nothing are resolved."""

from django.contrib.auth import get_user_model
from django.db import transaction

from media.models import MediaFile
from media.services import media_delete
from tweets.models import Report, Tweet, reports_about_accounts_q
from tweets.services.audit import reports_resolve
from tweets.services.counters import neighbours_of, recount_neighbours

User = get_user_model()


@transaction.atomic
def account_delete(*, account: User, moderator: User | None = None) -> None:
    """Delete an account with its tweets, likes, follows and uploads (stored objects included),
    and set the followers, following, like and reply counts it was part of to what remains.
    The open reports about it, its tweets and their reposts are resolved first, by
    ``moderator``, instead of staying in the queue about nothing; the audit log records each
    with the account's name and id (``deleted_reason``), which outlive it."""
    # Its own tweets first, as deleting one tweet does: a fan-out of one of them (which locks the
    # tweet, then the follows) waits and then adds nothing, instead of adding timeline rows after
    # they were deleted, or deadlocking on a follow deleted before the tweet. Then its own row:
    # its requests still on their way wait for it and find it gone (a like or a follow needs it
    # locked; a row that refers to it is a 409 at their commit), and what it is counted in,
    # read under that lock, is final. The recount then locks the rows it changes, after the
    # account's, as a suspension's or a deactivation's does.
    list(Tweet.objects.select_for_update().filter(author=account).order_by("pk").values_list("pk"))
    list(User.objects.select_for_update().filter(pk=account.pk).values_list("pk"))
    about = reports_about_accounts_q([account.pk])
    reports_resolve(about, moderator=moderator, reason=deleted_reason(account))
    # The reports stay, resolved, in the audit trail; the words they kept of its tweets go with
    # the account (and those of its own reposts, which were its choice).
    Report.objects.filter(about).update(tweet_text="")
    neighbours = neighbours_of(account, evaluate=True)
    media_delete(MediaFile.objects.filter(owner=account))
    account.delete()
    recount_neighbours(**neighbours)


def deleted_reason(account: User) -> str:
    """The reason recorded with the reports an account's deletion resolves."""
    return f"Account @{account.username} (id {account.pk}) deleted"
