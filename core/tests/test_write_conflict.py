"""Which integrity errors are write conflicts (a 409) and which stay bugs (a 500)."""

import pytest
from django.db import IntegrityError, transaction

from accounts.models import User
from accounts.tests.factories import UserFactory
from core.exceptions import is_write_conflict

pytestmark = pytest.mark.django_db


def integrity_error(write) -> IntegrityError:
    with pytest.raises(IntegrityError) as raised, transaction.atomic():
        write()
    return raised.value


def test_a_unique_row_made_first_by_another_write_is_a_conflict():
    taken = UserFactory()
    error = integrity_error(lambda: User.objects.create(username=taken.username, email="x@x.x"))
    assert is_write_conflict(error)


def test_a_column_left_empty_is_no_conflict_but_a_bug():
    account = UserFactory()
    error = integrity_error(lambda: User.objects.filter(pk=account.pk).update(username=None))
    assert not is_write_conflict(error)
    assert not is_write_conflict(ValueError("not a database error"))
