"""Read statements that PostgreSQL plans once per connection instead of on every run.

Planning is most of what a short statement costs PostgreSQL: the home timeline's ids took 0.3 ms
to plan and 0.08 ms to run. psycopg2 cannot keep a prepared statement through pgbouncer's
transaction pooling, but PL/pgSQL keeps the plans of the queries in a function for as long as the
server connection lives, whichever client it serves. So a ``PlannedStatement`` is, on PostgreSQL,
a function made by ``migrate`` (``install``, from ``post_migrate``) from the very text other
databases run as it is: one source for both. The function's name carries a digest of its
definition, so code always calls the function made from its own text; ``migrate`` after a deploy
makes the new one (functions of earlier code are left for processes still running it).
"""

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from functools import cached_property

from django.db import connections

_NAMED = re.compile(r"%\((\w+)\)s")


class PlannedStatement:
    """A read statement with named parameters (``%(name)s``) that PostgreSQL runs as a PL/pgSQL
    function, and other databases as it is.

    ``params`` maps each parameter to its PostgreSQL type, in the function's order, and
    ``returns`` each column to its type (the statement's columns must have exactly these types).
    ``statement(vendor)`` gives the statement's text for a database. An array parameter (a type
    ending in ``[]``) is given as a list, which other databases get as a JSON array (for
    SQLite's ``json_each``)."""

    def __init__(
        self,
        name: str,
        *,
        params: Mapping[str, str],
        returns: Mapping[str, str],
        statement: Callable[[str], str],
    ):
        self.name = name
        self.params = dict(params)
        self.returns = dict(returns)
        self.statement = statement

    @cached_property
    def function(self) -> tuple[str, str]:
        """The function's name and the statement that makes it."""
        positions = {name: f"${index}" for index, name in enumerate(self.params, start=1)}
        query = _NAMED.sub(lambda match: positions[match.group(1)], self.statement("postgresql"))
        arguments = ", ".join(self.params.values())
        columns = ", ".join(f"{column} {kind}" for column, kind in self.returns.items())
        signature = f"({arguments}) RETURNS TABLE({columns}) LANGUAGE plpgsql STABLE"
        # ``use_column``: a column named like a result column is the table's, never the result's.
        code = f"#variable_conflict use_column\nBEGIN\nRETURN QUERY {query};\nEND"
        digest = hashlib.blake2b(f"{signature}\n{code}".encode(), digest_size=5).hexdigest()
        name = f"minitter_{self.name}_{digest}"
        return name, f"CREATE OR REPLACE FUNCTION {name}{signature} AS $body${code}$body$"

    def fetchall(self, using: str, **values) -> list[tuple]:
        """The statement's rows for these parameter values, on database ``using``."""
        connection = connections[using]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                arguments = ", ".join(["%s"] * len(self.params))
                cursor.execute(
                    f"SELECT * FROM {self.function[0]}({arguments})",
                    [values[name] for name in self.params],
                )
            else:
                arrays = [name for name, kind in self.params.items() if kind.endswith("[]")]
                values.update({name: json.dumps(list(values[name])) for name in arrays})
                cursor.execute(self.statement(connection.vendor), values)
            return cursor.fetchall()

    def install(self, using: str) -> None:
        """Make the function on database ``using`` where it is PostgreSQL (``migrate`` does)."""
        connection = connections[using]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(self.function[1])
