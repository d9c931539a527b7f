"""A file's size reads one way wherever the tool says it (a migration's notice, the
readers' copy skipped, the copy published): `warehouse.file_size`."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tasks import warehouse
from tasks.warehouse import readers


@pytest.mark.parametrize(
    ("size", "shown"),
    [
        (0, "1 MB"),
        (400_000, "1 MB"),
        (6_300_000, "6 MB"),
        (840_000_000, "840 MB"),
        (999_400_000, "999 MB"),
        (999_600_000, "1.0 GB"),
        (13_200_000_000, "13.2 GB"),
    ],
)
def test_a_size_reads_in_mb_under_a_gb_and_in_gb_from_there(size, shown):
    assert warehouse.file_size(size) == shown


def test_a_small_warehouse_above_a_small_limit_says_its_size_in_mb(tmp_path: Path, monkeypatch):
    """The skipped copy of a 1 MB warehouse said "the warehouse is 0.0 GB"."""
    monkeypatch.setattr(readers, "_clone", lambda source, destination: False)
    db, target = tmp_path / "backlog.duckdb", tmp_path / "out" / "backlog-latest.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create table t as select range as n from range(100000)")
        con.execute("checkpoint")
        size = db.stat().st_size
        skipped = warehouse.publish_copy(con, db, target, size / readers.GB / 2)
    assert isinstance(skipped, warehouse.SkippedCopy)
    shown = f"{max(round(size / 1e6), 1)} MB"
    assert f"the warehouse is {shown}, above" in skipped.message
    assert f"write another {shown} every run" in skipped.message
    assert "GB," not in skipped.message
