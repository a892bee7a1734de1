"""Home timeline benchmark: page cost against follow count, and the cost of fanning out a tweet.

Run against a PostgreSQL database filled by seed_demo, for example:

    export DATABASE_URL=postgres://minitter:minitter@127.0.0.1:5432/bench
    .venv/bin/python manage.py migrate
    .venv/bin/python manage.py seed_demo --users 10000 --tweets 1000000 --follows-per-user 50
    .venv/bin/python bench/timeline.py

It adds a few bench_* accounts (readers following 50, 1,000 and 5,000 accounts; an author with
5,000 followers), then times, per reader, the precomputed timeline page (what the API serves) and
the naive query over the tweets table (what fan-out on write replaces), first page and deep page.
Then the cost of blocks and mutes: readers following the same 50 and 1,000 accounts who also block
500 and mute 500 other accounts, against the readers with none, first page and deep page, through
the timeline selector the API uses. The database needs at least 5,000 demo accounts.
"""

import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minitter.settings")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from tweets import services  # noqa: E402
from tweets.models import Follow, TimelineEntry, Tweet  # noqa: E402
from tweets.selectors import timeline_home_fetch  # noqa: E402

User = get_user_model()
REPEATS = 30
PAGE = 20
BLOCKS = MUTES = 500


def timed(function, repeats=REPEATS) -> tuple[float, float]:
    """Median and 95th percentile wall time of ``function()`` in milliseconds."""
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def server_ms(queryset, repeats=REPEATS) -> tuple[float, float]:
    """Median planning and execution time PostgreSQL reports for the query, in milliseconds."""
    sql, params = queryset.query.sql_with_params()
    planning, execution = [], []
    with connection.cursor() as cursor:
        for _ in range(repeats):
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
            plan = cursor.fetchone()[0][0]
            planning.append(plan["Planning Time"])
            execution.append(plan["Execution Time"])
    return statistics.median(planning), statistics.median(execution)


def reader_following(count: int) -> User:
    """A bench reader following ``count`` demo accounts picked at random (seeded)."""
    name = f"bench_random_{count}"
    reader = User.objects.filter(username=name).first()
    if reader is None:
        reader = User.objects.create_user(name, f"{name}@bench.invalid", "bench-password-123")
        demo = list(User.objects.filter(username__startswith="demo_").values_list("pk", flat=True))
        chosen = random.Random(count).sample(demo, count)
        for followee in User.objects.filter(pk__in=chosen):
            services.follow_create(follower=reader, followee=followee)
    return reader


def reader_blocking_and_muting(count: int) -> User:
    """A bench reader following the same accounts as ``reader_following(count)`` who also blocks
    BLOCKS and mutes MUTES other demo accounts (picked at random, seeded), through the services."""
    name = f"bench_shy_{count}"
    reader = User.objects.filter(username=name).first()
    if reader is None:
        reader = User.objects.create_user(name, f"{name}@bench.invalid", "bench-password-123")
        demo = list(User.objects.filter(username__startswith="demo_").values_list("pk", flat=True))
        followed = random.Random(count).sample(demo, count)
        others = sorted(set(demo) - set(followed))
        avoided = random.Random(-count).sample(others, BLOCKS + MUTES)
        for followee in User.objects.filter(pk__in=followed):
            services.follow_create(follower=reader, followee=followee)
        for account in User.objects.filter(pk__in=avoided[:BLOCKS]):
            services.block_create(blocker=reader, blocked=account)
        for account in User.objects.filter(pk__in=avoided[BLOCKS:]):
            services.mute_create(muter=reader, muted=account)
    return reader


def _scans_tweets(node) -> bool:
    """Whether a plan reads the whole tweets table (a sequential scan) anywhere."""
    if node.get("Node Type") in ("Seq Scan", "Parallel Seq Scan") and (
        node.get("Relation Name") == Tweet._meta.db_table
    ):
        return True
    return any(_scans_tweets(child) for child in node.get("Plans", []))


def page_server_ms(reader, position, repeats=REPEATS) -> tuple[float, float, bool]:
    """Server time of every query the timeline selector runs for one page (planning, execution:
    medians per query, summed), and whether any of them reads the whole tweets table."""
    fetch = timeline_home_fetch(reader=reader)
    reset_queries()  # with DEBUG on, a full query log would leave nothing to capture
    with CaptureQueriesContext(connection) as captured:
        fetch(position, True, PAGE)
    planning = execution = 0.0
    scans = False
    with connection.cursor() as cursor:
        selects = [q for q in captured.captured_queries if q["sql"].startswith("SELECT")]
        for query in selects:
            plans = []
            for _ in range(repeats):
                cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + query["sql"])
                plans.append(cursor.fetchone()[0][0])
            planning += statistics.median(plan["Planning Time"] for plan in plans)
            execution += statistics.median(plan["Execution Time"] for plan in plans)
            scans = scans or _scans_tweets(plans[0]["Plan"])
    return planning, execution, scans


