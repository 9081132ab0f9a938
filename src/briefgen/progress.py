"""Progress for long commands: a Rich bar on a terminal, plain dated lines anywhere else (a
nightly job's log), both on stderr so that stdout stays the command's result."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.progress import Progress as RichProgress
from rich.text import Text

# A log gets a line at most this often (and always the first and the last).
LOG_EVERY_S = 2.0


class _Rate(ProgressColumn):
    def __init__(self, unit: str) -> None:
        super().__init__()
        self.unit = unit

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:.1f} {self.unit}/s" if speed else "", style="progress.data.speed")


class Progress:
    """Counts work done against a total (None: unknown), with named extra counters."""

    def __init__(self, label: str, total: int | None, unit: str, stream: TextIO, terminal: bool) -> None:
        self.label = label
        self.total = total
        self.unit = unit
        self.done = 0
        self.counters: dict[str, int] = {}
        self.detail = ""
        self._stream = stream
        self._started = time.monotonic()
        self._last_line = 0.0
        self._rich: RichProgress | None = None
        if terminal:
            self._rich = RichProgress(
                SpinnerColumn(),
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn(unit),
                TextColumn("{task.fields[extra]}"),
                _Rate(unit),
                TimeRemainingColumn() if total is not None else TimeElapsedColumn(),
                TextColumn("[dim]{task.fields[detail]}"),
                console=Console(file=stream),
                transient=False,
            )
            self._task = self._rich.add_task(label, total=total, extra="", detail="")

    def _extra(self) -> str:
        return " ".join(f"· {v} {k}" for k, v in self.counters.items())

    def stage(self, label: str, total: int | None = None) -> None:
        """Start another step of the same command (e.g. downloading, then assembling)."""
        self.label, self.total, self.done = label, total, 0
        self._started = time.monotonic()
        if self._rich is not None:
            self._rich.reset(self._task, total=total, description=label)
        else:
            self._line(force=True)

    def set_total(self, total: int) -> None:
        if total == self.total:
            return
        self.total = total
        if self._rich is not None:
            self._rich.update(self._task, total=total)

    def advance(self, n: int = 1, detail: str = "", **counters: int) -> None:
        self.done += n
        self.detail = detail
        for key, value in counters.items():
            self.counters[key] = self.counters.get(key, 0) + value
        if self._rich is not None:
            self._rich.update(self._task, advance=n, extra=self._extra(), detail=detail[-40:])
        else:
            self._line(force=self.done == 1 or self.done == self.total)

    def _line(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_line < LOG_EVERY_S:
            return
        self._last_line = now
        elapsed = now - self._started
        count = f"{self.done}/{self.total}" if self.total is not None else str(self.done)
        parts = [f"{count} {self.unit}"]
        if self.counters:
            parts.append(", ".join(f"{v} {k}" for k, v in self.counters.items()))
        if elapsed > 0 and self.done:
            rate = self.done / elapsed
            parts.append(f"{rate:.1f} {self.unit}/s")
            if self.total is not None and self.done < self.total:
                parts.append(f"ETA {(self.total - self.done) / rate:.0f}s")
        line = f"{time.strftime('%H:%M:%S')} {self.label}: " + ", ".join(parts)
        print(line + (f" ({self.detail})" if self.detail else ""), file=self._stream, flush=True)


@contextmanager
def progress(label: str, total: int | None, unit: str, stream: TextIO | None = None) -> Iterator[Progress]:
    out = stream or sys.stderr
    bar = Progress(label, total, unit, out, terminal=out.isatty())
    if bar._rich is None:
        yield bar
        return
    with bar._rich:
        yield bar
