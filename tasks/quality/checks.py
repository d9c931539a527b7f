"""File and day checks of an export day (docs/data-quality.md): drift, share, volume; ledgers.

Row-level checks (the GX suites, duplicates) are in `tasks/quality/rows.py` and end in
`ops.validation_results`. Here are the checks of a whole file or day, kept in
`ops.quality_checks` when the day loads: schema drift (a new unknown column: warn; a
column read under its exact canonical name with other case: info), the share of rows
quarantined, and the volume against the trailing median (warn or fail, as
configured). A fatal file is kept in `ops.load_failures`, outside the load's
rolled-back transaction.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from tasks.config import QualitySettings
from tasks.contract import ENTITIES
from tasks.warehouse import insert_rows, read_sql

# Earlier loaded days the volume check needs in its window before it judges a day.
MIN_HISTORY_DAYS = 3


@dataclass
class FileLoad:
    """What loading one file did: the ledger row, and what the checks saw."""

    entity: str
    source_file: str
    sha256: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    extra_columns: list[str] = field(default_factory=list)
    new_columns: list[str] = field(default_factory=list)
    renamed_columns: dict[str, str] = field(default_factory=dict)
    rows_folded: int = 0
    validation_seconds: float = 0.0


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
            f"{name}: {set_aside:,} of {load.rows_read:,} rows quarantined ({share:.1%}), "
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
        read_sql("queries/ingest/quality__volume.sql"),
        {"export_date": export_date, "window_days": window, "entities": list(ENTITIES)},
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
                    f"{entity}: {rows_read:,} rows read; volume not judged yet (needs "
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
                f"{entity}: {rows_read:,} rows read, {ratio:.0%} of the median of {median:,g} "
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
    """Keep checks in `ops.quality_checks` (inside the load's transaction); a check
    repeated (same day, entity, name and subject) keeps its last row."""
    last = {(c.export_date, c.entity, c.check_name, c.subject): c for c in checks}
    insert_rows(
        con,
        "insert or replace into ops.quality_checks (export_date, entity, check_name, subject, "
        "severity, success, observed, threshold, message) values",
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
            for c in last.values()
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


def record_missing_day(con: duckdb.DuckDBPyConnection, export_date: date, folder: str) -> str:
    """Keep a day without an export folder as a failed day (unless the day is loaded).

    Returns the sentence kept in `ops.load_failures` (or "" when the day is loaded).
    """
    (loaded,) = con.execute(
        "select count(*) from ops.loads where export_date = ?", [export_date]
    ).fetchone()
    if loaded:
        return ""
    message = (
        f"no export for {export_date}: the folder {folder} does not exist, so add that "
        "day's export there and load it "
        f"(`backlog run --exports {Path(folder).parent} --date {export_date}`)."
    )
    record_load_failure(
        con,
        export_date,
        entity="tickets",
        source_file=f"{export_date}/",
        sha256=None,
        column=None,
        message=message,
    )
    return message


def clear_load_failure(con: duckdb.DuckDBPyConnection, export_date: date) -> None:
    """Forget a day's fatal load: the day has now loaded, or its loaded files are back."""
    con.execute("delete from ops.load_failures where export_date = ?", [export_date])
