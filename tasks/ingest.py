"""Daily export folders -> `raw` -> validated canonical rows in `staging`.

A load is one day's export folder, in one transaction: loading the same files
again changes nothing, a changed file replaces everything the day's earlier
load wrote, and a crash mid-load leaves the warehouse as it was.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from tasks import validate
from tasks.errors import BacklogError
from tasks.warehouse import read_sql

ENTITIES = ("tickets", "events")
FORMATS = ("csv", "jsonl", "parquet")
REQUIRED_COLUMNS = {
    "tickets": ("ticket_id", "created_at", "updated_at", "status", "requester_id"),
    "events": ("ticket_id", "occurred_at", "kind"),
}
CANONICAL_COLUMNS = {
    "tickets": [
        "ticket_id",
        "created_at",
        "updated_at",
        "status",
        "requester_id",
        "priority",
        "type",
        "channel",
        "group_name",
        "assignee_id",
        "organization_id",
        "customer_tier",
        "subject",
        "description",
        "tags",
        "solved_at",
        "first_reply_at",
        "satisfaction",
    ],
    "events": [
        "event_id",
        "ticket_id",
        "occurred_at",
        "kind",
        "from_value",
        "to_value",
        "author_id",
        "author_role",
        "public",
        "body",
    ],
}
STAGING_TABLES = {"tickets": "staging.stg_ticket_versions", "events": "staging.stg_events"}
DAY_FOLDER = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class ExportDay:
    """One day's export folder and the files found in it, by entity."""

    export_date: date
    folder: Path
    files: dict[str, Path]


@dataclass
class FileLoad:
    """What loading one file did: the ledger row."""

    entity: str
    source_file: str
    sha256: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    extra_columns: list[str] = field(default_factory=list)


@dataclass
class DayLoad:
    """What loading one day's folder did."""

    export_date: date
    skipped: bool
    files: list[FileLoad]


def discover_exports(
    root: Path, start: date | None = None, end: date | None = None
) -> list[ExportDay]:
    """The export folders under `root`, oldest first, optionally within [start, end]."""
    if not root.is_dir():
        raise BacklogError(
            f"Export folder {root} does not exist; pass --exports with the folder that "
            "holds one <YYYY-MM-DD> folder per day."
        )
    days = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and DAY_FOLDER.match(p.name)):
        try:
            export_date = date.fromisoformat(folder.name)
        except ValueError:
            continue
        if (start and export_date < start) or (end and export_date > end):
            continue
        days.append(ExportDay(export_date, folder, _find_files(folder)))
    return days


def export_day(root: Path, day: date) -> ExportDay:
    """The export folder of one day, or a clear error when it is not there."""
    found = discover_exports(root, day, day)
    if not found:
        raise BacklogError(
            f"No export for {day} under {root}; expected a folder {root / day.isoformat()} "
            "holding tickets.csv, tickets.jsonl or tickets.parquet."
        )
    return found[0]


def _find_files(folder: Path) -> dict[str, Path]:
    files: dict[str, Path] = {}
    for entity in ENTITIES:
        candidates = [
            folder / f"{entity}.{fmt}" for fmt in FORMATS if (folder / f"{entity}.{fmt}").is_file()
        ]
        if len(candidates) > 1:
            names = ", ".join(c.name for c in candidates)
            raise BacklogError(
                f"{folder} holds more than one {entity} file ({names}); keep exactly one."
            )
        if candidates:
            files[entity] = candidates[0]
    if "tickets" not in files:
        raise BacklogError(
            f"{folder} has no tickets file; expected tickets.csv, tickets.jsonl or tickets.parquet."
        )
    return files


def file_sha256(path: Path) -> str:
    """The sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_day(con: duckdb.DuckDBPyConnection, day: ExportDay, root: Path) -> DayLoad:
    """Load one day's export folder atomically; skip it when the same files are loaded."""
    hashes = {entity: file_sha256(path) for entity, path in day.files.items()}
    loaded = dict(
        con.execute(
            "select entity, sha256 from ops.loads where export_date = ?", [day.export_date]
        ).fetchall()
    )
    if loaded == hashes:
        return DayLoad(day.export_date, skipped=True, files=[])

    con.execute("begin transaction")
    try:
        _forget_day(con, day.export_date)
        results = [
            _load_file(con, day, entity, path, hashes[entity], root)
            for entity, path in sorted(day.files.items(), key=lambda item: ENTITIES.index(item[0]))
        ]
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    finally:
        for name in ("load_records", "load_typed", "load_bad"):
            con.execute(f"drop table if exists {name}")
    return DayLoad(day.export_date, skipped=False, files=results)


