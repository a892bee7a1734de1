"""Counters recomputed from their rows, where an increment cannot say what changed (deletes,
hides, suspensions), and the repair of every counter in primary-key ranges (``manage.py
recount``)."""

from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from accounts.models import active_account_q
from core import stamps
from core.ranges import in_range, pk_ranges
from tweets.models import Follow, Like, Tweet

User = get_user_model()


def _count(rows, group: str):
    """A correlated ``COUNT`` of ``rows`` per ``group`` (matched to the outer row), 0 when none."""
    counted = rows.filter(**{group: OuterRef("pk")}).order_by().values(group)
    return Coalesce(Subquery(counted.annotate(n=Count("pk")).values("n")), 0)


def _set_counts(rows: QuerySet, **counts) -> int:
    """``rows.update(**counts)`` (counts from ``_count``), with the rows locked first by a
    statement of their own; returns how many rows it set. Call inside a transaction.

    In one UPDATE, PostgreSQL counts a row it had to wait for (a like committing meanwhile) with
    the snapshot the statement started with, which misses that like, and overwrites the count
    the like left. Locked first, the UPDATE starts after every such write has committed, and
    later ones wait for it. (Which rows ``rows`` names does not change in between: the callers
    hold the lock of the account or tweet whose neighbours they are, which every interaction
    with it takes too; or, repairing every counter, they name the rows found wrong, which no
    write makes wrong.)"""
    list(rows.select_for_update(no_key=True).order_by("pk").values_list("pk", flat=True))
    return rows.update(**counts)


def recount_replies(parent_ids) -> None:
    """Set reply_count to the number of visible replies (after a delete, hide or suspension).
    ``None`` among the ids (a tweet that is no reply) is ignored."""
    _set_counts(
        Tweet.objects.filter(pk__in=parent_ids),
        reply_count=_count(Tweet.objects.originals_visible_to(None), "in_reply_to"),
    )


def _reposts_shown():
    """Reposts that count: not hidden, by an active account."""
    shown = Tweet.objects.filter(is_hidden=False, repost_of__isnull=False)
    return shown.filter(active_account_q("author__"))


def recount_reposts(original_ids) -> None:
    """Set repost_count to the number of reposts shown (not hidden, by an active account)."""
    _set_counts(
        Tweet.objects.filter(pk__in=original_ids),
        repost_count=_count(_reposts_shown(), "repost_of"),
    )


def recount_around(account: User) -> None:
    """After an account is suspended, deactivated or restored, set the counts that include it to
    what the lists show: its followees' followers, its followers' followees, the likes of what it
    liked, the reposts of what it reposted and the replies of what it answered. One UPDATE each,
    over the rows it touches."""
    recount_neighbours(**neighbours_of(account))


def recount_after_active_change(sender, *, account: User, **kwargs) -> None:
    """Receiver of ``accounts.signals.account_active_changed`` (accounts cannot call up here)."""
    recount_around(account)


def lock_before_active_change(sender, *, account: User, **kwargs) -> None:
    """Receiver of ``accounts.signals.account_active_changing``."""
    neighbours_lock(account)


