"""Home timelines: fan-out on write, backfill on follow, the trim to TIMELINE_MAX_ENTRIES per
reader, and rebuild from tweets and follows.

The author's own entry is written with the tweet; the followers' entries and a follow's backfill
are background tasks (``tweets/tasks.py``) sent after commit, recorded in the same transaction as
``TimelineWork`` rows (the outbox) so that a broker that is down delays them but never loses them.
A tweet's fan-out is split into batches of ``TIMELINE_FANOUT_BATCH_SIZE`` followers, each one
short, idempotent ``INSERT ... SELECT``; the trim and the rebuild work set-based on ranges of
owners. See docs/architecture.md and docs/scaling.md.
"""

from bisect import bisect_left
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from core.db.retries import deadlock_retried
from core.fields import MAX_ID
from core.ids import id_floor
from core.ranges import pk_ranges
from core.tasks import enqueue, send
from tweets.models import (
    Broadcaster,
    Follow,
    TimelineEntry,
    TimelineHorizon,
    TimelineWork,
    Tweet,
)

User = get_user_model()


class TimelineWorkNotSent(Exception):
    """The broker refused part of a fan-out; its outbox row stays and is sent again later."""


def timeline_fans_out(author: User) -> bool:
    """The one rule for who is fanned out on write: authors with at most
    TIMELINE_FANOUT_MAX_FOLLOWERS followers. Tweets of the others are merged in at read time."""
    return author.followers_count <= settings.TIMELINE_FANOUT_MAX_FOLLOWERS


def timeline_fan_out(tweet: Tweet) -> None:
    """Call in the tweet's transaction (tweets and reposts alike): the author's entry now, the
    followers' entries by background tasks once it commits (unless the tweet is merged at read
    time instead: ``tweet.fanned_out`` false)."""
    TimelineEntry.objects.create(owner_id=tweet.author_id, tweet=tweet)
    if not tweet.fanned_out:
        Broadcaster.objects.get_or_create(user_id=tweet.author_id)
        return
    TimelineWork.objects.create(kind=TimelineWork.Kind.FAN_OUT, object_id=tweet.pk)
    from tweets import tasks

    enqueue(tasks.timeline_fan_out_plan, tweet_id=tweet.pk)


def timeline_fan_out_plan(*, tweet_id: int) -> int:
    """Split what a tweet's fan-out still owes (the followers whose timeline lacks it, by follow
    id) into batches and send one task per batch, or write the batch here where there is only
    one; with nothing owed (done, or the tweet deleted) its outbox row goes. The row counts the
    batch tasks down and goes when the last one finds every follower served
    (``timeline_fan_out_batch``), so a batch lost with a killed worker leaves it for the periodic
    resend, which runs this again for what is missing. Idempotent. Returns the number of batch
    tasks sent."""
    from tweets import tasks

    work = TimelineWork.objects.filter(kind=TimelineWork.Kind.FAN_OUT, object_id=tweet_id)
    missing = _fan_out_missing(tweet_id)
    if not missing:
        work.delete()
        return 0
    starts = missing[:: settings.TIMELINE_FANOUT_BATCH_SIZE]
    if len(starts) == 1:
        # Most authors' followers fit in one batch: it runs here, not as a task of its own, which
        # would cost the worker a second message for the same few rows, and with nothing to
        # count down the row goes once no follower lacks the tweet (a follow committed late,
        # with a lower id, may: the row then waits for the resend).
        _fan_out_insert(tweet_id, first_follow_id=starts[0], next_follow_id=None)
        if not _fan_out_missing(tweet_id, limit=1):
            work.delete()
        return 0
    work.update(batches_left=len(starts), attempted_at=timezone.now())
    for number, first in enumerate(starts):
        following = starts[number + 1] if number + 1 < len(starts) else None
        batch = {"tweet_id": tweet_id, "first_follow_id": first, "next_follow_id": following}
        if not send(tasks.timeline_fan_out_batch, batch):
            raise TimelineWorkNotSent(f"fan-out of tweet {tweet_id}")
    return len(starts)


