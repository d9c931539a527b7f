"""Shared test set-up: an isolated environment and one Prefect harness per session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"

os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["DO_NOT_TRACK"] = "1"


@pytest.fixture(autouse=True)
def _no_user_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests never read the developer's backlog.toml or BACKLOG_* variables."""
    for name in list(os.environ):
        if name.startswith("BACKLOG_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("BACKLOG_CONFIG", str(tmp_path / "no-such-backlog.toml"))


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
