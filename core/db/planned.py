"""Read statements that PostgreSQL plans once per connection instead of on every run.

Planning is most of what a short statement costs PostgreSQL: the home timeline's ids took 0.3 ms
to plan and 0.08 ms to run. psycopg2 cannot keep a prepared statement through pgbouncer's
transaction pooling, but PL/pgSQL keeps the plans of the queries in a function for as long as the
server connection lives, whichever client it serves. So a ``PlannedStatement`` is, on PostgreSQL,
a function that ``migrate`` makes (``install_all``, from ``post_migrate``) from the very text
other databases run as it is: one source for both. Every statement made registers itself; the
app that defines some imports their module when it is ready, so that ``migrate`` knows them.

The function's name carries a digest of its definition, so code always calls the function made
from its own text; ``migrate`` after a deploy makes the new one (functions of earlier code are
left for processes still running it). Where the function is missing all the same (``migrate``
not run, a database restored from before the deploy), the statement runs as written, planned on
every run, and an error is logged: slower, never down.
"""

import hashlib
import json
import logging
import re
import time
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from functools import cached_property

from django.db import ProgrammingError, connections, transaction

from core.db import in_own_transaction

logger = logging.getLogger(__name__)

_NAMED = re.compile(r"%\((\w+)\)s")
UNDEFINED_FUNCTION = "42883"  # PostgreSQL's SQLSTATE

_statements: list["PlannedStatement"] = []
REPORT_SECONDS = 60
_reported: dict[str, float] = {}  # missing functions, by when this process last said so
_found: set[str] = set()  # functions this process has called


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
        _statements.append(self)

    @cached_property
    def _definition(self) -> tuple[str, str]:
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

    @property
    def function_name(self) -> str:
        """The PostgreSQL function's name: the statement's, with a digest of its definition."""
        return self._definition[0]

    @property
    def create_function_sql(self) -> str:
        return self._definition[1]

    def fetchall(self, using: str, **values) -> list[tuple]:
        """The statement's rows for these parameter values, on database ``using``."""
        connection = connections[using]
        if connection.vendor != "postgresql":
            arrays = [name for name, kind in self.params.items() if kind.endswith("[]")]
            values.update({name: json.dumps(list(values[name])) for name in arrays})
            return self._run(connection, self.statement(connection.vendor), values)
        arguments = ", ".join(["%s"] * len(self.params))
        call = f"SELECT * FROM {self.function_name}({arguments})"
        # In a transaction of the caller's, a savepoint keeps a failed call from ending it, until
        # a call has found the function (``migrate`` adds functions and never drops one).
        unsure = self.function_name not in _found and in_own_transaction(using)
        try:
            with transaction.atomic(using) if unsure else nullcontext():
                rows = self._run(connection, call, [values[name] for name in self.params])
        except ProgrammingError as error:
            if getattr(error.__cause__, "pgcode", None) != UNDEFINED_FUNCTION:
                raise
        else:
            _found.add(self.function_name)
            return rows
        self._report_missing()
        return self._run(connection, self.statement(connection.vendor), values)

    def _report_missing(self) -> None:
        """Log the missing function, at most once a minute per process."""
        now = time.monotonic()
        if now - _reported.get(self.function_name, -REPORT_SECONDS) >= REPORT_SECONDS:
            _reported[self.function_name] = now
            logger.error(
                "the function %s is missing (run `manage.py migrate`): its statement runs as "
                "written",
                self.function_name,
            )

    @staticmethod
    def _run(connection, sql: str, params) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def install(self, using: str) -> None:
        """Make the function on database ``using`` where it is PostgreSQL."""
        connection = connections[using]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(self.create_function_sql)


def install_all(using: str, **kwargs) -> None:
    """Make the functions of every statement on database ``using``: after every ``migrate`` (and
    ``flush``)."""
    for statement in _statements:
        statement.install(using)