def deep_position(reader, depth: int = 500):
    """The timeline id ``depth`` entries down the reader's timeline (a page that far back)."""
    rows = TimelineEntry.objects.filter(owner=reader).order_by("-tweet_id")
    deep = rows.values_list("tweet_id", flat=True)[depth : depth + 1]
    return deep[0] if deep else None


def blocks_and_mutes():
    """The home page with and without BLOCKS blocks and MUTES mutes, for 50 and 1,000 follows."""
    print(
        f"Home page through the timeline selector, no blocks or mutes against {BLOCKS} blocks + "
        f"{MUTES} mutes: server time of all its queries (plan + exec ms, medians; * = a plan "
        "reads the whole tweets table) and the whole page in Python (p50 ms):"
    )
    print(f"{'follows':>8} {'page':>6} {'none':>18} {'blocks+mutes':>18} {'page p50':>18}")
    for count in (50, 1000):
        plain, shy = reader_following(count), reader_blocking_and_muting(count)
        for label in ("first", "deep"):
            figures = []
            for reader in (plain, shy):
                position = deep_position(reader) if label == "deep" else None
                planning, execution, scans = page_server_ms(reader, position)
                fetch = timeline_home_fetch(reader=reader)
                page = timed(lambda f=fetch, p=position: f(p, True, PAGE))
                figures.append((planning, execution, "*" if scans else " ", page[0]))
            (p0, e0, s0, w0), (p1, e1, s1, w1) = figures
            print(
                f"{count:>8} {label:>6} {p0:>7.2f} + {e0:<7.2f}{s0} {p1:>7.2f} + {e1:<7.2f}{s1}"
                f" {w0:>7.2f} / {w1:<7.2f}"
            )


def precomputed_ids(reader, before=None):
    entries = TimelineEntry.objects.filter(owner=reader)
    if before:
        entries = entries.filter(tweet_id__lt=before)
    return entries.order_by("-tweet_id").values_list("tweet_id", flat=True)[:PAGE]


def naive_ids(reader, before=None):
    tweets = Tweet.objects.filter(
        author__in=Follow.objects.filter(follower=reader).values("followee")
    )
    if before:
        tweets = tweets.filter(pk__lt=before)
    return tweets.order_by("-pk").values_list("pk", flat=True)[:PAGE]


def main():
    if connection.vendor != "postgresql":
        sys.exit("Run this against PostgreSQL (DATABASE_URL=postgres://…).")
    print(f"tweets: {Tweet.objects.count():,}  timeline rows: {TimelineEntry.objects.count():,}")
    print("Server-side time of one page of 20 ids (PostgreSQL's EXPLAIN ANALYZE, medians):")
    print(f"{'follows':>8} {'page':>6} {'precomputed plan+exec ms':>26} {'naive plan+exec ms':>20}")
    readers = {count: reader_following(count) for count in (50, 1000, 5000)}
    for count, reader in readers.items():
        for label, cursor in (("first", None), ("deep", deep_position(reader))):
            fast = server_ms(precomputed_ids(reader, cursor))
            slow = server_ms(naive_ids(reader, cursor))
            print(
                f"{count:>8} {label:>6} {fast[0]:>12.2f} + {fast[1]:<11.2f}"
                f" {slow[0]:>8.2f} + {slow[1]:<9.2f}"
            )

    print("Whole page as the API builds it (timeline selector: entries, merged tweets, media):")
    for count, reader in readers.items():
        fetch = timeline_home_fetch(reader=reader)
        page = timed(lambda fetch=fetch: fetch(None, True, PAGE))
        print(f"{count:>8} follows: p50 {page[0]:.2f} ms, p95 {page[1]:.2f} ms")

    blocks_and_mutes()

    author = User.objects.filter(username="bench_author").first()
    if author is None:
        author = User.objects.create_user("bench_author", "a@bench.invalid", "bench-password-123")
        fans = User.objects.filter(username__startswith="demo_").values_list("pk", flat=True)[:5000]
        Follow.objects.bulk_create([Follow(follower_id=f, followee=author) for f in fans])
        User.objects.filter(pk=author.pk).update(followers_count=len(fans))
    author.refresh_from_db()
    cost = timed(lambda: services.tweet_create(author=author, text="bench fan-out"), repeats=10)
    print(
        f"Posting with {author.followers_count:,} followers (fan-out, commit included): "
        f"p50 {cost[0]:.1f} ms, p95 {cost[1]:.1f} ms"
    )


if __name__ == "__main__":
    main()
