"""Primary keys reserved without a row (``core.db.keys.pk_reserve``)."""

import pytest
from django.db import connection

from core.db.keys import pk_reserve
from core.models import IdempotencyKey

pytestmark = pytest.mark.django_db


def test_reserved_keys_are_never_given_to_a_row_made_after_them():
    first = pk_reserve(IdempotencyKey)  # SQLite: no counter for the table yet
    second = pk_reserve(IdempotencyKey)
    row = IdempotencyKey.objects.create(user_id=1, key="k", fingerprint="f", status=0)
    assert first < second < row.pk
    assert pk_reserve(IdempotencyKey) > row.pk


def test_a_table_with_rows_but_no_counter_reserves_past_its_highest_key():
    rows = [
        IdempotencyKey.objects.create(user_id=1, key=f"k{n}", fingerprint="f", status=0)
        for n in range(3)
    ]
    if connection.vendor == "sqlite":  # a counter lost (or a table copied in): rows, no counter
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM sqlite_sequence WHERE name = %s", [IdempotencyKey._meta.db_table]
            )
    assert pk_reserve(IdempotencyKey) > rows[-1].pk
