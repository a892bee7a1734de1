"""A progress bar for long management commands, written to stderr (stdout stays for results)."""

import sys
import time


class ProgressBar:
    def __init__(self, stream=None, width: int = 30, enabled: bool = True):
        self.stream = stream or sys.stderr
        self.width = width
        self.enabled = enabled
        self.stage = None
        self.started = time.monotonic()

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        if stage != self.stage:
            if self.stage is not None:
                self.stream.write("\n")
            self.stage, self.started = stage, time.monotonic()
        filled = int(self.width * done / total) if total else self.width
        elapsed = time.monotonic() - self.started
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r{stage:>10} [{bar}] {done}/{total} {elapsed:6.1f}s")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.stage is not None:
            self.stream.write("\n")
