"""Primary keys taken from a table's own sequence without a row."""

from django.db import connections, router, transaction
from django.db.models import Model


def pk_reserve(model: type[Model]) -> int:
    """The next value of ``model``'s auto-increment primary key, taken as an insert would take it
    and never given to a row: an answer that must look like a row just made (and not repeat the
    key of the next one) without making one. PostgreSQL's sequences keep it taken even when the
    caller's transaction rolls back; SQLite's ``AUTOINCREMENT`` counter rolls back with it."""
    connection = connections[router.db_for_write(model)]
    table, column = model._meta.db_table, model._meta.pk.column
    quoted, quoted_column = connection.ops.quote_name(table), connection.ops.quote_name(column)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s))", [quoted, column])
            return cursor.fetchone()[0]
    if connection.vendor != "sqlite":
        raise NotImplementedError(f"no key reservation for {connection.vendor}")
    # SQLite gives a new row max(counter, highest key) + 1 and records it as the counter; one
    # transaction, so that two reservations never read the same counter.
    highest = f"(SELECT COALESCE(MAX({quoted_column}), 0) FROM {quoted})"
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE sqlite_sequence SET seq = MAX(seq, {highest}) + 1 WHERE name = %s", [table]
        )
        if cursor.rowcount == 0:  # no row was ever inserted: no counter for the table yet
            cursor.execute(
                f"INSERT INTO sqlite_sequence (name, seq) SELECT %s, {highest} + 1", [table]
            )
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        return cursor.fetchone()[0]