def timeline_fan_out_batch(
    *, tweet_id: int, first_follow_id: int, next_follow_id: int | None
) -> int:
    """Put a tweet into the timelines of its author's followers whose follow id is in
    [first_follow_id, next_follow_id) (``_fan_out_insert``), then one batch less on the outbox
    row: at none left, the row goes if no follower lacks the tweet (a batch run twice counts
    twice, so the count alone does not prove it). Returns rows added."""
    added = _fan_out_insert(
        tweet_id, first_follow_id=first_follow_id, next_follow_id=next_follow_id
    )
    work = TimelineWork.objects.filter(kind=TimelineWork.Kind.FAN_OUT, object_id=tweet_id)
    counted = work.filter(batches_left__gt=0).update(
        batches_left=F("batches_left") - 1, attempted_at=timezone.now()
    )
    finished = work.filter(batches_left=0)
    if counted and finished.exists() and not _fan_out_missing(tweet_id, limit=1):
        finished.delete()
    return added


def _fan_out_insert(tweet_id: int, *, first_follow_id: int, next_follow_id: int | None) -> int:
    """One INSERT ... SELECT of a tweet into the timelines of its author's followers whose follow
    id is in [first_follow_id, next_follow_id), no rows in Python. Idempotent (existing entries
    are skipped); nothing for a tweet deleted meanwhile. Returns rows added."""
    entries = TimelineEntry._meta.db_table
    follows = Follow._meta.db_table
    tweets = Tweet._meta.db_table
    upper = "AND f.id < %s" if next_follow_id is not None else ""
    params = [tweet_id, first_follow_id] + ([next_follow_id] if next_follow_id is not None else [])
    # The tweet's row and the follows' are share-locked (edits and counters still pass): a delete
    # or an unfollow in progress is waited for and then nothing is added for it, and one that
    # starts later waits for these rows and removes them. Without it the entries could outlive
    # their tweet (no FK constraint) or the follow (an unfollow answered, the tweets still in
    # the timeline).
    lock = "FOR KEY SHARE OF t, f" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(
            # Table names come from our models.
            f"INSERT INTO {entries} (owner_id, tweet_id) "
            f"SELECT f.follower_id, t.id FROM {follows} f "
            f"JOIN {tweets} t ON t.author_id = f.followee_id "
            f"WHERE t.id = %s AND f.id >= %s {upper} {lock} "
            f"ON CONFLICT DO NOTHING",
            params,
        )
        return cursor.rowcount


def _fan_out_missing(tweet_id: int, limit: int | None = None) -> list[int]:
    """The follow ids (ascending) of the followers of the tweet's author whose timeline lacks the
    tweet: what its fan-out still owes. Leaves out readers whose stored timeline was trimmed
    above the tweet (their pages read it from the tweets table). Empty for a deleted tweet."""
    entries, follows = TimelineEntry._meta.db_table, Follow._meta.db_table
    tweets, horizons = Tweet._meta.db_table, TimelineHorizon._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT f.id FROM {follows} f JOIN {tweets} t ON t.author_id = f.followee_id "
            f"WHERE t.id = %s AND NOT EXISTS (SELECT 1 FROM {entries} e "
            f"WHERE e.owner_id = f.follower_id AND e.tweet_id = t.id) "
            f"AND NOT EXISTS (SELECT 1 FROM {horizons} h "
            f"WHERE h.owner_id = f.follower_id AND h.tweet_id > t.id) "
            f"ORDER BY f.id{' LIMIT %s' if limit else ''}",
            [tweet_id, limit] if limit else [tweet_id],
        )
        return [follow_id for (follow_id,) in cursor.fetchall()]


