"""Deleting an account for good (the admin's delete): its rows go, and every counter that
included them is recounted."""

from django.contrib.auth import get_user_model
from django.db import transaction

from media.models import MediaFile
from media.services import media_delete
from tweets.services.counters import neighbours_of, recount_neighbours

User = get_user_model()


@transaction.atomic
def account_delete(*, account: User) -> None:
    """Delete an account with its tweets, likes, follows and uploads (stored objects included),
    and set the followers, following, like and reply counts it was part of to what remains."""
    neighbours = neighbours_of(account, evaluate=True)
    media_delete(MediaFile.objects.filter(owner=account))
    account.delete()
    recount_neighbours(**neighbours)
