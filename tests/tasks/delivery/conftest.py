"""The Slack delivery tests' fixtures: a fake Slack on loopback and a fresh warehouse."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from tasks import warehouse
from tasks.config import load_settings
from tests.support.fake_slack import FakeSlack
from tests.support.slack import TOKEN


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    """A fake Slack that knows the bot's token and answers the alias CALIAS as C0DIGEST."""
    with FakeSlack(token=TOKEN, aliases={"CALIAS": "C0DIGEST"}) as server:
        yield server


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A new warehouse (its ops.slack_messages ledger)."""
    connection = warehouse.connect(load_settings(db_path=tmp_path / "b.duckdb"))
    yield connection
    connection.close()
