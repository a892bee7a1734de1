"""Reads of the social layer. Visibility rules and ``select_related`` live here, so that no
endpoint forgets them and no list costs more queries as it grows."""

import heapq
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db.models import QuerySet, prefetch_related_objects

from accounts.models import active_account_q
from core.ids import id_floor
from tweets.models import (
    Broadcaster,
    Follow,
    Like,
    TimelineEntry,
    Tweet,
    attachments_prefetch,
    visible_tweet_q,
)
from tweets.search import filter_by_text

User = get_user_model()


def tweet_queryset(*, viewer) -> QuerySet:
    """Every tweet the viewer may see, with what its JSON needs."""
    return Tweet.objects.visible_to(viewer).with_author()


def tweet_get(*, tweet_id: int, viewer) -> Tweet | None:
    """A tweet the viewer may see, with everything its JSON shows."""
    return tweet_queryset(viewer=viewer).filter(pk=tweet_id).first()


def tweet_find(*, tweet_id: int, viewer) -> Tweet | None:
    """A tweet the viewer may see, without joins: for permission checks and list filters."""
    return Tweet.objects.visible_to(viewer).filter(pk=tweet_id).first()


def tweet_search(*, viewer, text="", author=None, since=None, until=None) -> QuerySet:
    """Tweets matching all given filters; time bounds become id bounds (ids are time-ordered)."""
    tweets = tweet_queryset(viewer=viewer)
    if text:
        tweets = filter_by_text(tweets, text)
    if author is not None:
        tweets = tweets.filter(author=author)
    if since is not None:
        tweets = tweets.filter(pk__gte=id_floor(since))
    if until is not None:
        tweets = tweets.filter(pk__lt=id_floor(until))
    return tweets


def tweet_replies(*, tweet: Tweet, viewer) -> QuerySet:
    return tweet_queryset(viewer=viewer).filter(in_reply_to=tweet)


def tweets_by_author(*, author: User, viewer) -> QuerySet:
    return tweet_queryset(viewer=viewer).filter(author=author)


def tweet_likes(*, tweet: Tweet) -> QuerySet:
    """Likes of a tweet (newest first by like id) with the liking accounts."""
    return Like.objects.filter(active_account_q("user__"), tweet=tweet).select_related(
        "user__avatar"
    )


def liked_tweet_ids(*, user: User, tweet_ids: Iterable[int]) -> set[int]:
    """Which of these tweets the user has liked: one query for a whole page."""
    if not user.is_authenticated:
        return set()
    return set(
        Like.objects.filter(user=user, tweet_id__in=list(tweet_ids)).values_list(
            "tweet_id", flat=True
        )
    )


def followers_of(*, user: User) -> QuerySet:
    return Follow.objects.filter(active_account_q("follower__"), followee=user).select_related(
        "follower__avatar"
    )


def following_of(*, user: User) -> QuerySet:
    return Follow.objects.filter(active_account_q("followee__"), follower=user).select_related(
        "followee__avatar"
    )


def relationship(*, viewer: User, other: User) -> dict[str, bool] | None:
    """Whether the viewer follows the other account and the other way round (None if anonymous)."""
    if not viewer.is_authenticated:
        return None
    pairs = set(
        Follow.objects.filter(
            follower__in=[viewer.pk, other.pk], followee__in=[viewer.pk, other.pk]
        ).values_list("follower_id", "followee_id")
    )
    return {
        "following": (viewer.pk, other.pk) in pairs,
        "followed_by": (other.pk, viewer.pk) in pairs,
    }


def timeline_home_fetch(*, reader: User):
    """The home timeline as a fetch function for keyset pagination.

    A page is the reader's precomputed entries (one index range scan) merged with the tweets of
    followed "broadcasters" that were not fanned out (a partial-index scan over those few authors).
    Both are bounded by the page size, so the cost does not grow with the number of tweets or
    followees.
    """
    broadcasters = Broadcaster.objects.filter(
        user__in=Follow.objects.filter(follower=reader).values("followee")
    ).values("user")

    def fetch(position: int | None, forward: bool, limit: int) -> list[Tweet]:
        newest_first = forward
        entries = TimelineEntry.objects.filter(visible_tweet_q(reader, "tweet__"), owner=reader)
        merged = Tweet.objects.visible_to(reader).filter(author__in=broadcasters, fanned_out=False)
        if position is not None:
            bound = "lt" if newest_first else "gt"
            entries = entries.filter(**{f"tweet_id__{bound}": position})
            merged = merged.filter(**{f"pk__{bound}": position})
        entries = entries.select_related("tweet__author__avatar").order_by(
            "-tweet_id" if newest_first else "tweet_id"
        )[:limit]
        merged = merged.select_related("author__avatar")
        merged = merged.order_by("-pk" if newest_first else "pk")[:limit]

        streams = ([entry.tweet for entry in entries], list(merged))
        ordered = heapq.merge(*streams, key=lambda tweet: tweet.pk, reverse=newest_first)
        page = list(ordered)[:limit]
        prefetch_related_objects(page, attachments_prefetch())
        return page

    return fetch