# A follow with the id range its rule reads: tweets from ``since_id`` on (posted since the
# follow), and the TIMELINE_BACKFILL_DAYS before it from ``window_id``. The bounds are computed by
# ``id_floor`` in Python and handed to SQL, so there is one definition of a time as an id.
_FOLLOW_COLUMNS = "follow_id, follower_id, followee_id, since_id, window_id"
# The rebuild's follows, loaded one batch of owners at a time (one per connection).
_REBUILD_FOLLOWS = "timeline_rebuild_follows"


def _follow_row(follow_id: int, follower_id: int, followee_id: int, created_at) -> tuple:
    window = created_at - timedelta(days=settings.TIMELINE_BACKFILL_DAYS)
    return (follow_id, follower_id, followee_id, id_floor(created_at), id_floor(window))


def _followed_tweets_sql(follows: str, params: list) -> tuple[str, list]:
    """The one rule for what a follow puts into the follower's timeline, as a SELECT of
    ``(owner_id, tweet_id)`` (and its parameters) over ``follows``, a relation of
    ``_FOLLOW_COLUMNS`` with ``params``: the followee's fanned-out tweets of the
    TIMELINE_BACKFILL_DAYS before the follow (at most TIMELINE_BACKFILL_MAX, the newest) and every
    fanned-out tweet of theirs since. The follows come first in each join (CROSS JOIN keeps SQLite
    to that order), so each one is a range scan of the followee's tweets."""
    tweets = Tweet._meta.db_table  # table names come from our models
    sql = (
        f"SELECT f.follower_id AS owner_id, t.id AS tweet_id FROM {follows} f "
        f"CROSS JOIN {tweets} t WHERE t.author_id = f.followee_id AND t.fanned_out "
        "AND t.id >= f.since_id "
        "UNION ALL "
        "SELECT owner_id, tweet_id FROM ("
        " SELECT f.follower_id AS owner_id, t.id AS tweet_id,"
        " row_number() OVER (PARTITION BY f.follow_id ORDER BY t.id DESC) AS position"
        f" FROM {follows} f CROSS JOIN {tweets} t WHERE t.author_id = f.followee_id"
        " AND t.fanned_out AND t.id >= f.window_id AND t.id < f.since_id"
        ") recent WHERE position <= %s"
    )
    return sql, [*params, *params, settings.TIMELINE_BACKFILL_MAX]


def timeline_backfill(*, owner: User, follow: Follow) -> None:
    """Call in the follow's transaction: the followee's recent tweets enter the follower's
    timeline by a background task once it commits."""
    TimelineWork.objects.create(kind=TimelineWork.Kind.BACKFILL, object_id=follow.pk)
    from tweets import tasks

    enqueue(tasks.timeline_backfill, follow_id=follow.pk)


@transaction.atomic
def timeline_backfill_run(*, follow_id: int) -> int:
    """On a follow: the followee's recent tweets enter the follower's timeline (tweets posted
    since the follow too: their own fan-out may have run before the follow committed), by
    ``_followed_tweets_sql``. Idempotent; nothing when the follow is gone. Returns the number of
    entries added."""
    follow = Follow.objects.filter(pk=follow_id).first()
    added = _backfill_insert(follow) if follow is not None else 0
    TimelineWork.objects.filter(kind=TimelineWork.Kind.BACKFILL, object_id=follow_id).delete()
    return added


