"""Which export days a run loads (missed days, a backfill's days, missing ones), and after.

A run decides here, not in its flow, what its loads allow: a day whose export is missing
or fatal changes nothing outside `ops` (no model build, no knowledge-base refresh for
it), unless other days of the same run loaded (then the models take those in).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb

from tasks import quality
from tasks.errors import BacklogError
from tasks.ingest.discover import DAY_FOLDER, ExportDay, discover_exports
from tasks.ingest.load import DayLoad
from tasks.ingest.sources import check_source

# Days a backfill loads in one transaction with one GX run per entity (see DECISIONLOG.md).
BACKFILL_BATCH_DAYS = 7


@dataclass(frozen=True)
class AfterLoads:
    """What a run does after its loads: build the models?, refresh the KB as of which day."""

    build_models: bool
    kb_day: date | None


def after_loads(
    con: duckdb.DuckDBPyConnection, day: date, loads: Sequence[DayLoad | None]
) -> AfterLoads:
    """The steps a run of day D may take after loading (`None` in `loads`: a fatal day).

    D complete (loaded now or before): build, refresh the KB as of D. D failed or missing
    but other days of the run loaded: build (they are new data), KB as of the last
    complete day. Else nothing: no table outside `ops` changes.
    """
    if quality.day_is_complete(con, day):
        return AfterLoads(True, day)
    if any(load is not None and not load.skipped for load in loads):
        return AfterLoads(True, quality.last_complete_day(con, day))
    return AfterLoads(False, None)


def backfill_batches(days: Sequence[date], size: int = BACKFILL_BATCH_DAYS) -> list[list[date]]:
    """A backfill's days (oldest first) cut into batches of `size` consecutive days."""
    return [list(days[start : start + size]) for start in range(0, len(days), size)]


def has_loads(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether any export day has loaded into the warehouse."""
    return con.execute("select count(*) from ops.loads").fetchone()[0] > 0


def find_export_day(root: Path, day: date, source: str = "canonical") -> ExportDay | None:
    """The export folder of one day, or None when it is missing (the root must exist)."""
    found = discover_exports(root, day, day, source)
    return found[0] if found else None


def missing_days(found: Sequence[ExportDay], start: date, end: date) -> list[date]:
    """The days of [start, end] without an export folder."""
    have = {day.export_date for day in found}
    return [
        start + timedelta(days=n)
        for n in range((end - start).days + 1)
        if start + timedelta(days=n) not in have
    ]


def note_missing_day(con: duckdb.DuckDBPyConnection, root: Path, day: date) -> str:
    """Keep a day without an export as failed (`ops.load_failures`); its sentence."""
    return quality.record_missing_day(con, day, str(root / day.isoformat()))


def note_missing_run_day(con: duckdb.DuckDBPyConnection, root: Path, day: date) -> str:
    """`note_missing_day` for a morning run's day D; a day before the warehouse's history
    (or in an empty warehouse) is a wrong date, not a gap: raise, record nothing."""
    (first,) = con.execute(
        "select min(export_date) from (select export_date from ops.loads "
        "union all select export_date from ops.load_failures)"
    ).fetchone()
    if first is None:
        raise BacklogError(
            f"No export for {day} under {root}; expected a folder {root / day.isoformat()} "
            "holding the day's export."
        )
    if day < first:  # most often a mistyped date: say where the history is
        raise BacklogError(
            f"No export for {day} under {root}, and the warehouse's history starts {first}; "
            f"check --date, or load that day's export from {root / day.isoformat()} with "
            "`backlog backfill`."
        )
    return note_missing_day(con, root, day)


def range_failure(con: duckdb.DuckDBPyConnection, start: date, end: date) -> str | None:
    """One sentence naming every day of [start, end] that did not load, or None."""
    failed = con.execute(
        "select export_date, source_file, message from ops.load_failures "
        "where export_date between ? and ? order by export_date",
        [start, end],
    ).fetchall()
    if not failed:
        return None
    total = (end - start).days + 1
    listed = "; ".join(
        message.split(":", 1)[0]
        if message.startswith("no export")
        else f"{day}: {source_file} could not be loaded"
        for day, source_file, message in failed
    )
    fix = "that day's export and load it" if len(failed) == 1 else "those exports and load them"
    return (
        f"{len(failed)} of {total} days from {start} to {end} did not load ({listed}); the "
        f"other days loaded, so add or fix {fix} again (each day's digest says what failed)."
    )


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
    first = days[0].export_date
    if start < first and not _day_folder_before(exports, start):
        # each day before the first export would be recorded as missing, and every digest
        # of the next two weeks would warn of a gap in the history
        raise BacklogError(
            f"--start {start} is before the first export under {exports} ({first}); pass "
            f"--start {first}, or add the exports of the days before it first."
        )
    return days


def _day_folder_before(exports: Path, day: date) -> bool:
    """Whether the exports folder holds a day's folder before `day` (history goes back)."""
    return any(
        folder.is_dir() and DAY_FOLDER.match(folder.name) and folder.name < day.isoformat()
        for folder in exports.iterdir()
    )
