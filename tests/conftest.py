"""What every test shares: an isolated environment, one Prefect harness per session, settings
and a warehouse connection in a temporary folder, and the demo team run once per session."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from tasks import warehouse
from tasks.config import Settings, load_settings
from tests.golden import capture
from tests.support.paths import FIXTURES, ROOT

os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["DO_NOT_TRACK"] = "1"
# as `backlog` sets it (flows/cli.py): a `backlog.*` line logged outside a flow run (a
# warehouse upgrade's warning) is not for Prefect's API; without it, once a test has run
# the CLI in this process, such a line is Prefect's UserWarning, an error under pytest
os.environ["PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW"] = "ignore"


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def pytest_configure(config: pytest.Config) -> None:
    """A test run stopped by SIGTERM (a CI timeout, `kill`) ends as on Ctrl-C: the session's
    fixtures are torn down, so the Prefect harness's server stops with it."""
    signal.signal(signal.SIGTERM, _interrupt)


@pytest.fixture(autouse=True)
def _no_user_config(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Tests never read the developer's backlog.toml or BACKLOG_* variables: the config is
    an empty file (a BACKLOG_CONFIG naming no file is an error)."""
    for name in list(os.environ):
        if name.startswith("BACKLOG_"):
            monkeypatch.delenv(name)
    empty = tmp_path_factory.getbasetemp() / "empty-backlog.toml"
    empty.touch()
    monkeypatch.setenv("BACKLOG_CONFIG", str(empty))


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One temporary Prefect API for every flow test of the session (about 12 s)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def small_exports() -> Path:
    """Two days of hand-written canonical exports with planted bad rows."""
    return FIXTURES / "canonical" / "small"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Default settings with the warehouse and the outputs in the test's own folder."""
    return load_settings(db_path=tmp_path / "backlog.duckdb", out_dir=tmp_path / "out")


@pytest.fixture
def con(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to a new warehouse of `settings`, closed after the test."""
    connection = warehouse.connect(settings)
    yield connection
    connection.close()


@dataclass(frozen=True)
class DemoRun:
    """The demo's team run through the flows: its exports, warehouse, and the files kept."""

    work: Path
    exports: Path
    db: Path
    made: Path


@pytest.fixture(scope="session")
def demo_run(prefect_harness: None, tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """The golden demo case (60 days of the demo's team, backfill then two mornings and the
    weekly review), run once per session; read it, never write to it."""
    work = tmp_path_factory.mktemp("demo")
    cwd = Path.cwd()
    os.chdir(ROOT)
    try:
        capture.run_case("demo", work, work / "made")
    finally:
        os.chdir(cwd)
    return DemoRun(work, work / "exports", work / "backlog.duckdb", work / "made")
