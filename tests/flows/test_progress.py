"""What a `backlog` command prints while a flow runs: a bar on a terminal, nothing per step
otherwise; the progress lines stay Prefect run logs either way."""

from __future__ import annotations

import io
import logging
import os

import pytest
from rich.console import Console
from typer.testing import CliRunner

from flows.cli import app, prefect_environment
from flows.progress import (
    BATCH_LINE,
    CLOSING_LINE,
    PROGRESS_LOGGER,
    flow_progress,
)
from tasks.errors import WARNINGS_LOGGER


class Kept(logging.Handler):
    """Keeps the messages it sees, as Prefect's run-log handler on `backlog` would."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture
def handlers():
    """A handler on `backlog` (where Prefect records run logs) and one on the root logger
    (where Prefect's console handler prints), removed afterwards."""
    run_logs, console_lines = Kept(), Kept()
    logging.getLogger("backlog").addHandler(run_logs)
    logging.getLogger().addHandler(console_lines)
    yield run_logs, console_lines
    logging.getLogger("backlog").removeHandler(run_logs)
    logging.getLogger().removeHandler(console_lines)


def _step(number: int) -> None:
    logging.getLogger(PROGRESS_LOGGER).info(
        "loaded day %s (%s of 3)", number, number, extra={"step": number, "total": 3}
    )


def test_without_a_terminal_no_step_is_printed_and_each_is_a_run_log(handlers):
    run_logs, console_lines = handlers
    out = io.StringIO()
    with flow_progress(Console(file=out, force_terminal=False), "backfill"):
        _step(1)
        _step(2)
    assert run_logs.messages == ["loaded day 1 (1 of 3)", "loaded day 2 (2 of 3)"]
    assert console_lines.messages == []
    assert out.getvalue() == ""
    # afterwards the loggers are as they were
    assert logging.getLogger("backlog").propagate


def _lines() -> None:
    """A batch's line and the closing line, as the backfill logs them."""
    log = logging.getLogger(PROGRESS_LOGGER)
    log.info("batch of days 1..2", extra={"step": 2, "total": 3, "line": BATCH_LINE})
    log.info("done: loads 1.0 s", extra={"line": CLOSING_LINE})


def test_without_a_terminal_a_command_that_asks_prints_the_lines_only(handlers):
    run_logs, console_lines = handlers
    out = io.StringIO()
    with flow_progress(Console(file=out, force_terminal=False), "backfill", lines=True):
        _step(1)
        _lines()
    assert out.getvalue() == "batch of days 1..2\ndone: loads 1.0 s\n"
    assert run_logs.messages == ["loaded day 1 (1 of 3)", "batch of days 1..2", "done: loads 1.0 s"]
    assert console_lines.messages == []
    # a command that does not ask (`backlog demo`) prints none of them
    quiet = io.StringIO()
    with flow_progress(Console(file=quiet, force_terminal=False), "backfill"):
        _lines()
    assert quiet.getvalue() == ""


def test_on_a_terminal_the_closing_line_stays_above_the_bar(handlers):
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=100)
    with flow_progress(console, "backfill", lines=True) as stop:
        _lines()
        stop()
    assert "done: loads 1.0 s\n" in out.getvalue()
    assert "batch of days 1..2\n" not in out.getvalue()  # the bar shows it, then goes


def test_on_a_terminal_the_steps_draw_the_bar(handlers):
    run_logs, console_lines = handlers
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=100)
    with flow_progress(console, "backfill") as stop:
        _step(3)
        stop()
    assert "loaded day 3 (3 of 3)" in out.getvalue()
    assert "3/3" in out.getvalue()
    assert run_logs.messages == ["loaded day 3 (3 of 3)"]
    assert console_lines.messages == []


def test_debug_prints_prefect_s_console_lines_too(handlers):
    run_logs, console_lines = handlers
    with flow_progress(Console(file=io.StringIO()), "backfill", debug=True):
        _step(1)
    assert run_logs.messages == console_lines.messages == ["loaded day 1 (1 of 3)"]


def test_serve_keeps_prefect_s_log_level_for_its_runs(monkeypatch):
    """`backlog serve`'s scheduled runs inherit its environment: without a level of
    CRITICAL their logs reach Prefect's UI, as prefect.yaml's deployments' do."""
    assert prefect_environment(False, serving=True) == prefect_environment(debug=True)
    assert prefect_environment(False)["PREFECT_LOGGING_LEVEL"] == "CRITICAL"
    prefect_level = logging.getLogger("prefect").level
    try:
        for command, level in ((["serve", "--help"], None), (["digest", "--help"], "CRITICAL")):
            environ = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_LOG")}
            monkeypatch.setattr(os, "environ", environ)
            assert CliRunner().invoke(app, command).exit_code == 0
            assert environ.get("PREFECT_LOGGING_LEVEL") == level, command
            assert environ["PREFECT_LOGGING_EXTRA_LOGGERS"] == "backlog"
    finally:
        logging.getLogger("prefect").setLevel(prefect_level)


def test_a_warning_is_one_line_on_stderr_and_a_run_log(handlers):
    """A warning a flow logs on `backlog.warnings` (the readers' copy skipped) reaches a
    cron mail as one `Warning:` line, not Prefect's console format, and Prefect's UI."""
    run_logs, console_lines = handlers
    out, errors = io.StringIO(), io.StringIO()
    with flow_progress(
        Console(file=out, force_terminal=False), "run", errors=Console(file=errors, width=40)
    ):
        logging.getLogger(WARNINGS_LOGGER).warning("Readers' copy %s not published: %s", "x", "y")
        logging.getLogger(PROGRESS_LOGGER).info("loaded day 1")
    assert errors.getvalue() == "Warning: Readers' copy x not published: y\n"
    assert out.getvalue() == ""
    assert console_lines.messages == []
    assert run_logs.messages == ["Readers' copy x not published: y", "loaded day 1"]
    assert logging.getLogger("backlog").handlers == [run_logs]  # the printer is gone
