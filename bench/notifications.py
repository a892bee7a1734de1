"""What keeping notifications in the event's transaction costs, measured on PostgreSQL.

    DATABASE_URL=postgres://... CELERY_BROKER_URL=redis://... python bench/notifications.py

Times ``like_create`` and ``like_delete`` (one transaction each, commit included) with their
notification written and removed as they are, and with ``notification_add`` and
``notification_remove`` replaced by no-ops, in alternating rounds of --likes likes. With a broker
configured it also times ``send``, the publish an enqueued notification task would cost the
request instead (the messages are purged afterwards; no worker is needed). Creates its own
accounts (prefix ``ntf_``); run it on a throwaway database.
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
from django.db import connection  # noqa: E402
from throwaway import accounts  # noqa: E402

from accounts.models import User  # noqa: E402
from core.tasks import send  # noqa: E402
from minitter.celery import app  # noqa: E402
from tweets import tasks  # noqa: E402
from tweets.models import Notification, Tweet  # noqa: E402
from tweets.services import likes  # noqa: E402


def like_round(tweet: Tweet, likers: list[User]) -> tuple[list[float], list[float]]:
    """Microseconds per like and per unlike, each its own transaction."""
    liked, unliked = [], []
    for user in likers:
        began = time.perf_counter()
        likes.like_create(user=user, tweet=tweet)
        liked.append((time.perf_counter() - began) * 1e6)
    for user in likers:
        began = time.perf_counter()
        likes.like_delete(user=user, tweet=tweet)
        unliked.append((time.perf_counter() - began) * 1e6)
    return liked, unliked


def publish_cost(count: int) -> list[float]:
    """Microseconds per ``send`` of a small task to the broker (not run: purged afterwards)."""
    times = []
    for n in range(count):
        began = time.perf_counter()
        if not send(tasks.timeline_backfill, {"follow_id": -1 - n}):
            raise SystemExit("the broker refused a task")
        times.append((time.perf_counter() - began) * 1e6)
    app.control.purge()
    return times


def summary(times: list[float]) -> str:
    quartiles = statistics.quantiles(times, n=4)
    return f"median {quartiles[1]:7.0f} µs  (quartiles {quartiles[0]:.0f} to {quartiles[2]:.0f})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--likes", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("run it on PostgreSQL (DATABASE_URL=postgres://...)")

    prefix = f"ntf_{uuid.uuid4().hex[:6]}_"
    author = accounts(1, prefix + "author")[0]
    likers = accounts(options.likes, prefix)
    tweet = Tweet.objects.create(author=author, text="bench")
    add, remove = likes.notification_add, likes.notification_remove
    results = {True: ([], []), False: ([], [])}
    for _ in range(options.rounds):
        for notify in (True, False):
            likes.notification_add = add if notify else lambda **kwargs: None
            likes.notification_remove = remove if notify else lambda **kwargs: None
            liked, unliked = like_round(tweet, likers)
            results[notify][0].extend(liked)
            results[notify][1].extend(unliked)
    likes.notification_add, likes.notification_remove = add, remove
    assert not Notification.objects.filter(recipient=author).exists()

    print(f"{options.rounds} rounds of {options.likes:,} likes, load average {os.getloadavg()}")
    for notify in (True, False):
        label = "with notification   " if notify else "without notification"
        print(f"like   {label}: {summary(results[notify][0])}")
        print(f"unlike {label}: {summary(results[notify][1])}")
    for number, name in ((0, "like"), (1, "unlike")):
        extra = statistics.median(results[True][number]) - statistics.median(results[False][number])
        print(f"the notification adds {extra:.0f} µs to a {name} (difference of medians)")
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        print(f"send to the broker            : {summary(publish_cost(options.likes))}")


if __name__ == "__main__":
    main()
