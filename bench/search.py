"""Search benchmark: server time of a newest-first page for terms of every frequency and script.

DATABASE_URL=postgres://… .venv/bin/python bench/search.py [--baseline]   (on a seed_demo database)

``--baseline`` also measures the first search (PostgreSQL's ``simple`` configuration over the text,
with its expression index, built for the run and dropped after) on the same data.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minitter.settings")

import django

django.setup()

from django.contrib.auth.models import AnonymousUser  # noqa: E402
from django.contrib.postgres.search import SearchQuery  # noqa: E402
from django.db import connection  # noqa: E402

from accounts.selectors import account_list  # noqa: E402
from core.search import SearchQuery as Terms  # noqa: E402
from tweets.models import Tweet, TweetSearchDocument  # noqa: E402
from tweets.search import (  # noqa: E402
    COMMON_MATCHES,
    SEARCH_CONFIG,
    text_search_index,
    text_search_vector,
)
from tweets.selectors import original_queryset, tweet_search  # noqa: E402

TERMS = [
    "coffee",
    "coffee deploy ocean",
    "오늘",
    "서울",
    "뮤지컬",
    "서울 날씨",
    '"커피를 마셨다"',
    "東京",
    "北京",
    "zzzunknownword",
]
BASELINE_TERMS = ["coffee", "coffee deploy ocean", "서울", "zzzunknownword"]
ACCOUNT_TERMS = ["서연", "김", "demo_00012", "alex"]


def server_ms(queryset, runs: int = 5) -> float:
    """Median of PostgreSQL's planning + execution time for the queryset's SQL."""
    sql, params = queryset.query.sql_with_params()
    times = []
    with connection.cursor() as cursor:
        for _ in range(runs):
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
            plan = cursor.fetchone()[0][0]
            times.append(plan["Planning Time"] + plan["Execution Time"])
    return statistics.median(times)


def relation_size(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_relation_size(%s))", [name])
        return cursor.fetchone()[0]


def baseline_page(term: str):
    query = SearchQuery(term, config=SEARCH_CONFIG, search_type="websearch")
    matches = Tweet.objects.annotate(v=text_search_vector()).filter(v=query).values("pk")
    return original_queryset(viewer=AnonymousUser()).filter(pk__in=matches[: 2**62])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline", action="store_true")
    options = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run this against PostgreSQL (DATABASE_URL=postgres://…).")
    anonymous = AnonymousUser()
    print(f"tweets: {Tweet.objects.count():,}")
    print("server ms, median of 5: the probe that picks the plan, then the page of 20")
    print(f"{'terms':<24} {'matches':>8} {'probe':>8} {'page':>8}")
    for term in TERMS:
        matches = tweet_search(viewer=anonymous, text=term)
        page = matches.order_by("-pk")[:21]
        terms = Terms.parse(term)
        probe = TweetSearchDocument.objects.filter(terms.q("document", vendor="postgresql"))
        probe_ms = server_ms(probe.values("tweet_id")[:COMMON_MATCHES])
        print(f"{term:<24} {matches.count():>8} {probe_ms:>8.1f} {server_ms(page):>8.1f}")
    print("\naccounts")
    for term in ACCOUNT_TERMS:
        matches = account_list(search=term)
        page = matches.order_by("-pk")[:21]
        print(f"{term:<24} {matches.count():>8} {server_ms(page):>30.1f}")
    print("\nsizes")
    for name in ["tweets_tweet", "tweets_tweetsearchdocument", "tweet_search_document"]:
        print(f"{name:<32} {relation_size(name):>10}")
    print(f"{'account_search_document':<32} {relation_size('account_search_document'):>10}")

    if options.baseline:
        index = text_search_index()
        started = time.monotonic()
        with connection.schema_editor(atomic=False) as editor:
            editor.add_index(Tweet, index, concurrently=True)
        built = time.monotonic() - started
        print(f"\nbaseline: expression index built in {built:.0f} s, {relation_size(index.name)}")
        try:
            for term in BASELINE_TERMS:
                page = baseline_page(term)
                count = page.count()
                print(f"{term:<24} {count:>8} {server_ms(page.order_by('-pk')[:21]):>30.1f}")
        finally:
            with connection.schema_editor(atomic=False) as editor:
                editor.remove_index(Tweet, index, concurrently=True)


if __name__ == "__main__":
    main()
