"""A one-line progress display on standard error: done/total, rate, time left.

It draws nothing for work that finishes within ``delay`` seconds, redraws at most ten times a
second, and writes plain lines (no carriage returns) when standard error is not a terminal, so
CI logs stay readable.
"""

from __future__ import annotations

import sys
import time


def _clock(seconds: float) -> str:
    seconds = round(seconds)
    return f"{seconds // 60:d}:{seconds % 60:02d}"


class Progress:
    """``with Progress(total, "training") as bar: bar.update(n, loss=...)``."""

    def __init__(self, total: int, label: str = "", delay: float = 1.0, stream=None,
                 unit: str = "it"):
        self.total, self.label, self.delay, self.unit = total, label, delay, unit
        self.stream = sys.stderr if stream is None else stream
        self.done = 0
        self.start = time.monotonic()
        self._last_draw = 0.0
        self._drawn = False
        self._tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self._drawn:
            self.draw(final=True)
        return False

    def update(self, n: int = 1, **info) -> None:
        self.done += n
        self.info = info
        now = time.monotonic()
        elapsed = now - self.start
        interval = 0.1 if self._tty else 5.0
        if elapsed >= self.delay and (now - self._last_draw >= interval or self.done >= self.total):
            self.draw()

    def draw(self, final: bool = False) -> None:
        elapsed = time.monotonic() - self.start
        rate = self.done / elapsed if elapsed > 0 else 0.0
        left = (self.total - self.done) / rate if rate > 0 else 0.0
        extras = " ".join(f"{k} {v}" for k, v in getattr(self, "info", {}).items())
        line = (f"{self.label} {self.done}/{self.total} {self.unit} [{_clock(elapsed)} elapsed, "
                f"{_clock(left)} left, {rate:.1f} {self.unit}/s] {extras}")
        if self._tty:
            self.stream.write("\r" + line.rstrip() + ("\n" if final else ""))
        else:
            self.stream.write(line.rstrip() + "\n")
        self.stream.flush()
        self._drawn = True
        self._last_draw = time.monotonic()
