"""How a `backlog` command shows a flow's progress: a bar on a terminal, no line per step
when its output goes to a file, a pipe or a cron mail, except the lines a command asks for.

The flows log their steps on `backlog.progress`; a step that is also a line of its own
(a backfill's batch, its closing split) carries `extra={"line": ...}` (`BATCH_LINE` or
`CLOSING_LINE`), and `backlog backfill` prints those without a terminal, so a backfill
under cron says what it did batch by batch, and how long the tail of the run took.

Prefect records the `backlog` loggers as run logs (`PREFECT_LOGGING_EXTRA_LOGGERS`, its
handler sits on `backlog`); without `--debug` the records stop there, instead of also
reaching the root logger, where Prefect's console handler would print each one as an
`INFO | backlog.progress` line. A warning on a `backlog` logger (`backlog.warnings`) is
printed as one `Warning:` line on stderr instead, so a cron mail holds it.

A backfill's own lines are written here too: `batch_line` (a batch's days, rows read and
seconds) and `BackfillClock` (the wall seconds of each part, and the closing split).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

if TYPE_CHECKING:
    from tasks.ingest import DayLoad

PROGRESS_LOGGER = "backlog.progress"
# the `line` of a progress record printed by a command that asks for lines
BATCH_LINE = "batch"
CLOSING_LINE = "closing"


@contextmanager
def flow_progress(
    console: Console,
    name: str,
    debug: bool = False,
    errors: Console | None = None,
    lines: bool = False,
) -> Iterator[Callable[[], None]]:
    """Show the progress of the flow `name` while the block runs; yields a function that
    takes the bar off the screen (before something else is printed).

    On a terminal: a transient progress bar fed by `backlog.progress`, and with `lines`
    the closing line printed above it. Otherwise nothing per step: a cron mail holds the
    result, the warnings and the errors only, plus with `lines` the progress records that
    are lines (a backfill's batches and its closing split). A warning on a `backlog`
    logger is one `Warning:` line on `errors` (default: stderr). With `debug`, Prefect's
    console lines are printed as well (the warnings and lines among them).
    """
    with warnings_printed(errors or Console(stderr=True), debug):
        yield from _progress(console, name, debug, lines)


def _progress(
    console: Console, name: str, debug: bool, lines: bool
) -> Iterator[Callable[[], None]]:
    """The bar on a terminal, the lines asked for without one (`flow_progress`)."""
    progress_log = logging.getLogger(PROGRESS_LOGGER)
    level = progress_log.level
    progress_log.setLevel(logging.INFO)
    try:
        if not console.is_terminal:
            printer = _LinePrinter(console, (BATCH_LINE, CLOSING_LINE))
            if lines and not debug:
                progress_log.addHandler(printer)
            try:
                yield lambda: None
            finally:
                progress_log.removeHandler(printer)
            return
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as progress:
            bar = progress.add_task(f"Running the {name.replace('_', '-')} flow", total=None)
            handler = _ProgressHandler(progress, bar)
            printer = _LinePrinter(progress.console, (CLOSING_LINE,))
            progress_log.addHandler(handler)
            if lines and not debug:
                progress_log.addHandler(printer)
            try:
                yield progress.stop
            finally:
                progress_log.removeHandler(handler)
                progress_log.removeHandler(printer)
    finally:
        progress_log.setLevel(level)


@contextmanager
def warnings_printed(errors: Console, debug: bool = False) -> Iterator[None]:
    """While the block runs, a warning on a `backlog` logger (a migration's notice, the
    readers' copy skipped) is one `Warning: <message>` line on `errors`, whichever command
    logs it, and stops at `backlog` (Prefect's run-log handler still records it). With
    `debug` the records go on to Prefect's console lines instead. Nested blocks print a
    warning once: only the outermost adds the printer."""
    ours = logging.getLogger("backlog")
    if debug or any(isinstance(h, _WarningHandler) for h in ours.handlers):
        yield
        return
    propagate, printer = ours.propagate, _WarningHandler(errors)
    ours.propagate = False
    ours.addHandler(printer)
    try:
        yield
    finally:
        ours.removeHandler(printer)
        ours.propagate = propagate


class _WarningHandler(logging.Handler):
    """Prints a `backlog` logger's warnings and errors as `Warning: <message>` lines."""

    def __init__(self, console: Console) -> None:
        super().__init__(logging.WARNING)
        self.console = console

    def emit(self, record: logging.LogRecord) -> None:
        self.console.print(
            f"Warning: {record.getMessage()}", markup=False, highlight=False, soft_wrap=True
        )


class _ProgressHandler(logging.Handler):
    """Draws the flows' progress lines (`backlog.progress`) as a progress bar."""

    def __init__(self, progress: Progress, bar: TaskID) -> None:
        super().__init__(logging.INFO)
        self.progress, self.bar = progress, bar

    def emit(self, record: logging.LogRecord) -> None:
        step, total = getattr(record, "step", None), getattr(record, "total", None)
        self.progress.update(self.bar, description=record.getMessage(), completed=step, total=total)


class _LinePrinter(logging.Handler):
    """Prints the progress records that are lines of the kinds asked for, as plain text."""

    def __init__(self, console: Console, kinds: tuple[str, ...]) -> None:
        super().__init__(logging.INFO)
        self.console, self.kinds = console, kinds

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(record, "line", None) in self.kinds:
            self.console.print(record.getMessage(), soft_wrap=True, highlight=False, markup=False)


def batch_line(batch: list[date], loads: list[DayLoad | None], seconds: float) -> str:
    """One backfill batch in a line: its days, how many loaded (and why not), rows read,
    seconds. `loads` has one entry per day that had an export (None: the day failed)."""
    rows = sum(file.rows_read for load in loads if load is not None for file in load.files)
    counts = {
        "failed": sum(1 for load in loads if load is None),
        "unchanged": sum(1 for load in loads if load is not None and load.skipped),
        "without an export": len(batch) - len(loads),
    }
    loaded = len(batch) - sum(counts.values())
    notes = ", ".join(f"{n} {what}" for what, n in counts.items() if n)
    days = f"{batch[0]}..{batch[-1]}" if len(batch) > 1 else f"{batch[0]}"
    return (
        f"{days}: {loaded} of {len(batch)} days loaded{f' ({notes})' if notes else ''}, "
        f"{rows:,} rows read, {seconds:.1f} s"
    )


@dataclass
class Lap:
    """The wall seconds of one timed block, set when the block ends."""

    seconds: float = 0.0


class BackfillClock:
    """A backfill's wall seconds per part, in the order of its closing line: loads, Data
    Docs, models, KB, then the parts the digest's publication reports (digest, copy)."""

    def __init__(self) -> None:
        self.spent = dict.fromkeys(("loads", "Data Docs", "models", "KB"), 0.0)

    @contextmanager
    def part(self, name: str) -> Iterator[Lap]:
        """Time the block and add its seconds to the part `name`; yields its `Lap`."""
        lap = Lap()
        started = time.perf_counter()
        try:
            yield lap
        finally:
            lap.seconds = time.perf_counter() - started
            self.spent[name] = self.spent.get(name, 0.0) + lap.seconds

    def add(self, seconds: dict[str, float]) -> None:
        """Parts timed elsewhere (the digest's publication), after those timed here."""
        self.spent.update(seconds)

    def closing_line(self, total_days: int) -> str:
        """The backfill's parts in wall seconds: loads, Data Docs, models, KB, digest, copy."""
        parts = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in self.spent.items())
        return f"backfill of {total_days} days done in {sum(self.spent.values()):.1f} s: {parts}"
