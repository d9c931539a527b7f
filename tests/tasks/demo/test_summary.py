"""The demo's closing lines: what the warehouse holds, in the digest's count format."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb

from tasks.demo.summary import warehouse_summary


def test_counts_are_grouped_as_everywhere_else(tmp_path: Path) -> None:
    db = tmp_path / "backlog.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create schema staging; create schema marts")
        con.execute(
            "create table staging.stg_tickets as select range as ticket_id from range(12345)"
        )
        con.execute(
            "create table marts.fct_daily_flow as select date '2024-01-01' + range::int as "
            "report_date from range(1002)"
        )
    said = warehouse_summary(db)
    last = date(2024, 1, 1) + timedelta(days=1001)
    assert "holds 12,345 tickets" in said
    assert f"and 1,002 report days up to {last}." in said