def _backfill_insert(follow: Follow) -> int:
    """Write what ``follow`` puts into the follower's timeline; returns the entries added.

    On PostgreSQL the rows are locked in the order an account's deletion takes them: the chosen
    tweets (share-locked, ascending), then the follow. A delete of one of those tweets, or an
    unfollow, in progress is waited for and then nothing is written for it; one that starts
    later waits for these rows, then removes what this wrote. (The ranking statement itself
    cannot lock: it uses a window function.)"""
    from tweets.services.tweets import tweets_share_lock

    relation = "(SELECT " + ", ".join(f"%s AS {c}" for c in _FOLLOW_COLUMNS.split(", ")) + ")"
    row = _follow_row(follow.pk, follow.follower_id, follow.followee_id, follow.created_at)
    followed, params = _followed_tweets_sql(relation, list(row))
    entries = TimelineEntry._meta.db_table  # table names come from our models
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(
                f"INSERT INTO {entries} (owner_id, tweet_id) "
                f"SELECT owner_id, tweet_id FROM ({followed}) followed "
                "WHERE true ON CONFLICT DO NOTHING",  # WHERE: SQLite's upsert needs it
                params,
            )
            return cursor.rowcount
        cursor.execute(f"SELECT tweet_id FROM ({followed}) followed", params)
        chosen = tweets_share_lock([tweet_id for (tweet_id,) in cursor.fetchall()])
        if not chosen or not Follow.objects.select_for_update().filter(pk=follow.pk).exists():
            return 0
        cursor.execute(
            f"INSERT INTO {entries} (owner_id, tweet_id) "
            "SELECT %s, unnest(%s::bigint[]) ON CONFLICT DO NOTHING",
            [follow.follower_id, sorted(chosen)],
        )
        return cursor.rowcount


def timeline_work_resend(*, older_than: timedelta, limit: int = 1000) -> int:
    """Send again the outbox rows (fan-outs, backfills) not done for ``older_than``: their first
    send failed (broker down) or their task is lost. Stops at the first refused send. Returns how
    many rows remain pending."""
    from tweets import tasks

    now = timezone.now()
    cutoff = now - older_than
    # A fan-out with batches in flight may only be queued behind other work, or held by a worker
    # that died until the broker gives it back: it waits the visibility timeout longer, so that a
    # backlog is not multiplied by plans sent again.
    in_flight_cutoff = cutoff - timedelta(seconds=settings.CELERY_VISIBILITY_TIMEOUT)
    stale = TimelineWork.objects.filter(
        Q(batches_left=0, attempted_at__lt=cutoff)
        | Q(batches_left__gt=0, attempted_at__lt=in_flight_cutoff)
        | Q(attempted_at__isnull=True, created_at__lt=cutoff)
    ).order_by("pk")[:limit]
    for work in stale:
        TimelineWork.objects.filter(pk=work.pk).update(attempted_at=now)
        if work.kind == TimelineWork.Kind.FAN_OUT:
            sent = send(tasks.timeline_fan_out_plan, {"tweet_id": work.object_id})
        else:
            sent = send(tasks.timeline_backfill, {"follow_id": work.object_id})
        if not sent:
            break
    return TimelineWork.objects.count()


def _owner_batches(weights: list[tuple[int, int]], budget: int) -> list[tuple[int, int, int]]:
    """Split ``(owner_id, weight)`` pairs sorted by owner id into id ranges ``[low, high)`` of
    about ``budget`` weight each (an owner heavier than that is a range alone); returns
    ``(low, high, weight)`` triples."""
    batches, low, weight = [], None, 0
    for owner_id, owner_weight in weights:
        if low is not None and weight + owner_weight > budget:
            batches.append((low, owner_id, weight))
            low, weight = None, 0
        low = owner_id if low is None else low
        weight += owner_weight
    if low is not None:
        batches.append((low, weights[-1][0] + 1, weight))
    return batches


# Trims and rebuilds of timelines take this advisory lock for each range's transaction, one at a
# time: both insert owners' horizons after writing entries, and two inserting the same new
# horizon would each wait for the other's (a deadlock). It is waited for as long as a range of
# the other may take.
_MAINTENANCE_LOCK = 0x6D696E74
MAINTENANCE_LOCK_TIMEOUT = "10min"


def _maintenance_lock(cursor) -> None:
    """Wait for the maintenance lock as long as a whole range may take, not the requests'
    ``lock_timeout``; the session's timeout applies again to the range's other locks."""
    if connection.vendor != "postgresql":
        return
    cursor.execute(
        "SELECT current_setting('lock_timeout'), set_config('lock_timeout', %s, true)",
        [MAINTENANCE_LOCK_TIMEOUT],
    )
    (session_timeout, _) = cursor.fetchone()
    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_MAINTENANCE_LOCK])
    cursor.execute("SELECT set_config('lock_timeout', %s, true)", [session_timeout])