def _forget_day(con: duckdb.DuckDBPyConnection, export_date: date) -> None:
    """Remove everything an earlier load of this day wrote (a corrected re-export)."""
    for table in (
        "raw.tickets",
        "raw.events",
        "staging.stg_ticket_versions",
        "staging.stg_events",
        "ops.quarantine",
        "ops.validation_results",
        "ops.loads",
    ):
        con.execute(f"delete from {table} where export_date = ?", [export_date])


def _load_file(
    con: duckdb.DuckDBPyConnection,
    day: ExportDay,
    entity: str,
    path: Path,
    sha256: str,
    root: Path,
) -> FileLoad:
    source_file = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
    load_id = f"{day.export_date.isoformat()}/{entity}/{sha256[:16]}"
    result = FileLoad(entity=entity, source_file=source_file, sha256=sha256)

    columns = _read_records(con, path, load_id, day.export_date, source_file)
    _check_structure(entity, path, columns)
    result.extra_columns = sorted(set(columns) - set(CANONICAL_COLUMNS[entity]))
    result.rows_read = con.execute("select count(*) from load_records").fetchone()[0]
    con.execute(f"insert into raw.{entity} select * from load_records")

    con.execute(
        "create or replace temp table load_typed as " + read_sql(f"ingest/canonical__{entity}.sql")
    )
    outcome = validate.validate_load(con, entity, day.export_date)
    if outcome.fatal:
        raise BacklogError(f"{source_file}: {outcome.fatal}")
    con.execute(
        """
        insert into ops.quarantine
        select r.load_id, r.export_date, ?, r.source_file, r.row_number, b.reason, r.record
        from load_records as r
        join load_bad as b using (row_number)
        """,
        [entity],
    )
    staging = STAGING_TABLES[entity]
    target_columns = [row[0] for row in con.execute(f"describe {staging}").fetchall()]
    column_list = ", ".join(target_columns)
    con.execute(
        f"insert into {staging} ({column_list}) select {column_list} from load_typed "
        "where row_number not in (select row_number from load_bad)"
    )
    result.rows_quarantined = len(outcome.bad_rows)
    result.rows_loaded = result.rows_read - result.rows_quarantined
    con.executemany(
        "insert into ops.validation_results values (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [
                load_id,
                day.export_date,
                entity,
                check.expectation,
                check.column,
                check.severity,
                check.success,
                check.unexpected_count,
            ]
            for check in outcome.checks
        ],
    )
    con.execute(
        "insert into ops.loads values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            load_id,
            day.export_date,
            entity,
            source_file,
            path.suffix.lstrip("."),
            sha256,
            result.rows_read,
            result.rows_loaded,
            result.rows_quarantined,
            result.extra_columns,
            datetime.now(UTC),
        ],
    )
    return result


def _read_records(
    con: duckdb.DuckDBPyConnection, path: Path, load_id: str, export_date: date, source_file: str
) -> list[str]:
    """Read a file into the temp table `load_records`, one JSON record per row; its columns."""
    fmt = path.suffix.lstrip(".")
    reader = {
        "csv": "select to_json(t) as record "
        "from read_csv(?, all_varchar = true, header = true) as t",
        "parquet": "select to_json(t) as record from read_parquet(?) as t",
        "jsonl": "select json as record from read_json_objects(?, format = 'newline_delimited')",
    }[fmt]
    try:
        con.execute(
            f"""
            create or replace temp table load_records as
            select
                ?::varchar as load_id,
                ?::date as export_date,
                ?::varchar as source_file,
                row_number() over () as row_number,
                record,
            from ({reader})
            """,
            [load_id, export_date, source_file, str(path)],
        )
    except duckdb.Error as exc:
        detail = str(exc).splitlines()[0]
        raise BacklogError(
            f"{source_file} cannot be read as {fmt.upper()} ({detail}); "
            "re-export it or check its format."
        ) from exc
    keys = con.execute("select distinct unnest(json_keys(record)) from load_records").fetchall()
    return sorted(key for (key,) in keys)


def _check_structure(entity: str, path: Path, columns: list[str]) -> None:
    """Fatal problems of a whole file: no rows, or a required column absent."""
    if not columns:
        raise BacklogError(
            f"{path} holds no rows; a day with no {entity} should have no file, "
            "or re-export the day."
        )
    missing = [c for c in REQUIRED_COLUMNS[entity] if c not in columns]
    if missing:
        lowered = {c.lower().strip(): c for c in columns}
        hints = [f"{lowered[m]!r} looks like {m!r}" for m in missing if m in lowered]
        hint = f" ({'; '.join(hints)})" if hints else ""
        raise BacklogError(
            f"{path} lacks the required column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)}{hint}; the canonical {entity} format needs "
            f"{', '.join(REQUIRED_COLUMNS[entity])}."
        )
