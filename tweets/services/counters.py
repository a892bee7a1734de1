"""Counters recomputed from their rows, where an increment cannot say what changed (deletes,
hides, suspensions)."""

from django.contrib.auth import get_user_model
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce

from accounts.models import active_account_q
from tweets.models import Follow, Like, Tweet

User = get_user_model()


def _count(rows, group: str):
    """A correlated ``COUNT`` of ``rows`` per ``group`` (matched to the outer row), 0 when none."""
    counted = rows.filter(**{group: OuterRef("pk")}).order_by().values(group)
    return Coalesce(Subquery(counted.annotate(n=Count("pk")).values("n")), 0)


def recount_replies(parent_ids) -> None:
    """Set reply_count to the number of visible replies (after a delete, hide or suspension).
    ``None`` among the ids (a tweet that is no reply) is ignored."""
    Tweet.objects.filter(pk__in=parent_ids).update(
        reply_count=_count(Tweet.objects.originals_visible_to(None), "in_reply_to")
    )


def recount_reposts(original_ids) -> None:
    """Set repost_count to the number of reposts shown (not hidden, by an active account)."""
    shown = Tweet.objects.filter(is_hidden=False).filter(active_account_q("author__"))
    Tweet.objects.filter(pk__in=original_ids).update(
        repost_count=_count(shown.filter(repost_of__isnull=False), "repost_of")
    )


def recount_around(account: User) -> None:
    """After an account is suspended or restored, set the counts that include it to what the
    lists show: its followees' followers, its followers' followees, the likes of what it liked,
    the reposts of what it reposted and the replies of what it answered. One UPDATE each, over the
    rows it touches."""
    User.objects.filter(pk__in=Follow.objects.filter(follower=account).values("followee")).update(
        followers_count=_count(Follow.objects.filter(active_account_q("follower__")), "followee")
    )
    User.objects.filter(pk__in=Follow.objects.filter(followee=account).values("follower")).update(
        following_count=_count(Follow.objects.filter(active_account_q("followee__")), "follower")
    )
    Tweet.objects.filter(pk__in=Like.objects.filter(user=account).values("tweet")).update(
        like_count=_count(Like.objects.filter(active_account_q("user__")), "tweet")
    )
    recount_reposts(
        Tweet.objects.filter(author=account, repost_of__isnull=False).values("repost_of")
    )
    recount_replies(
        Tweet.objects.filter(author=account, in_reply_to__isnull=False).values("in_reply_to")
    )
