"""How a `backlog` command shows a flow's progress: a bar on a terminal, no line per step
when its output goes to a file, a pipe or a cron mail.

The flows log their steps on `backlog.progress`. Prefect records the `backlog` loggers as
run logs (`PREFECT_LOGGING_EXTRA_LOGGERS`, its handler sits on `backlog`); without
`--debug` the records stop there, instead of also reaching the root logger, where
Prefect's console handler would print each one as an `INFO | backlog.progress` line.
A warning on a `backlog` logger (`backlog.warnings`) is printed as one `Warning:` line on
stderr instead, so a cron mail holds it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

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

PROGRESS_LOGGER = "backlog.progress"
WARNINGS_LOGGER = "backlog.warnings"


@contextmanager
def flow_progress(
    console: Console, name: str, debug: bool = False, errors: Console | None = None
) -> Iterator[Callable[[], None]]:
    """Show the progress of the flow `name` while the block runs; yields a function that
    takes the bar off the screen (before something else is printed).

    On a terminal: a transient progress bar fed by `backlog.progress`. Otherwise nothing
    per step: a cron mail holds the result, the warnings and the errors only. A warning
    on a `backlog` logger is one `Warning:` line on `errors` (default: stderr). With
    `debug`, Prefect's console lines are printed as well (the warnings among them).
    """
    ours = logging.getLogger("backlog")
    progress_log = logging.getLogger(PROGRESS_LOGGER)
    propagate, level = ours.propagate, progress_log.level
    ours.propagate = debug  # still recorded by Prefect's run-log handler on `backlog`
    progress_log.setLevel(logging.INFO)
    warnings = _WarningHandler(errors or Console(stderr=True))
    if not debug:
        ours.addHandler(warnings)
    try:
        if not console.is_terminal:
            yield lambda: None
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
            progress_log.addHandler(handler)
            try:
                yield progress.stop
            finally:
                progress_log.removeHandler(handler)
    finally:
        ours.removeHandler(warnings)
        ours.propagate = propagate
        progress_log.setLevel(level)


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
