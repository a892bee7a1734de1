"""Primary keys taken from a table's own sequence without a row."""

from django.db import connections, router
from django.db.models import Model


def pk_reserve(model: type[Model]) -> int:
    """The next value of ``model``'s auto-increment primary key, taken as an insert would take it
    and never given to a row: an answer that must look like a row just made (and not repeat the
    key of the next one) without making one. PostgreSQL's sequences keep it taken even when the
    caller's transaction rolls back; SQLite's ``AUTOINCREMENT`` counter rolls back with it."""
    connection = connections[router.db_for_write(model)]
    table = model._meta.db_table
    column = model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s))", [table, column])
            return cursor.fetchone()[0]
        quoted, quoted_column = connection.ops.quote_name(table), connection.ops.quote_name(column)
        highest = f"(SELECT COALESCE(MAX({quoted_column}), 0) FROM {quoted})"
        cursor.execute(
            f"UPDATE sqlite_sequence SET seq = MAX(seq, {highest}) + 1 WHERE name = %s "
            "RETURNING seq",
            [table],
        )
        row = cursor.fetchone()
        if row is None:  # no row was ever inserted: SQLite has no counter for the table yet
            cursor.execute(
                f"INSERT INTO sqlite_sequence (name, seq) SELECT %s, {highest} + 1 RETURNING seq",
                [table],
            )
            row = cursor.fetchone()
        return row[0]
