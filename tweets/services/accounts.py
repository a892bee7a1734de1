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
    # Tweets before accounts, the one order (see tweets.services.blocks). Its own tweets first, as
    # deleting one tweet does: a fan-out of one of them (which locks the tweet, then the follows)
    # waits and then adds nothing, instead of adding timeline rows after they were deleted, or
    # deadlocking on a follow deleted before the tweet. Then the tweets whose counts include it,
    # then its own row, which its requests still on their way wait for and then find gone (a
    # like or a follow needs it locked; a row that refers to it is a 409 at their commit). What
    # it is counted in is read again under that lock, when nothing can add to it any more; a
    # tweet it liked in between is locked then.
    list(Tweet.objects.select_for_update().filter(author=account).order_by("pk").values_list("pk"))
    counted_in = _tweets_counting(neighbours_of(account, evaluate=True))
    _tweets_lock(counted_in)
    list(User.objects.select_for_update().filter(pk=account.pk).values_list("pk"))
    neighbours = neighbours_of(account, evaluate=True)
    _tweets_lock(_tweets_counting(neighbours) - counted_in)
    media_delete(MediaFile.objects.filter(owner=account))
    account.delete()
    recount_neighbours(**neighbours)


def _tweets_counting(neighbours: dict) -> set[int]:
    """The tweets whose counts include the account: those it liked, reposted and answered."""
    return {*neighbours["liked"], *neighbours["reposted"], *neighbours["answered"]} - {None}


def _tweets_lock(ids: set[int]) -> None:
    """Lock these tweets' rows (their counts change), in ascending order."""
    if ids:
        locked = Tweet.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk")
        list(locked.values_list("pk"))