def neighbours_lock(account: User) -> None:
    """Lock, before the account's own row changes (a suspension, a deactivation), the rows its
    recount changes, in the one order interactions take too: the tweets it liked, reposted and
    answered, then the account and those it follows or is followed by, each by ascending id. A
    like, repost or reply by the account that holds one of those tweets then finishes first,
    instead of waiting for the account's row while the recount waits for its tweet (a deadlock).
    What the account does between this read and the lock on its row is recounted all the same,
    its rows locked by the recount after the account's (rare; run again should it deadlock).
    Each set is one ``IN`` over a ``UNION`` of index scans (an ``OR`` of subqueries scanned
    whole tables)."""
    rows = neighbours_of(account)
    tweets = rows["liked"].union(rows["reposted"], rows["answered"])
    accounts = rows["followees"].union(
        rows["followers"], User.objects.filter(pk=account.pk).values("pk")
    )
    for model, ids in ((Tweet, tweets), (User, accounts)):
        list(
            model.objects.select_for_update(no_key=True)
            .filter(pk__in=ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )


def neighbours_of(account: User, *, evaluate: bool = False) -> dict:
    """What the account's rows are counted in: its followees, its followers, the tweets it liked,
    reposted and answered. ``evaluate`` reads them now (before the rows go away)."""
    neighbours = {
        "followees": Follow.objects.filter(follower=account).values("followee"),
        "followers": Follow.objects.filter(followee=account).values("follower"),
        "liked": Like.objects.filter(user=account).values("tweet"),
        "reposted": Tweet.objects.filter(author=account, repost_of__isnull=False).values(
            "repost_of"
        ),
        "answered": Tweet.objects.filter(author=account, in_reply_to__isnull=False).values(
            "in_reply_to"
        ),
    }
    if evaluate:
        neighbours = {
            name: [value for row in rows for value in row.values()]
            for name, rows in neighbours.items()
        }
    return neighbours


def recount_neighbours(*, followees, followers, liked, reposted, answered) -> None:
    """Recount the counters of the accounts and tweets that ``neighbours_of`` named, and renew
    their stamps: those rows' copies go, the others' stay (the epoch when they are more than
    ``stamps.RENEW_AT_MOST``, a popular account's followers)."""
    _set_counts(
        User.objects.filter(pk__in=followees),
        followers_count=_count(Follow.objects.filter(active_account_q("follower__")), "followee"),
    )
    _set_counts(
        User.objects.filter(pk__in=followers),
        following_count=_count(Follow.objects.filter(active_account_q("followee__")), "follower"),
    )
    _set_counts(
        Tweet.objects.filter(pk__in=liked),
        like_count=_count(Like.objects.filter(active_account_q("user__")), "tweet"),
    )
    recount_reposts(reposted)
    recount_replies(answered)
    accounts = _at_most_renewable(followees, followers)
    tweets = _at_most_renewable(liked, reposted, answered)
    if accounts is None or tweets is None:
        stamps.renew_all()
    else:
        stamps.renew(User, accounts)
        stamps.renew(Tweet, tweets)


def _at_most_renewable(*sources) -> list | None:
    """The ids that ``sources`` name (lists of ids, or querysets of one value per row), or None
    when they are more than ``stamps.RENEW_AT_MOST`` (read no further than that)."""
    ids = []
    for source in sources:
        room = stamps.RENEW_AT_MOST + 1 - len(ids)
        if isinstance(source, QuerySet):
            ids += [value for row in source[:room] for value in row.values()]
        else:
            ids += list(source)[:room]
        if len(ids) > stamps.RENEW_AT_MOST:
            return None
    return ids


def _counter_rules() -> dict[str, tuple]:
    """Every stored counter and the rows it counts: (model, field, expression over the rows)."""
    return {
        "followers_count": (
            User,
            _count(Follow.objects.filter(active_account_q("follower__")), "followee"),
        ),
        "following_count": (
            User,
            _count(Follow.objects.filter(active_account_q("followee__")), "follower"),
        ),
        "tweets_count": (
            User,
            _count(Tweet.objects.filter(is_hidden=False, repost_of__isnull=True), "author"),
        ),
        "like_count": (Tweet, _count(Like.objects.filter(active_account_q("user__")), "tweet")),
        "repost_count": (Tweet, _count(_reposts_shown(), "repost_of")),
        "reply_count": (Tweet, _count(Tweet.objects.originals_visible_to(None), "in_reply_to")),
    }


def counters_recount(
    *,
    dry_run: bool = False,
    batch_size: int = 10_000,
    progress: Callable[..., None] = lambda counter, done, total, note="": None,
) -> dict[str, int]:
    """Set every counter (followers, following, tweets, likes, reposts, replies) to what its rows
    say; returns, per counter, how many rows were (or with ``dry_run`` would be) corrected.

    Each table is worked through in primary-key ranges of ``batch_size`` rows, each range in a
    transaction of its own, so no lock is held for long and live writes go on beside it;
    ``progress(counter, rows done, rows in all, note)`` is called after each range."""
    fixed = {}
    sizes: dict = {}
    for field, (model, expression) in _counter_rules().items():
        total = sizes.setdefault(model, model.objects.count())
        noun = model._meta.verbose_name_plural
        fixed[field] = done = 0
        progress(field, 0, total, f"0/{total:,} {noun}")
        for first, last in pk_ranges(model.objects.all(), batch_size):
            rows = in_range(model.objects.all(), first, last)
            wrong = rows.annotate(counted=expression).exclude(**{field: F("counted")})
            with transaction.atomic():
                if dry_run:
                    fixed[field] += wrong.count()
                else:
                    corrected = _set_counts(
                        model.objects.filter(pk__in=wrong.values("pk")), **{field: expression}
                    )
                    fixed[field] += corrected
                    if corrected:
                        stamps.renew_all()
            done = total if last is None else min(done + batch_size, total)
            progress(field, done, total, f"{done:,}/{total:,} {noun}, {fixed[field]:,} wrong")
        if not done:
            progress(field, total, total, f"0/0 {noun}")
    return fixed
