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
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def reader_following(count: int) -> User:
    """A bench reader following the ``count`` most-tweeting demo accounts."""
    name = f"bench_reader_{count}"
    reader = User.objects.filter(username=name).first()
    if reader is None:
        reader = User.objects.create_user(name, f"{name}@bench.invalid", "bench-password-123")
        followees = (
            User.objects.filter(username__startswith="demo_")
            .order_by("-tweets_count")
            .values_list("pk", flat=True)[:count]
        )
        for followee in User.objects.filter(pk__in=list(followees)):
            services.follow_create(follower=reader, followee=followee)
    return reader


def naive_page(reader, before=None):
    followees = Follow.objects.filter(follower=reader).values("followee")
    tweets = Tweet.objects.filter(author__in=followees)
    if before:
        tweets = tweets.filter(pk__lt=before)
    return list(tweets.order_by("-pk").values_list("pk", flat=True)[:PAGE])


def main():
    if connection.vendor != "postgresql":
        sys.exit("Run this against PostgreSQL (DATABASE_URL=postgres://…).")
    print(f"tweets: {Tweet.objects.count():,}  timeline rows: {TimelineEntry.objects.count():,}")
    print(f"{'follows':>8} {'page':>6} {'precomputed ms (p50/p95)':>26} {'naive ms (p50/p95)':>22}")
    for count in (50, 1000, 5000):
        reader = reader_following(count)
        fetch = timeline_home_fetch(reader=reader)
        first = fetch(None, True, PAGE)
        deep_cursor = None
        rows = TimelineEntry.objects.filter(owner=reader).order_by("-tweet_id")
        deep = rows.values_list("tweet_id", flat=True)[2000:2001]
        deep_cursor = deep[0] if deep else (first[-1].pk if first else None)
        for label, cursor in (("first", None), ("deep", deep_cursor)):
            precomputed = timed(lambda fetch=fetch, cursor=cursor: fetch(cursor, True, PAGE))
            naive = timed(lambda reader=reader, cursor=cursor: naive_page(reader, cursor))
            print(
                f"{count:>8} {label:>6} {precomputed[0]:>12.2f} / {precomputed[1]:<11.2f}"
                f" {naive[0]:>9.2f} / {naive[1]:<9.2f}"
            )

    author = User.objects.filter(username="bench_author").first()
    if author is None:
        author = User.objects.create_user("bench_author", "a@bench.invalid", "bench-password-123")
        fans = User.objects.filter(username__startswith="demo_").values_list("pk", flat=True)[:5000]
        Follow.objects.bulk_create([Follow(follower_id=f, followee=author) for f in fans])
        User.objects.filter(pk=author.pk).update(followers_count=len(fans))
    author.refresh_from_db()
    cost = timed(lambda: services.tweet_create(author=author, text="bench fan-out"), repeats=10)
    print(
        f"posting with {author.followers_count:,} followers (fan-out, commit included): "
        f"p50 {cost[0]:.1f} ms, p95 {cost[1]:.1f} ms"
    )


if __name__ == "__main__":
    main()
