"""A progress bar for long management commands, written to stderr (stdout stays for results).

``progress(stage, done, total)`` after each step. For the bar to move at a steady pace, count
``done`` and ``total`` in units that cost about the same (rows written, follows scanned), not in
items of very different cost; ``note`` then says what is done in the words people count
("1,234/10,000 accounts"). The line shows the time spent on the stage and an estimate of the time
left, and is redrawn at most every ``REDRAW_SECONDS`` (and always at the end of a stage), so a
million small steps cost nothing to show.
"""

import sys
import time


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"


class ProgressBar:
    REDRAW_SECONDS = 0.2

    def __init__(self, stream=None, width: int = 30, enabled: bool = True):
        self.stream = stream or sys.stderr
        self.width = width
        self.enabled = enabled
        self.stage = None
        self.started = self.drawn = time.monotonic()

    def __call__(self, stage: str, done: int, total: int, note: str = "") -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if stage != self.stage:
            if self.stage is not None:
                self.stream.write("\n")
            self.stage, self.started = stage, now
        elif done < total and now - self.drawn < self.REDRAW_SECONDS:
            return
        self.drawn = now
        fraction = min(done / total, 1.0) if total else 1.0
        filled = int(self.width * fraction)
        elapsed = now - self.started
        left = elapsed * (1 - fraction) / fraction if 0 < fraction < 1 else 0.0
        bar = "#" * filled + "-" * (self.width - filled)
        counted = note or f"{done:,}/{total:,}"
        timing = (
            f"{_duration(elapsed)}, about {_duration(left)} left" if left else _duration(elapsed)
        )
        line = f"{stage:>10} [{bar}] {fraction:4.0%} {counted}  {timing}"
        self.stream.write(f"\r{line:<100}")  # padded: a shorter line overwrites a longer one
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.stage is not None:
            self.stream.write("\n")
