"""Which export days a run loads: the days a morning run missed, the days of a backfill."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from tasks.errors import BacklogError
from tasks.ingest.discover import ExportDay, discover_exports
from tasks.ingest.sources import check_source


def unloaded_days(
    con: duckdb.DuckDBPyConnection, exports: Path, day: date, source: str
) -> list[ExportDay]:
    """Export days before `day` that were never loaded (nor failed), oldest first.

    A corrected re-export of a day already loaded is not picked up here: run that day
    again, or `backlog backfill`, to replace it.
    """
    known = {
        row[0]
        for row in con.execute(
            "select export_date from ops.loads union select export_date from ops.load_failures"
        ).fetchall()
    }
    if not known:
        return []  # a first run starts at its day; `backlog backfill` loads history
    first = min(known)
    return [
        candidate
        for candidate in discover_exports(exports, first, day, source)
        if candidate.export_date < day and candidate.export_date not in known
    ]


def backfill_days(exports: Path, start: date, end: date, source: str) -> list[ExportDay]:
    """The export days of a backfill over [start, end], oldest first.

    The one check of a backfill's arguments, made by the CLI before Prefect starts and by
    the flow: each problem is one sentence saying what to change.
    """
    if end < start:
        raise BacklogError(f"--end {end} is before --start {start}; swap them.")
    check_source(source)
    days = discover_exports(exports, start, end, source)
    if not days:
        raise BacklogError(
            f"No export folders between {start} and {end} under {exports}; "
            "check --exports and the dates."
        )
    return days
