"""Race tests: the same moment's requests from several threads, each with its own database
connection (PostgreSQL, ``django_db(transaction=True)``), and the checks that follow them."""

import threading
import time
from collections.abc import Callable

import pytest
from django.db import OperationalError, connection, connections
from prometheus_client import REGISTRY

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="row locks and concurrent transactions need PostgreSQL",
)

race_tests = [
    pytest.mark.django_db(transaction=True),
    postgres_only,
    pytest.mark.usefixtures("rate_limits_lifted"),
]
"""The marks of a module of race tests (``pytestmark = race_tests``): committed transactions on
PostgreSQL, rate limits lifted (the ``rate_limits_lifted`` fixture, ``lift_rate_limits``)."""


def aborted(pgcode: str = "40P01") -> OperationalError:
    """An ``OperationalError`` as Django raises it from psycopg2's, with its SQLSTATE (by default,
    a transaction PostgreSQL aborted to break a deadlock)."""

    class DriverError(Exception):
        pass

    cause = DriverError("aborted")
    cause.pgcode = pgcode
    error = OperationalError("aborted")
    error.__cause__ = cause
    return error


def race(*actions: Callable[[], object], timeout: float = 60) -> list[object]:
    """Start every action in its own thread, release them together, and return what each
    returned (or the exception it raised), in order."""
    barrier = threading.Barrier(len(actions))
    results: list[object] = [None] * len(actions)

    def run(index: int, action: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout)
            results[index] = action()
        except BaseException as exc:  # reported to the test, which decides
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return results


def statuses(responses: list) -> list[int]:
    """Status codes of ``race`` results that are responses; an exception fails the test."""
    for response in responses:
        if isinstance(response, BaseException):
            raise response
    return [response.status_code for response in responses]


def lift_rate_limits(settings) -> None:
    """Races send many writes per user at once; the per-user limits are not what they test."""
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {scope: "100000/min" for scope in rates},
    }


def pause_in(monkeypatch, module, name: str, *, before: bool = False, first_only: bool = False):
    """Make ``module.name`` stop (before the real call, or after it) until the test lets it go
    on: returns (``paused``, set when it stops; ``resume``, to set to let it go on). With
    ``first_only``, only its first call stops; the others run through."""
    real, paused, resume = getattr(module, name), threading.Event(), threading.Event()

    def stop() -> None:
        if not (first_only and paused.is_set()):
            paused.set()
            resume.wait(10)

    def pausing(*args, **kwargs):
        if before:
            stop()
        result = real(*args, **kwargs)
        if not before:
            stop()
        return result

    monkeypatch.setattr(module, name, pausing)
    return paused, resume


def run_while_held(held, other, paused, resume, *, during=lambda: None) -> list[Exception]:
    """Run ``held`` in a thread until it stops (``paused``), then ``other`` in another, give that
    half a second to reach the rows ``held`` locks (``during`` checks that moment), and let
    ``held`` go on. Returns what either raised (a deadlock aborts one of the two)."""
    failures = []

    def run(call):
        def body():
            try:
                call()
            except Exception as exc:
                failures.append(exc)
            finally:
                connection.close()

        return body

    threads = [threading.Thread(target=run(call)) for call in (held, other)]
    threads[0].start()
    try:
        assert paused.wait(10)
        threads[1].start()
        time.sleep(0.5)
        during()
    finally:
        resume.set()
        for thread in threads:
            if thread.ident is not None:
                thread.join(30)
    return failures


def run_while_held_until_done(held, other, paused, resume) -> list[Exception]:
    """As ``run_while_held``, but ``held`` goes on only once ``other`` has finished (within 30 s):
    for an ``other`` that waits for nothing ``held`` holds, whatever the machine's load."""
    done = threading.Event()

    def other_then_done():
        try:
            other()
        finally:
            done.set()

    return run_while_held(held, other_then_done, paused, resume, during=lambda: done.wait(30))


def abort_call(monkeypatch, owner, name: str, *, at: int = 1) -> list:
    """Make the ``at``-th call of ``owner.name`` from now fail as a transaction PostgreSQL aborted
    to break a deadlock (``aborted()``); the others run. Returns the list of calls, which grows
    with each."""
    real, calls = getattr(owner, name), []

    def aborted_once(*args, **kwargs):
        calls.append(name)
        if len(calls) == at:
            raise aborted()
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, aborted_once)
    return calls


def lock_waits() -> int:
    """Sessions of this database waiting for a lock now (PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return cursor.fetchone()[0]


def wait_until(condition: Callable[[], bool], seconds: float = 10, every: float = 0.05) -> None:
    """Poll ``condition`` (with its own connection) until it holds; fail after ``seconds``."""
    limit = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < limit, "the other write never got there"
        time.sleep(every)


def deadlock_retries() -> float:
    """Transactions run again so far after PostgreSQL aborted them to break a deadlock."""
    sample = REGISTRY.get_sample_value(
        "minitter_db_transaction_retries_total", {"sqlstate": "40P01"}
    )
    return sample or 0.0