def _timelines_trim_range(cursor, low: int, high: int) -> int:
    """Keep the TIMELINE_MAX_ENTRIES newest entries of each owner with an id in [low, high):
    record the oldest kept as the owner's horizon (never lowering one), then delete every entry
    below it. Returns the number of entries deleted."""
    entries = TimelineEntry._meta.db_table  # table names come from our models
    horizons = TimelineHorizon._meta.db_table
    _maintenance_lock(cursor)
    cursor.execute(
        f"INSERT INTO {horizons} (owner_id, tweet_id) "
        "SELECT owner_id, kept FROM ("
        " SELECT owner_id, row_number() OVER newest AS position, lag(tweet_id) OVER newest AS kept"
        f" FROM {entries} WHERE owner_id >= %s AND owner_id < %s"
        " WINDOW newest AS (PARTITION BY owner_id ORDER BY tweet_id DESC)"
        ") ranked WHERE position = %s "
        "ON CONFLICT (owner_id) DO UPDATE SET tweet_id = CASE "
        f"WHEN excluded.tweet_id > {horizons}.tweet_id THEN excluded.tweet_id "
        f"ELSE {horizons}.tweet_id END",
        [low, high, settings.TIMELINE_MAX_ENTRIES + 1],
    )
    cursor.execute(
        f"DELETE FROM {entries} WHERE id IN ("
        f"SELECT e.id FROM {horizons} h JOIN {entries} e ON e.owner_id = h.owner_id "
        "WHERE h.owner_id >= %s AND h.owner_id < %s AND e.tweet_id < h.tweet_id)",
        [low, high],
    )
    return cursor.rowcount


TRIM_BATCH_OWNERS = 200


def timelines_trim(*, progress=None) -> int:
    """Bound every stored timeline to its TIMELINE_MAX_ENTRIES newest entries, set-based: owners
    by id ranges of TRIM_BATCH_OWNERS, each range one short transaction of two statements (see
    ``_timelines_trim_range``). Reads of a trimmed timeline continue below its horizon from the
    tweets themselves (``tweets.selectors.timeline_home_fetch``). Idempotent. ``progress(stage,
    done, total)`` is told of each range. Returns the number of entries deleted."""
    owners = User.objects.all()
    total = owners.count()
    deleted = done = 0
    for first, last in pk_ranges(owners, TRIM_BATCH_OWNERS):
        high = MAX_ID if last is None else last + 1  # the last range: up to every id
        with transaction.atomic(), connection.cursor() as cursor:
            deleted += _timelines_trim_range(cursor, first, high)
        done = min(total, done + TRIM_BATCH_OWNERS)
        if progress is not None:
            progress("trim", done, total)
    return deleted


# A rebuild batch holds about this many follows (plus one unit per owner).
REBUILD_BATCH_FOLLOWS = 2000


