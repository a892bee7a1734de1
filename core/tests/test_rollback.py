"""Work outside the database undone when its transaction rolls back (``core.db.rollback``)."""

import pytest

from core.db.rollback import on_rollback, undone_if_rolled_back


def test_undoing_runs_newest_first_only_when_the_block_ends_by_an_exception():
    undone = []
    with undone_if_rolled_back():
        on_rollback(lambda: undone.append("kept"))
    assert undone == []
    with pytest.raises(RuntimeError), undone_if_rolled_back():
        on_rollback(lambda: undone.append("first"))
        on_rollback(lambda: undone.append("second"))
        raise RuntimeError("rolled back")
    assert undone == ["second", "first"]


def test_outside_a_block_nothing_is_registered_and_a_failing_undo_keeps_the_error(caplog):
    on_rollback(lambda: pytest.fail("no block owns this"))
    with pytest.raises(RuntimeError, match="rolled back"), undone_if_rolled_back():
        on_rollback(lambda: 1 / 0)
        raise RuntimeError("rolled back")
    assert "could not undo" in caplog.text
