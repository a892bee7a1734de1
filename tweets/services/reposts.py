"""Reposts (Mastodon's reblogs): idempotent repost and unrepost of an original tweet.

A repost is a tweet row of its own (no text, ``repost_of`` set) with its own time-ordered id, so it
reaches the reposter's followers through the same fan-out, backfill and read-time merge as a tweet,
and takes its place in their timelines by the time of the repost. ``repost_count`` on the original
counts the visible reposts.
"""

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Exists, F

from accounts.models import active_account_q
from core import stamps
from core.db.retries import deadlock_retried
from core.ids import id_datetime
from tweets.metrics import REPOSTS
from tweets.models import Notification, Tweet
from tweets.services.blocks import block_check
from tweets.services.notifications import notification_add
from tweets.services.timelines import timeline_fan_out, timeline_fans_out

User = get_user_model()


def _original_of(tweet: Tweet) -> int:
    """Reposting (or unreposting) a repost acts on its original."""
    return tweet.repost_of_id or tweet.pk


@deadlock_retried
def repost_create(*, user: User, tweet: Tweet) -> tuple[Tweet, bool]:
    """Repost a tweet (one's own too) into the reposter's and their followers' timelines.
    Idempotent: returns the repost and whether it was created now. Raises ``Tweet.DoesNotExist``
    when the original is gone or hidden."""
    original_id = _original_of(tweet)
    existing = Tweet.objects.filter(author=user, repost_of_id=original_id)
    try:
        with transaction.atomic():
            # Lock the original's row: a repost of a tweet being deleted must fail, not dangle.
            original = (
                Tweet.objects.originals_visible_to(None)
                .select_for_update(of=("self",))
                .filter(pk=original_id)
                .first()
            )
            if original is None:
                raise Tweet.DoesNotExist("That tweet does not exist.")
            # Then both accounts (the global order): a block racing this repost is seen here, or
            # waits until the repost has committed. Shared: a repost changes neither row.
            block_check(
                actor=user, target_id=original.author_id, shared=(user.pk, original.author_id)
            )
            repost = Tweet(author=user, text="", repost_of=original)
            repost.created_at = id_datetime(repost.pk)
            repost.fanned_out = timeline_fans_out(user)
            repost.save(force_insert=True)
            Tweet.objects.filter(pk=original.pk).update(repost_count=F("repost_count") + 1)
            stamps.renew(Tweet, [original.pk])
            timeline_fan_out(repost)
            notification_add(
                kind=Notification.Kind.REPOST,
                actor=user,
                recipient_id=original.author_id,
                tweet=original,
            )
    except IntegrityError:
        # Reposted already (the unique pair), possibly by a concurrent request.
        repost = existing.first()
        if repost is None:
            raise
        return repost, False
    REPOSTS.inc()
    return repost, True


@deadlock_retried
@transaction.atomic
def repost_delete(*, user: User, tweet: Tweet) -> bool:
    """Take a repost back: it leaves every timeline. Idempotent: returns False when there was
    none. ``tweet`` is the original or the repost itself."""
    original_id = _original_of(tweet)
    # The original's row first, then the repost's: the order deleting the original (which takes
    # its reposts along) locks them in. The other order deadlocks with that delete.
    if not Tweet.objects.select_for_update().filter(pk=original_id).values_list("pk"):
        return False  # deleted, and its reposts with it
    repost = Tweet.objects.select_for_update().filter(author=user, repost_of_id=original_id).first()
    if repost is None:
        return False
    repost.delete()  # its timeline entries go with it
    Notification.objects.filter(
        kind=Notification.Kind.REPOST, actor=user, tweet_id=original_id
    ).delete()
    if not repost.is_hidden:
        # A repost counts while its account is active (``tweets.services.counters``).
        reposter_active = User.objects.filter(active_account_q(), pk=user.pk)
        Tweet.objects.filter(pk=original_id, repost_count__gt=0).filter(
            Exists(reposter_active)
        ).update(repost_count=F("repost_count") - 1)
        stamps.renew(Tweet, [original_id])
    return True
