"""Pieces of the statements the project writes out by hand (where the ORM took longer to build a
statement than the database to answer it, or has no word for the lock): a list of parameters,
and row locks where the database has them."""

from collections.abc import Collection


def placeholders(values: Collection) -> str:
    """``%s, %s, …``: one parameter for each of ``values``, for ``IN (…)``."""
    return ", ".join(["%s"] * len(values))


def row_lock(connection, *, no_key: bool = False) -> str:
    """`` FOR UPDATE`` (``FOR NO KEY UPDATE`` with ``no_key``: the lock a row's foreign keys do
    not conflict with) where the database locks rows; nothing on SQLite, whose transactions lock
    the whole database on their first write."""
    if not connection.features.has_select_for_update:
        return ""
    return f" {connection.ops.for_update_sql(no_key=no_key)}"


def share_lock(connection) -> str:
    """`` FOR SHARE`` where the database locks rows: many transactions hold it on a row at once,
    and a change of the row (or an update lock on it) waits for all of them, as they wait for
    it. Nothing on SQLite."""
    if not connection.features.has_select_for_update:
        return ""
    return " FOR SHARE"


def key_share_lock(connection) -> str:
    """`` FOR KEY SHARE`` on PostgreSQL: the lock a foreign key takes on the row it refers to
    (the row cannot be deleted, or its key changed, until the transaction ends; any other change
    goes on). Nothing elsewhere."""
    return " FOR KEY SHARE" if connection.vendor == "postgresql" else ""
