"""Data quality of one export day (SPEC 6): file and day checks, fatal loads, the summary.

Row-level checks (the GX suites, duplicates) live in `tasks/validate.py` and end in
`ops.validation_results`. Here are the checks of a whole file or day, kept in
`ops.quality_checks` when the day loads: schema drift (a new unknown column: warn;
a column read under its exact canonical name with other case: info), the share of
rows quarantined, and the volume against the trailing median (warn or fail, as
configured). A fatal file is kept in `ops.load_failures`, outside the load's
rolled-back transaction. `data_quality_for_day` summarises it all for the digest:
`ok` only when nothing was quarantined and no check warned, `fail` when a file was
fatal, the day has no export, or a check set to `fail` failed.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import duckdb

from tasks.config import QualitySettings, Settings
from tasks.validate import WELL_FORMED_CHECK
from tasks.warehouse import read_sql

if TYPE_CHECKING:
    from tasks.ingest import FileLoad

# Earlier loaded days the volume check needs in its window before it judges a day.
MIN_HISTORY_DAYS = 3
LEVELS = {"ok": 0, "warn": 1, "fail": 2}


@dataclass(frozen=True)
class QualityCheck:
    """One file- or day-level check of an export day.

    `observed` is what was measured and `threshold` what it was held against (the
    quarantined share and its limit; the rows read and the trailing median).
    """

    export_date: date
    entity: str
    check_name: str
    subject: str
    severity: str
    success: bool
    message: str
    observed: float | None = None
    threshold: float | None = None


def file_checks(export_date: date, load: FileLoad, settings: QualitySettings) -> list[QualityCheck]:
    """Schema drift and the quarantined share of one loaded file."""
    name = load.source_file
    checks = [
        QualityCheck(
            export_date,
            load.entity,
            "column_case",
            target,
            "info",
            False,
            f"{name}: column {original!r} read as {target}",
        )
        for original, target in sorted(load.renamed_columns.items())
    ]
    checks += [
        QualityCheck(
            export_date,
            load.entity,
            "new_column",
            column,
            "warn",
            False,
            f"{name}: new column {column!r}, kept in extra (no earlier export had it)",
        )
        for column in load.new_columns
    ]
    # Folded exact copies are quarantined but lose nothing: they do not count here.
    set_aside = load.rows_quarantined - load.rows_folded
    share = set_aside / load.rows_read if load.rows_read else 0.0
    limit = settings.quarantine_max_share
    within = share <= limit
    checks.append(
        QualityCheck(
            export_date,
            load.entity,
            "quarantine_share",
            name,
            settings.quarantine_severity,
            within,
            f"{name}: {set_aside} of {load.rows_read} rows quarantined ({share:.1%}), "
            f"{'within' if within else 'above'} the {limit:.0%} limit",
            share,
            limit,
        )
    )
    return checks


def volume_checks(
    con: duckdb.DuckDBPyConnection, export_date: date, settings: QualitySettings
) -> list[QualityCheck]:
    """The day's rows read per entity against the trailing median of earlier days.

    Weekdays are held against weekdays and weekend days against weekend days, so a
    quiet Sunday is not taken for a truncated export.
    """
    checks = []
    window = settings.volume_window_days
    kind = "weekend days" if export_date.isoweekday() >= 6 else "weekdays"
    rows = con.execute(
        read_sql("ingest/quality__volume.sql"),
        {"export_date": export_date, "window_days": window},
    ).fetchall()
    for entity, rows_read, history_days, median in rows:
        if not median and not rows_read:
            continue  # this source does not export the entity
        if history_days < MIN_HISTORY_DAYS or not median:
            checks.append(
                QualityCheck(
                    export_date,
                    entity,
                    "volume",
                    entity,
                    settings.volume_severity,
                    True,
                    f"{entity}: {rows_read} rows read; volume not judged yet (needs "
                    f"{MIN_HISTORY_DAYS} earlier {kind} in the {window}-day window, has "
                    f"{history_days})",
                    float(rows_read),
                    None,
                )
            )
            continue
        ratio = rows_read / median
        within = ratio >= settings.volume_min_ratio
        checks.append(
            QualityCheck(
                export_date,
                entity,
                "volume",
                entity,
                settings.volume_severity,
                within,
                f"{entity}: {rows_read} rows read, {ratio:.0%} of the median of {median:g} "
                f"over the {kind} of the trailing {window} days"
                + (
                    ""
                    if within
                    else f" (below {settings.volume_min_ratio:.0%}: a truncated export?)"
                ),
                float(rows_read),
                float(median),
            )
        )
    return checks


def record_checks(con: duckdb.DuckDBPyConnection, checks: list[QualityCheck]) -> None:
    """Keep checks in `ops.quality_checks` (inside the load's transaction)."""
    con.executemany(
        "insert or replace into ops.quality_checks (export_date, entity, check_name, subject, "
        "severity, success, observed, threshold, message) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [
                c.export_date,
                c.entity,
                c.check_name,
                c.subject,
                c.severity,
                c.success,
                c.observed,
                c.threshold,
                c.message,
            ]
            for c in checks
        ],
    )


