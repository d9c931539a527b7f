"""The data-quality status of an export day (ok, warn, fail): what the digest and review read.

`data_quality_for_day` summarises the day's ledger (`ops.loads`), its fatal file
(`ops.load_failures`), its row-level results (`ops.validation_results`) and its file
and day checks (`ops.quality_checks`): `ok` only when nothing was quarantined and no
check warned, `fail` when a file was fatal, the day has no export, or a check set to
`fail` failed. A day the 14 days before D lack (no export, or a fatal one) is a gap in
the history: a warning on D.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import duckdb

from tasks.config import Settings
from tasks.quality.rows import WELL_FORMED_CHECK
from tasks.warehouse import read_sql

LEVELS = {"ok": 0, "warn": 1, "fail": 2}
# A day without a complete export this close before D is a gap D's figures read (the
# 7-day averages over D-6..D, the reopen cohort of D-13..D-7).
GAP_WINDOW_DAYS = 14


def data_quality_for_day(
    con: duckdb.DuckDBPyConnection, day: date, settings: Settings | None = None
) -> dict[str, Any]:
    """How the files of day D's export fared: the digest's `data_quality`.

    Keys: status (ok|warn|fail), rows_read, rows_loaded, rows_quarantined,
    checks_failed (sentences, worst first; a gap in the history among them, as `gap_sentence`;
    without one, the open tickets an older missing day holds, as `open_before_older_gap`,
    listed last and not a warning),
    history_gaps (ISO dates of the days `history_gaps` finds, empty when none),
    deleted_tickets (a count, not a warning), files (the ledger of the day), volume (per
    entity: rows read, trailing median, ratio), notes (reported, not warnings), summary
    (one sentence). `settings` is accepted for the digest's call; every threshold was
    applied when the day loaded.
    """
    del settings  # thresholds were applied at load time and are stored with the checks
    level = 0
    failed: list[tuple[int, str]] = []
    notes: list[str] = []

    on_day = {"export_date": day}
    files = con.execute(_query("quality__day_files"), on_day).fetchall()
    failure = con.execute(_query("quality__load_failure"), on_day).fetchone()
    if failure:
        kept = " The day's earlier load is kept." if files else ""
        failed.append((2, failure[0] + kept))
    elif not files:
        failed.append((2, f"No export was loaded for {day}."))

    for load_id, source_file, expectation, severity, count, message, *_ in con.execute(
        _query("quality__failed_row_checks"), on_day
    ).fetchall():
        outcome = "quarantined" if severity == "quarantine" else "loaded"
        if expectation == WELL_FORMED_CHECK:
            kinds = con.execute(_query("quality__malformed_rows"), {"load_id": load_id})
            for kind, rows in kinds.fetchall():
                failed.append((1, f"{source_file}: {kind} ({_rows(rows)}, {outcome})"))
        else:
            failed.append((1, f"{source_file}: {message} ({_rows(count)}, {outcome})"))

    volume: dict[str, dict[str, Any]] = {}
    for entity, check_name, severity, success, observed, threshold, message, *_ in con.execute(
        _query("quality__day_checks"), on_day
    ).fetchall():
        if check_name == "volume":
            volume[entity] = {
                "rows_read": int(observed),
                "trailing_median": threshold,
                "ratio": observed / threshold if threshold else None,
            }
        if success:
            continue
        if severity == "info":
            notes.append(message)
        else:
            failed.append((LEVELS[severity], message))

    gaps = history_gaps(con, day)
    older = None if gaps else open_before_older_gap(con, day)
    if gaps:
        failed.append((1, gap_sentence(day, gaps)))
    elif older:  # listed in the section, not a warning: D's figures read no missing day
        failed.append((0, older))

    rows_read = sum(int(f[2]) for f in files)
    rows_loaded = sum(int(f[3]) for f in files)
    rows_quarantined = sum(int(f[4]) for f in files)
    level = max([level, *(lvl for lvl, _ in failed), 1 if rows_quarantined else 0])
    status = next(name for name, value in LEVELS.items() if value == level)
    checks_failed = [message for _, message in sorted(failed, key=lambda item: -item[0])]
    (deleted,) = con.execute(_query("quality__deleted_tickets"), on_day).fetchone()
    return {
        "status": status,
        "rows_read": rows_read,
        "rows_loaded": rows_loaded,
        "rows_quarantined": rows_quarantined,
        "checks_failed": checks_failed,
        "history_gaps": [d.isoformat() for d in gaps],
        "deleted_tickets": int(deleted),
        "files": [
            {
                "entity": entity,
                "file": source_file,
                "rows_read": int(read),
                "rows_loaded": int(loaded),
                "rows_quarantined": int(quarantined),
            }
            for entity, source_file, read, loaded, quarantined in files
        ],
        "volume": volume,
        "notes": notes,
        "summary": _summary(
            day, status, rows_loaded, rows_quarantined, checks_failed, has_gap=bool(gaps or older)
        ),
    }


def _rows(count: int) -> str:
    return f"{count:,} row{'s' if count != 1 else ''}"


def _summary(
    day: date,
    status: str,
    rows_loaded: int,
    rows_quarantined: int,
    checks_failed: list[str],
    has_gap: bool = False,
) -> str:
    """One sentence on the day; `has_gap` when a gap in the history is among the checks
    (then the day's own data is whole if that is the only one and nothing was quarantined)."""
    if status == "fail":
        reason = checks_failed[0].rstrip(".") if checks_failed else "a check failed"
        return f"Data for {day} is incomplete: {reason}."
    if has_gap and len(checks_failed) == 1 and not rows_quarantined:
        return (
            f"Data for {day} loaded in full ({_rows(rows_loaded)}, none quarantined), but the "
            "history before it has a gap."
        )
    if status == "warn":
        flagged = len(checks_failed)
        return (
            f"Data for {day} loaded with warnings: {_rows(rows_loaded)} loaded, "
            f"{rows_quarantined:,} quarantined, {flagged} check{'s' if flagged != 1 else ''} "
            "flagged."
        )
    return f"Data for {day} is complete: {_rows(rows_loaded)} loaded, none quarantined."


def day_states(con: duckdb.DuckDBPyConnection, last: date) -> list[tuple[date, bool, bool]]:
    """(day, has a load, its last attempt failed) from the first known export day to `last`."""
    return con.execute(_query("quality__day_states"), {"last_date": last}).fetchall()


def day_is_complete(con: duckdb.DuckDBPyConnection, day: date) -> bool:
    """Day D's export loaded and its last load attempt did not fail."""
    states = day_states(con, day)
    return bool(states) and states[-1][0] == day and states[-1][1] and not states[-1][2]


def last_complete_day(con: duckdb.DuckDBPyConnection, day: date) -> date | None:
    """The latest complete export day before D: the figures a failed day's digest shows."""
    return next(
        (
            d
            for d, loaded, failed in reversed(day_states(con, day))
            if d < day and loaded and not failed
        ),
        None,
    )


def history_gaps(
    con: duckdb.DuckDBPyConnection, day: date, window_days: int = GAP_WINDOW_DAYS
) -> list[date]:
    """Days in the `window_days` before D with no complete export: holes D's figures read."""
    start = day - timedelta(days=window_days)
    return [
        d
        for d, loaded, failed in day_states(con, day)
        if start <= d < day and (failed or not loaded)
    ]


def incomplete_days(con: duckdb.DuckDBPyConnection, first: date, last: date) -> list[date]:
    """Days in first..last without a complete export (none, a fatal one, or before the
    first export): the days a sum over the period misses."""
    complete = {d for d, loaded, failed in day_states(con, last) if loaded and not failed}
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return [d for d in days if d not in complete]


def open_before_older_gap(con: duckdb.DuckDBPyConnection, day: date) -> str | None:
    """The warning of a day whose 14-day look-back has no gap but whose backlog still holds
    tickets last changed before an older missing day (they may have been solved on it,
    unseen), or None when there is no missing day or no such ticket (or no marts yet)."""
    missing = [
        d for d, loaded, failed in day_states(con, day) if d < day and (failed or not loaded)
    ]
    if not missing or not _has_marts(con):
        return None
    count = stale_open_tickets(con, day, missing[-1])["open"]
    if not count:
        return None
    tickets = "1 open ticket" if count == 1 else f"{count:,} open tickets"
    return (
        f"{tickets} last changed before {missing[-1]}, a day without a complete export, and "
        f"may have been solved on it, unseen: {load_advice(1)}."
    )


def _has_marts(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the models that `stale_open_tickets` reads are built."""
    (count,) = con.execute(
        "select count(*) from duckdb_tables() where schema_name = 'marts' "
        "and table_name = 'fct_open_tickets'"
    ).fetchone()
    return bool(count)


def gap_sentence(day: date, gaps: list[date]) -> str:
    """The warning a later day's digest gives about the days missing before it."""
    listed = ", ".join(d.isoformat() for d in gaps)
    return (
        f"The history before {day} has a gap: no complete export for {listed}; the 7-day "
        f"figures and reopen cohorts miss those days, so {load_advice(2)} to complete the "
        "history."
    )


def load_advice(days: int) -> str:
    """What to do about `days` missing days, as the gap's warning and the alerts say it."""
    it = "it" if days == 1 else "them"
    return f"load {it} (`backlog backfill` over {it})"


def gap_caveat(gaps: list[date], consequence: str) -> str:
    """The clause an alert that reads the missing days `gaps` ends with: which days, what
    they leave out of its figure (`consequence`), and to load them before acting on it."""
    listed = ", ".join(d.isoformat() for d in gaps)
    has = "has" if len(gaps) == 1 else "have"
    return (
        f", but {listed} {has} no complete export, so {consequence}: "
        f"{load_advice(len(gaps))} before acting."
    )


def stale_open_tickets(con: duckdb.DuckDBPyConnection, day: date, gap: date) -> dict[str, Any]:
    """The open tickets at the end of D whose last loaded version predates the missing day
    `gap`: their state may have changed that day unseen. Keys: open, sla_breached,
    oldest_unreplied_hours (None when every one of them has a reply)."""
    row = con.execute(
        _query("quality__stale_open_tickets"), {"report_date": day, "gap_day": gap}
    ).fetchone()
    return {"open": int(row[0]), "sla_breached": int(row[1]), "oldest_unreplied_hours": row[2]}


def gap_figures(day: date, gaps: list[date]) -> str | None:
    """Which of D's windowed figures read the gap days: the 7-day averages and rates when a
    gap falls in D-6..D-1, the 7-day rates alone (their cohort, first solved in D-13..D-7)
    when it falls before, None when every gap is older than that cohort."""
    if any(d >= day - timedelta(days=6) for d in gaps):
        return "the 7-day averages and rates"
    if any(d >= day - timedelta(days=13) for d in gaps):
        return "the 7-day rates"
    return None


def day_has_failed(con: duckdb.DuckDBPyConnection, day: date) -> str | None:
    """Why day D's data quality is `fail` (one sentence), or None when it is not."""
    return failure_reason(data_quality_for_day(con, day))


def failure_reason(quality: dict[str, Any]) -> str | None:
    """The summary of a `data_quality_for_day` result (or a digest's `data_quality`) that
    failed, else None."""
    return quality["summary"] if quality["status"] == "fail" else None


def _query(name: str) -> str:
    """A query of `sql/queries/ingest/`."""
    return read_sql(f"queries/ingest/{name}.sql")
