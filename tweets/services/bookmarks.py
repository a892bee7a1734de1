"""Bookmarks: idempotent bookmark and unbookmark, private to their owner."""

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.http import Http404

from tweets.models import Bookmark, Tweet

User = get_user_model()


def bookmark_create(*, user: User, tweet: Tweet) -> bool:
    """Bookmark a tweet (a repost's original). Idempotent: returns False when it was bookmarked
    already; ``Http404`` when the tweet was deleted meanwhile."""
    tweet_id = tweet.repost_of_id or tweet.pk
    try:
        with transaction.atomic():
            # Lock the tweet's row, so a concurrent delete cannot leave a dangling bookmark.
            if not Tweet.objects.filter(pk=tweet_id).select_for_update().exists():
                raise Http404("That tweet does not exist.")
            Bookmark.objects.create(user=user, tweet_id=tweet_id)
    except IntegrityError:
        return False  # already bookmarked (the unique pair)
    return True


@transaction.atomic
def bookmark_delete(*, user: User, tweet: Tweet) -> bool:
    """Remove a bookmark. Idempotent: returns False when there was none."""
    deleted, _ = Bookmark.objects.filter(
        user=user, tweet_id=tweet.repost_of_id or tweet.pk
    ).delete()
    return bool(deleted)
