"""The command progress bar: steady, cheap to redraw, and honest about the time left."""

import io

from core import progress as progress_module
from core.progress import ProgressBar


def test_bar_shows_share_note_and_time_left_and_redraws_at_most_every_interval(monkeypatch):
    clock = iter([0.0, 0.0, 1.0, 1.05, 2.0, 2.0, 3.0])
    monkeypatch.setattr(progress_module.time, "monotonic", lambda: next(clock))
    stream = io.StringIO()
    bar = ProgressBar(stream=stream, width=10)  # reads the clock once
    bar("timelines", 0, 100, note="0/4 accounts")  # t=0: stage starts, drawn
    bar("timelines", 25, 100, note="1/4 accounts")  # t=1: drawn
    bar("timelines", 30, 100, note="2/4 accounts")  # t=1.05: too soon, skipped
    bar("timelines", 50, 100, note="3/4 accounts")  # t=2: drawn
    bar("timelines", 100, 100, note="4/4 accounts")  # t=2: the end is always drawn
    bar.close()
    lines = [line.rstrip() for line in stream.getvalue().split("\r") if line.strip()]
    assert len(lines) == 4
    assert "2/4 accounts" not in stream.getvalue()
    assert lines[1] == " timelines [##--------]  25% 1/4 accounts  1s, about 3s left"
    assert lines[2] == " timelines [#####-----]  50% 3/4 accounts  2s, about 2s left"
    assert lines[3] == " timelines [##########] 100% 4/4 accounts  2s"


def test_without_a_note_the_counts_are_shown(monkeypatch):
    stream = io.StringIO()
    bar = ProgressBar(stream=stream)
    bar("documents", 1500, 3000)
    assert "1,500/3,000" in stream.getvalue()
    assert ProgressBar(stream=io.StringIO(), enabled=False)("x", 1, 2) is None
