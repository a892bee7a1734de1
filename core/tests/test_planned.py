"""Statements PostgreSQL plans once per connection (core/db/planned.py): the same text runs as a
PL/pgSQL function on PostgreSQL and as it is elsewhere."""

from contextlib import nullcontext

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, transaction
from django.test.utils import CaptureQueriesContext

from core.db import planned
from core.db.planned import PlannedStatement

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _statements_of_the_test_only(monkeypatch):
    """The statements made here are not the project's: ``migrate`` (a flush) never makes them."""
    monkeypatch.setattr(planned, "_statements", list(planned._statements))


on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="functions are made on PostgreSQL only"
)


def sums(statement: str) -> PlannedStatement:
    return PlannedStatement(
        "test_sum",
        params={"first": "bigint", "second": "bigint", "count": "integer"},
        returns={"total": "bigint"},
        statement=lambda vendor: statement,
    )


SUMS = "SELECT CAST(%(first)s + %(second)s * n AS bigint) AS total FROM ({rows}) numbers"
ROWS = "SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3"


def test_named_parameters_are_given_their_values_in_any_order():
    statement = sums(SUMS.format(rows=ROWS) + " WHERE n <= %(count)s ORDER BY n")
    statement.install(DEFAULT_DB_ALIAS)
    rows = statement.fetchall(DEFAULT_DB_ALIAS, count=2, second=10, first=1)
    assert rows == [(11,), (21,)]


@on_postgresql
def test_on_postgresql_the_statement_is_a_function_made_by_install():
    statement = sums(SUMS.format(rows=ROWS) + " WHERE n <= %(count)s")

    def sources() -> list[str]:
        with connection.cursor() as cursor:
            found = "SELECT prosrc FROM pg_proc WHERE proname = %s"
            cursor.execute(found, [statement.function_name])
            return [source for (source,) in cursor.fetchall()]

    assert sources() == []
    statement.install(DEFAULT_DB_ALIAS)
    [source] = sources()
    assert "RETURN QUERY SELECT CAST($1 + $2 * n AS bigint)" in source
    with CaptureQueriesContext(connection) as queries:
        assert statement.fetchall(DEFAULT_DB_ALIAS, first=1, second=1, count=1) == [(2,)]
    assert [query["sql"] for query in queries.captured_queries] == [
        f"SELECT * FROM {statement.function_name}(1, 1, 1)"
    ]


def test_a_changed_statement_is_another_function():
    """Code always calls the function made from its own text: a deploy whose statement changed
    needs ``migrate``, and processes still running the old code keep theirs."""
    first = sums(SUMS.format(rows=ROWS) + " WHERE n <= %(count)s")
    second = sums(SUMS.format(rows=ROWS) + " WHERE n < %(count)s")
    assert first.function_name != second.function_name
    assert first.function_name.startswith("minitter_test_sum_")


@on_postgresql
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("in_transaction", [False, True], ids=["alone", "in a transaction"])
def test_a_missing_function_runs_the_statement_as_written_and_says_so(
    caplog, monkeypatch, in_transaction
):
    """``migrate`` not run after a deploy, or a database restored from before it: slower, not
    down; said once a minute, not on every call."""
    monkeypatch.setattr(planned, "_reported", {})
    statement = sums(SUMS.format(rows=ROWS) + " WHERE n = %(count)s")
    with transaction.atomic() if in_transaction else nullcontext():
        for _ in range(2):
            assert statement.fetchall(DEFAULT_DB_ALIAS, first=1, second=2, count=3) == [(7,)]
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")  # the transaction goes on
    assert caplog.text.count(f"the function {statement.function_name} is missing") == 1


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_in_a_transaction_only_calls_before_the_function_was_found_take_a_savepoint(monkeypatch):
    monkeypatch.setattr(planned, "_found", set())
    statement = sums(SUMS.format(rows=ROWS) + " WHERE n = 1 AND %(count)s = %(count)s")
    statement.install(DEFAULT_DB_ALIAS)
    calls = []
    with transaction.atomic():
        for _ in range(2):
            with CaptureQueriesContext(connection) as queries:
                statement.fetchall(DEFAULT_DB_ALIAS, first=1, second=1, count=1)
            calls.append([query["sql"].split()[0] for query in queries.captured_queries])
    assert calls == [["SAVEPOINT", "SELECT", "RELEASE"], ["SELECT"]]
