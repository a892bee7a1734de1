"""Unit costs behind docs/scaling.md, measured on a migrated PostgreSQL database.

    DATABASE_URL=postgres://... python bench/scaling.py [--followers 20000]
    # with a broker and one worker process running (celery -A minitter worker -c 1):
    DATABASE_URL=... CELERY_BROKER_URL=redis://... python bench/scaling.py --tasks 2000

Prints: the cost of one fan-out row (batches of TIMELINE_FANOUT_BATCH_SIZE, commit included), the
bytes one timeline entry takes (table and indexes), the cost of reading one timeline page (the
database's part and the whole selector), and, with --tasks, the cost of one near-empty task
through the broker and a worker (one database round trip). Creates its own accounts (prefix
``scal_``); run it on a throwaway database.
"""

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minitter.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from throwaway import accounts  # noqa: E402

from accounts.models import User  # noqa: E402
from core.tasks import send  # noqa: E402
from tweets import tasks  # noqa: E402
from tweets.models import Follow, TimelineEntry, TimelineWork, Tweet  # noqa: E402
from tweets.selectors import timeline_home_fetch  # noqa: E402
from tweets.services.timelines import timeline_fan_out_batch  # noqa: E402


def fan_out_cost(author: User, followers: int, tweets: int = 5) -> tuple[float, float]:
    """Microseconds per timeline row, commit included: the best batch and the median batch (the
    best one is the cost on an idle machine; the median shows contention)."""
    batch = settings.TIMELINE_FANOUT_BATCH_SIZE
    follow_ids = list(
        Follow.objects.filter(followee=author).order_by("pk").values_list("pk", flat=True)
    )
    starts = follow_ids[::batch]
    rows, per_row = 0, []
    for _ in range(tweets):
        tweet = Tweet.objects.create(author=author, text="bench", fanned_out=True)
        for number, first in enumerate(starts):
            following = starts[number + 1] if number + 1 < len(starts) else None
            began = time.perf_counter()
            with transaction.atomic():
                added = timeline_fan_out_batch(
                    tweet_id=tweet.pk, first_follow_id=first, next_follow_id=following
                )
            per_row.append((time.perf_counter() - began) / added * 1e6)
            rows += added
    assert rows == tweets * followers, (rows, tweets * followers)
    return min(per_row), statistics.median(per_row)


def entry_bytes() -> tuple[float, float]:
    """Bytes per timeline entry: heap, and heap + indexes."""
    table = TimelineEntry._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute(
            f"SELECT pg_table_size('{table}'), pg_total_relation_size('{table}'), "
            f"(SELECT count(*) FROM {table})"
        )
        heap, total, rows = cursor.fetchone()
    return heap / rows, total / rows


def page_cost(reader: User, repeat: int = 200) -> tuple[float, float, float, float]:
    """Milliseconds for one 20-tweet page, best and median: the entries index scan alone, and the
    whole selector (entries, merged broadcasters, attachments, model instances)."""
    table = TimelineEntry._meta.db_table
    fetch = timeline_home_fetch(reader=reader)
    sql_times, page_times = [], []
    with connection.cursor() as cursor:
        for _ in range(repeat):
            began = time.perf_counter()
            cursor.execute(
                f"SELECT tweet_id FROM {table} WHERE owner_id = %s ORDER BY tweet_id DESC LIMIT 20",
                [reader.pk],
            )
            cursor.fetchall()
            sql_times.append(time.perf_counter() - began)
            began = time.perf_counter()
            fetch(None, True, 20)
            page_times.append(time.perf_counter() - began)
    return tuple(
        f(times) * 1e3 for times in (sql_times, page_times) for f in (min, statistics.median)
    )


def task_cost(count: int) -> float:
    """Milliseconds per near-empty task (a backfill of a missing follow: one locked read, one
    delete) sent through the broker and run by the workers that are up."""
    base = 10**15 + uuid.uuid4().int % 10**12
    TimelineWork.objects.bulk_create(
        [TimelineWork(kind=TimelineWork.Kind.BACKFILL, object_id=base + n) for n in range(count)]
    )
    began = time.perf_counter()
    for n in range(count):
        if not send(tasks.timeline_backfill, {"follow_id": base + n}):
            raise SystemExit("the broker refused a task")
    pending = TimelineWork.objects.filter(object_id__gte=base, object_id__lt=base + count)
    deadline = time.monotonic() + 600
    while pending.exists():
        if time.monotonic() > deadline:
            raise SystemExit("tasks did not finish within 10 minutes (is a worker running?)")
        time.sleep(0.05)
    return (time.perf_counter() - began) / count * 1e3


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--followers", type=int, default=20_000)
    parser.add_argument("--tasks", type=int, default=0, help="needs a broker and a worker")
    options = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("run it on PostgreSQL (DATABASE_URL=postgres://...)")

    prefix = f"scal_{uuid.uuid4().hex[:6]}_"
    author = accounts(1, prefix + "author")[0]
    readers = accounts(options.followers, prefix)
    Follow.objects.bulk_create(
        [Follow(follower=reader, followee=author) for reader in readers], batch_size=5000
    )
    print(f"followers: {options.followers:,}, batch size: {settings.TIMELINE_FANOUT_BATCH_SIZE}")
    best, median = fan_out_cost(author, options.followers)
    print(f"fan-out: {best:.2f} µs per timeline row (median batch {median:.2f})")
    heap, total = entry_bytes()
    print(f"timeline entry: {heap:.0f} bytes in the table, {total:.0f} bytes with its indexes")
    sql_best, sql_median, page_best, page_median = page_cost(readers[0])
    print(
        f"timeline page (20): index scan {sql_best:.3f} ms (median {sql_median:.3f}), "
        f"whole selector {page_best:.2f} ms (median {page_median:.2f})"
    )
    if options.tasks:
        print(f"task: {task_cost(options.tasks):.2f} ms per near-empty task ({options.tasks:,})")


if __name__ == "__main__":
    main()