@deadlock_retried
@transaction.atomic
def _timelines_rebuild_range(low: int, high: int) -> int:
    """Recompute the timelines of the owners with an id in [low, high) in one INSERT ... SELECT:
    their own tweets and what ``_followed_tweets_sql`` gives for each of their follows, the
    TIMELINE_MAX_ENTRIES newest of them (the horizon set as the trim sets it). Returns the
    number of entries written.

    Safe beside live writes. The owners' follows are locked first (an unfollow in progress is
    waited for and its follow left out; one that starts later waits, then removes what this
    wrote), and read again once the entries are deleted. Entries that a post or a fan-out adds
    meanwhile are kept (``ON CONFLICT DO NOTHING``); a trim waits (``_maintenance_lock``). Run
    again when PostgreSQL aborts it to break a deadlock. The tweets are not locked (the
    statement ranks them with a window function, which cannot lock): one deleted while this
    runs may leave an entry behind, which no page shows (pages join the tweets) and the next
    rebuild drops."""
    entries = TimelineEntry._meta.db_table  # table names come from our models
    tweets = Tweet._meta.db_table
    owners_follows = Follow.objects.filter(follower_id__gte=low, follower_id__lt=high)
    if connection.vendor == "postgresql":
        owners_follows = owners_follows.select_for_update(no_key=True)
    owners_follows = owners_follows.values_list("pk", "follower_id", "followee_id", "created_at")
    with connection.cursor() as cursor:
        _maintenance_lock(cursor)
        list(owners_follows.all())  # locked before the entries, in an unfollow's order
        TimelineHorizon.objects.filter(owner_id__gte=low, owner_id__lt=high).delete()
        cursor.execute(f"DELETE FROM {entries} WHERE owner_id >= %s AND owner_id < %s", [low, high])
        # Read again: a follow (and its backfill) committed since the first read is kept too.
        follows = [_follow_row(*follow) for follow in owners_follows.all()]
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {_REBUILD_FOLLOWS} "
            "(follow_id bigint, follower_id bigint, followee_id bigint, since_id bigint, "
            "window_id bigint)"
        )
        cursor.execute(f"DELETE FROM {_REBUILD_FOLLOWS}")
        cursor.executemany(
            f"INSERT INTO {_REBUILD_FOLLOWS} ({_FOLLOW_COLUMNS}) VALUES (%s, %s, %s, %s, %s)",
            follows,
        )
        followed, followed_params = _followed_tweets_sql(_REBUILD_FOLLOWS, [])
        # One row past the bound for owners that have more, so the trim finds their horizon.
        cursor.execute(
            f"INSERT INTO {entries} (owner_id, tweet_id) "
            "SELECT owner_id, tweet_id FROM ("
            " SELECT owner_id, tweet_id,"
            " row_number() OVER (PARTITION BY owner_id ORDER BY tweet_id DESC) AS position FROM ("
            f"  SELECT author_id AS owner_id, id AS tweet_id FROM {tweets}"
            "   WHERE author_id >= %s AND author_id < %s"
            f"  UNION ALL {followed}"
            " ) candidates"
            ") ranked WHERE position <= %s ON CONFLICT DO NOTHING",
            [low, high, *followed_params, settings.TIMELINE_MAX_ENTRIES + 1],
        )
        written = cursor.rowcount
        return written - _timelines_trim_range(cursor, low, high)


def timelines_rebuild(*, owner_ids: list[int] | None = None, progress=None) -> int:
    """Recompute home timelines from tweets and follows: of the given accounts, or of every
    account. Gives exactly what the incremental rules maintain (the owner's own tweets, and for
    each follow what ``_followed_tweets_sql`` says), bounded as ``timelines_trim`` bounds them.
    Set-based: owners by id ranges of about REBUILD_BATCH_FOLLOWS follows, each range one
    transaction. ``progress(stage, done, total, note)`` counts follows (plus one per owner), so it
    moves steadily past accounts that follow thousands. Returns the number of entries written."""
    owners = User.objects.order_by("pk")
    if owner_ids is not None:
        owners = owners.filter(pk__in=owner_ids)
    weights = [(pk, following + 1) for pk, following in owners.values_list("pk", "following_count")]
    if owner_ids is None:
        batches = _owner_batches(weights, REBUILD_BATCH_FOLLOWS)
    else:  # named accounts are not contiguous: one range each
        batches = [(pk, pk + 1, weight) for pk, weight in weights]
    total = sum(weight for _, _, weight in batches)
    owners_done = [pk for pk, _ in weights]
    written = done = 0
    for low, high, weight in batches:
        written += _timelines_rebuild_range(low, high)
        done += weight
        if progress is not None:
            accounts = bisect_left(owners_done, high)
            progress("timelines", done, total, f"{accounts:,}/{len(weights):,} accounts")
    return written


def timeline_rebuild(*, owner: User) -> int:
    """Recompute one reader's timeline (see ``timelines_rebuild``); returns its entries."""
    return timelines_rebuild(owner_ids=[owner.pk])
