"""``core.db.retries``: a write PostgreSQL aborted to break a deadlock is run again, only when it
opened the transaction itself (the races themselves: ``tweets/tests/test_suspension_races.py``)."""

import pytest
from django.db import OperationalError, transaction

from core.db import retries
from core.testing.races import aborted

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_backoff(monkeypatch):
    monkeypatch.setattr(retries, "BACKOFF_SECONDS", 0)


def failing_write(pgcode: str, failures: int, calls: list):
    @retries.deadlock_retried
    def write():
        calls.append(pgcode)
        if len(calls) <= failures:
            raise aborted(pgcode)
        return "done"

    return write


def test_a_write_aborted_by_a_deadlock_is_run_again_until_it_goes_through(no_backoff):
    calls = []
    assert failing_write("40P01", retries.ATTEMPTS - 1, calls)() == "done"
    assert len(calls) == retries.ATTEMPTS


def test_a_write_aborted_every_time_gives_up_after_its_attempts(no_backoff):
    calls = []
    with pytest.raises(OperationalError):
        failing_write("40P01", retries.ATTEMPTS, calls)()
    assert len(calls) == retries.ATTEMPTS


def test_other_database_errors_are_not_run_again(no_backoff):
    calls = []
    with pytest.raises(OperationalError):
        failing_write("57014", 1, calls)()  # a statement timeout: the database is struggling
    assert len(calls) == 1


def test_a_write_inside_the_callers_transaction_is_not_run_again(no_backoff):
    calls = []
    with pytest.raises(OperationalError), transaction.atomic():
        failing_write("40P01", 1, calls)()
    assert len(calls) == 1
