"""Full-text search benchmark: server time of a newest-first page for terms of every frequency.

DATABASE_URL=postgres://… .venv/bin/python bench/search.py     (on a seed_demo database)
"""

import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minitter.settings")

import django

django.setup()

from django.contrib.auth.models import AnonymousUser  # noqa: E402
from django.db import connection  # noqa: E402

from tweets.selectors import tweet_search  # noqa: E402

TERMS = ["coffee", "서울 고양이", "coffee deploy ocean", "zzzunknownword"]


def main():
    if connection.vendor != "postgresql":
        sys.exit("Run this against PostgreSQL (DATABASE_URL=postgres://…).")
    print(f"{'terms':<22} {'matches':>8} {'page of 20, ms (median of 10)':>30}")
    for term in TERMS:
        matches = tweet_search(viewer=AnonymousUser(), text=term)
        page = matches.order_by("-pk")[:21]
        sql, params = page.query.sql_with_params()
        times = []
        with connection.cursor() as cursor:
            for _ in range(10):
                cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
                plan = cursor.fetchone()[0][0]
                times.append(plan["Planning Time"] + plan["Execution Time"])
        print(f"{term:<22} {matches.count():>8} {statistics.median(times):>30.1f}")


if __name__ == "__main__":
    main()
