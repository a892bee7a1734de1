"""Walking a big table in primary-key ranges, for commands and migrations that work in short
transactions."""

from collections.abc import Iterator

from django.db import transaction
from django.db.models import QuerySet


def pk_ranges(rows: QuerySet, size: int) -> Iterator[tuple[object, object | None]]:
    """Consecutive ``(first, last)`` primary-key ranges of ``size`` of ``rows`` each (``last``
    None: to the end), found by walking the primary-key index one range at a time, never by
    reading every key at once. Rows added behind the walk are in no range; ahead of it, in one."""
    keys = rows.order_by("pk").values_list("pk", flat=True)
    first = keys.first()
    while first is not None:
        last = next(iter(keys.filter(pk__gte=first)[size - 1 : size]), None)
        yield first, last
        first = None if last is None else keys.filter(pk__gt=last).first()


def in_range(rows: QuerySet, first, last) -> QuerySet:
    """The rows of ``rows`` in a range from ``pk_ranges``."""
    rows = rows.filter(pk__gte=first)
    return rows if last is None else rows.filter(pk__lte=last)


def update_in_id_ranges(schema_editor, table: str, statement: str, size: int = 1000) -> None:
    """Run ``statement``, an UPDATE of ``table`` whose conditions end in ``id >= %s AND id < %s``,
    over the table's ids in ranges of ``size``, each in a transaction of its own: a migration's
    backfill (in a migration that is not atomic) beside the writes of the release still serving.
    ``table`` and ``statement`` are the migration's own text, never user input."""
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MIN(id), MAX(id) FROM {table}")
        low, high = cursor.fetchone()
    if low is None:
        return
    for first in range(low, high + 1, size):
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute(statement, [first, first + size])
