"""A progress bar for long runs: replications done of all, with the time left.

Shown only on a terminal, and only once a run has lasted ``delay`` seconds, so quick runs
and piped or logged output stay clean.
"""

from __future__ import annotations

import time
from typing import Callable, TextIO

BAR_WIDTH = 24


def format_duration(seconds: float) -> str:
    """0:07, 1:05:09: short, and wide enough for any run."""
    s = int(round(max(0.0, seconds)))
    hours, rest = divmod(s, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class ProgressBar:
    """Counts finished replications over one or more experiments and draws one line."""

    def __init__(
        self,
        total: int,
        stream: TextIO,
        label: str = "replications",
        delay: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total = total
        self.stream = stream
        self.label = label
        self.delay = delay
        self.clock = clock
        self.started = clock()
        self.done = 0
        self.shown = False

    def advance(self, count: int = 1) -> None:
        """Record ``count`` more finished replications and redraw if it is time to show."""
        self.done = min(self.total, self.done + count)
        elapsed = self.clock() - self.started
        if elapsed < self.delay and not self.shown:
            return
        self.shown = True
        self.stream.write("\r" + self.line(elapsed))
        if self.done == self.total:
            self.stream.write("\n")
        self.stream.flush()

    def line(self, elapsed: float) -> str:
        """The bar, the count and the estimated time left (from the mean time so far)."""
        filled = int(BAR_WIDTH * self.done / self.total) if self.total else BAR_WIDTH
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        if self.done == self.total:
            timing = f"done in {format_duration(elapsed)}"
        elif self.done:
            timing = f"ETA {format_duration(elapsed / self.done * (self.total - self.done))}"
        else:
            timing = "ETA --:--"
        return f"{self.label} [{bar}] {self.done}/{self.total}  {timing}"

    def callback(self) -> Callable[[int, int], None]:
        """A run_experiment progress callback that advances this bar by one per replication."""
        return lambda done, total: self.advance()
