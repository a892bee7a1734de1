"""Home timeline benchmark: page cost against follow count, and the cost of fanning out a tweet.

Run against a PostgreSQL database filled by seed_demo, for example:

    export DATABASE_URL=postgres://minitter:minitter@127.0.0.1:5432/bench
    .venv/bin/python manage.py migrate
    .venv/bin/python manage.py seed_demo --users 10000 --tweets 1000000 --follows-per-user 50
    .venv/bin/python bench/timeline.py

It adds a few bench_* accounts (readers following 50, 1,000 and 5,000 accounts; an author with
5,000 followers), then times, per reader, the precomputed timeline page (what the API serves) and
the naive query over the tweets table (what fan-out on write replaces), first page and deep page.
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
from django.db import connection  # noqa: E402

from tweets import services  # noqa: E402
from tweets.models import Follow, TimelineEntry, Tweet  # noqa: E402
from tweets.selectors import timeline_home_fetch  # noqa: E402

User = get_user_model()
REPEATS = 30
PAGE = 20


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
        rows = TimelineEntry.objects.filter(owner=reader).order_by("-tweet_id")
        deep = rows.values_list("tweet_id", flat=True)[500:501]
        for label, cursor in (("first", None), ("deep", deep[0] if deep else None)):
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
