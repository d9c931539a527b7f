"""Each source's pull state in `ops.pull_state`: which days were pulled whole, and where each
ended (cursor, high-water mark)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import duckdb

from tasks.warehouse.files import read_sql


def pulled_days(con: duckdb.DuckDBPyConnection, source: str) -> list[date]:
    """The days of `source` whose folder was completed, oldest first."""
    rows = con.execute(read_sql("queries/pull/pulled_days.sql"), {"source": source}).fetchall()
    return [row[0] for row in rows]


def record_pull(con: duckdb.DuckDBPyConnection, manifest: dict[str, Any]) -> None:
    """Commit a day's pull (called after its folder was renamed into place)."""
    con.execute(
        read_sql("queries/pull/record_pull.sql"),
        {
            "source": manifest["source"],
            "pulled_date": manifest["date"],
            "window_start": manifest["window"]["start"],
            "window_end": manifest["window"]["end"],
            "high_water_mark": manifest["high_water_mark"],
            "cursor": manifest.get("cursor"),
            "requests": manifest["requests"],
            "pages": sum(manifest["pages"].values()),
            "records": sum(manifest["records"].values()),
            "records_in_window": manifest["records_in_window"],
            "folder": manifest["folder"],
            "pulled_at": manifest["pulled_at"],
        },
    )


def days_to_pull(con: duckdb.DuckDBPyConnection, source: str, day: date) -> list[date]:
    """The days a morning run pulls: each day after the last one pulled, up to `day`.

    A source never pulled starts at `day` (`backlog pull --start S --end E` pulls history);
    a day already pulled is pulled again only when it is `day` itself.
    """
    done = pulled_days(con, source)
    if not done:
        return [day]
    start = max(done) + timedelta(days=1)
    missing = [start + timedelta(days=n) for n in range((day - start).days + 1)]
    return missing or ([day] if day not in done else [])