def record_load_failure(
    con: duckdb.DuckDBPyConnection,
    export_date: date,
    *,
    entity: str,
    source_file: str,
    sha256: str | None,
    column: str | None,
    message: str,
) -> None:
    """Keep a fatal file's message for the digest, after its load rolled back."""
    # Failing to note the failure must not hide the failure itself.
    with contextlib.suppress(duckdb.Error):
        con.execute("delete from ops.load_failures where export_date = ?", [export_date])
        con.execute(
            "insert into ops.load_failures values (?, ?, ?, ?, ?, ?, ?)",
            [export_date, entity, source_file, sha256, column, message, datetime.now(UTC)],
        )


def clear_load_failure(con: duckdb.DuckDBPyConnection, export_date: date) -> None:
    """Forget a day's fatal load: the day has now loaded, or its loaded files are back."""
    con.execute("delete from ops.load_failures where export_date = ?", [export_date])


def data_quality_for_day(
    con: duckdb.DuckDBPyConnection, day: date, settings: Settings | None = None
) -> dict[str, Any]:
    """How the files of day D's export fared: the digest's `data_quality`.

    Keys: status (ok|warn|fail), rows_read, rows_loaded, rows_quarantined,
    checks_failed (sentences, worst first), deleted_tickets (a count, not a warning),
    files (the ledger of the day), volume (per entity: rows read, trailing median,
    ratio), notes (reported, not warnings), summary (one sentence). `settings` is
    accepted for the digest's call; every threshold was applied when the day loaded.
    """
    del settings  # thresholds were applied at load time and are stored with the checks
    level = 0
    failed: list[tuple[int, str]] = []
    notes: list[str] = []

    files = con.execute(
        "select entity, source_file, rows_read, rows_loaded, rows_quarantined "
        "from ops.loads where export_date = ? order by entity desc, source_file",
        [day],
    ).fetchall()
    failure = con.execute(
        "select message from ops.load_failures where export_date = ?", [day]
    ).fetchone()
    if failure:
        kept = " The day's earlier load is kept." if files else ""
        failed.append((2, failure[0] + kept))
    elif not files:
        failed.append((2, f"No export was loaded for {day}."))

    for load_id, source_file, expectation, severity, count, message in con.execute(
        """
        select
            results.load_id, loads.source_file, results.expectation, results.severity,
            results.unexpected_count, results.message,
        from ops.validation_results as results
        inner join ops.loads as loads using (load_id)
        where results.export_date = ? and not results.success and results.unexpected_count > 0
        order by results.entity desc, results.severity, results.expectation, results.column_name
        """,
        [day],
    ).fetchall():
        outcome = "quarantined" if severity == "quarantine" else "loaded"
        if expectation == WELL_FORMED_CHECK:
            kinds = con.execute(read_sql("ingest/quality__malformed_rows.sql"), [load_id])
            for kind, rows in kinds.fetchall():
                failed.append((1, f"{source_file}: {kind} ({_rows(rows)}, {outcome})"))
        else:
            failed.append((1, f"{source_file}: {message} ({_rows(count)}, {outcome})"))

    volume: dict[str, dict[str, Any]] = {}
    for entity, check_name, severity, success, observed, threshold, message in con.execute(
        """
        select entity, check_name, severity, success, observed, threshold, message
        from ops.quality_checks
        where export_date = ?
        order by entity desc, check_name, subject
        """,
        [day],
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

    rows_read = sum(int(f[2]) for f in files)
    rows_loaded = sum(int(f[3]) for f in files)
    rows_quarantined = sum(int(f[4]) for f in files)
    level = max([level, *(lvl for lvl, _ in failed), 1 if rows_quarantined else 0])
    status = next(name for name, value in LEVELS.items() if value == level)
    checks_failed = [message for _, message in sorted(failed, key=lambda item: -item[0])]
    (deleted,) = con.execute(
        read_sql("ingest/quality__deleted_tickets.sql"), {"export_date": day}
    ).fetchone()
    return {
        "status": status,
        "rows_read": rows_read,
        "rows_loaded": rows_loaded,
        "rows_quarantined": rows_quarantined,
        "checks_failed": checks_failed,
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
        "summary": _summary(day, status, rows_loaded, rows_quarantined, checks_failed),
    }


def _rows(count: int) -> str:
    return f"{count} row{'s' if count != 1 else ''}"


def _summary(
    day: date, status: str, rows_loaded: int, rows_quarantined: int, checks_failed: list[str]
) -> str:
    if status == "fail":
        reason = checks_failed[0].rstrip(".") if checks_failed else "a check failed"
        return f"Data for {day} is incomplete: {reason}."
    if status == "warn":
        return (
            f"Data for {day} loaded with warnings: {rows_loaded} rows loaded, "
            f"{rows_quarantined} quarantined, {len(checks_failed)} check(s) flagged."
        )
    return f"Data for {day} is complete: {rows_loaded} rows loaded, none quarantined."


def day_has_failed(con: duckdb.DuckDBPyConnection, day: date) -> str | None:
    """Why day D's data quality is `fail` (one sentence), or None when it is not."""
    return failure_reason(data_quality_for_day(con, day))


def failure_reason(quality: dict[str, Any]) -> str | None:
    """The summary of a `data_quality_for_day` result (or a digest's `data_quality`) that
    failed, else None."""
    return quality["summary"] if quality["status"] == "fail" else None
