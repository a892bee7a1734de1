"""Race tests: the same moment's requests from several threads, each with its own database
connection (PostgreSQL, ``django_db(transaction=True)``), and the checks that follow them."""

import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="row locks and concurrent transactions need PostgreSQL",
)


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
