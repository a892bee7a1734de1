"""Deleting an account for good (the admin's delete): its rows go, and every counter that
included them is recounted."""

from django.contrib.auth import get_user_model
from django.db import transaction

from media.models import MediaFile
from media.services import media_delete
from tweets.models import Tweet
from tweets.services.counters import neighbours_of, recount_neighbours

User = get_user_model()


@transaction.atomic
def account_delete(*, account: User) -> None:
    """Delete an account with its tweets, likes, follows and uploads (stored objects included),
    and set the followers, following, like and reply counts it was part of to what remains."""
    # Its tweets' rows first, as deleting one tweet does: a fan-out of one of them (which locks
    # the tweet, then the follows) waits and then adds nothing, instead of adding timeline rows
    # after they were deleted, or deadlocking on a follow deleted before the tweet.
    list(Tweet.objects.select_for_update().filter(author=account).order_by("pk").values_list("pk"))
    neighbours = neighbours_of(account, evaluate=True)
    media_delete(MediaFile.objects.filter(owner=account))
    account.delete()
    recount_neighbours(**neighbours)
