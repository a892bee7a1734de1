"""The pieces of hand-written statements: parameter lists, and row locks where the database has
them."""

import pytest
from django.db import connection

from core.sql import placeholders, row_lock, share_lock


def test_placeholders_name_one_parameter_per_value():
    assert placeholders([7]) == "%s"
    assert placeholders({1, 2, 3}) == "%s, %s, %s"


@pytest.mark.django_db
def test_row_lock_is_what_the_database_supports():
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1{row_lock(connection)}")  # valid on this database
        cursor.execute(f"SELECT 1{row_lock(connection, no_key=True)}")
        cursor.execute(f"SELECT 1{share_lock(connection)}")
    locks = (row_lock(connection), row_lock(connection, no_key=True), share_lock(connection))
    if connection.vendor == "postgresql":
        assert locks == (" FOR UPDATE", " FOR NO KEY UPDATE", " FOR SHARE")
    else:
        assert locks == ("", "", "")
