"""Load one export day into the warehouse in one transaction, with its ledger; forget a day.

A load is one day's export folder, in one transaction: loading the same files again
changes nothing, a changed file replaces everything the day's earlier load wrote, and
a crash mid-load leaves the warehouse as it was. Every row of a file is accounted for:
rows read = rows loaded + rows quarantined, kept in the ledger `ops.loads`.
The readers (`tasks/adapters`) fill the temp table `load_records`; the typing query
(`sql/queries/ingest/canonical__<entity>.sql`) casts it into `load_typed`; validation
(`tasks/quality`) decides which rows are quarantined. A problem of a whole file
raises `ExportFileError`: the day rolls back and the failure is kept in
`ops.load_failures` for the digest.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from tasks import quality, warehouse
from tasks.adapters import DayFiles, LoadUnit, get_adapter, unit_sha256
from tasks.adapters.canonical import read_records, unit_records
from tasks.adapters.files import ExportFileError
from tasks.config import QualitySettings
from tasks.contract import CANONICAL_COLUMNS, ENTITIES, ENTITY
from tasks.extensions import NONE as NO_EXTENSIONS
from tasks.extensions import Extensions
from tasks.ingest.discover import ExportDay
from tasks.quality import FileLoad, SuiteRunner
from tasks.warehouse import read_sql

TEMP_TABLES = ("load_records", "load_typed", "load_bad")
# What a load of a day writes, so a new load of the day removes it first.
DAY_TABLES = (
    *(ENTITY[entity].raw_table for entity in ENTITIES),
    *(ENTITY[entity].staging_table for entity in ENTITIES),
    "ops.quarantine",
    "ops.validation_results",
    "ops.validation_runs",
    "ops.quality_checks",
    "ops.loads",
)
Plan = list[tuple[str, Path, str, LoadUnit | None]]


@dataclass
class DayLoad:
    """What loading one day's folder did."""

    export_date: date
    skipped: bool
    files: list[FileLoad]
    checks: list[quality.QualityCheck] = field(default_factory=list)


def file_sha256(path: Path) -> str:
    """The sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_day(
    con: duckdb.DuckDBPyConnection,
    day: ExportDay,
    root: Path,
    quality_settings: QualitySettings | None = None,
    ext: Extensions = NO_EXTENSIONS,
    runner: SuiteRunner | None = None,
) -> DayLoad:
    """Load one day's export folder atomically; skip it when the same files are loaded.

    Raises `ExportFileError` when a file is fatal: nothing of the day is loaded (an
    earlier load of it stays), and the failure is recorded in `ops.load_failures`.
    `ext` adds the extension folders' expectations to the suites. `runner` holds the
    GX set-up: pass the run's one runner to every load of a run (without one, this
    load sets GX up for itself; the import itself happens once per process).
    """
    settings = quality_settings or QualitySettings()
    runner = runner or SuiteRunner()
    if day.source != "canonical":
        return _load_vendor_day(con, day, root, settings, ext, runner)
    hashes = {entity: file_sha256(path) for entity, path in day.files.items()}
    loaded = dict(
        con.execute(
            "select entity, sha256 from ops.loads where export_date = ?", [day.export_date]
        ).fetchall()
    )
    if loaded == hashes:
        quality.clear_load_failure(con, day.export_date)
        return DayLoad(day.export_date, skipped=True, files=[])
    plan = [
        (entity, path, hashes[entity], None)
        for entity, path in sorted(day.files.items(), key=lambda item: ENTITIES.index(item[0]))
    ]
    return _load_plan(con, day, root, settings, plan, hashes, ext, runner)


def _load_vendor_day(
    con: duckdb.DuckDBPyConnection,
    day: ExportDay,
    root: Path,
    settings: QualitySettings,
    ext: Extensions,
    runner: SuiteRunner,
) -> DayLoad:
    """A vendor day: its adapter turns the files into canonical load units.

    Each unit (one entity read from one file) is validated and ledgered as a canonical
    file is. The day is skipped when every unit's file fingerprint is already loaded.
    """
    adapter = get_adapter(day.source)
    hashes = {path: file_sha256(path) for path in (*day.vendor_files, *day.vendor_aux)}
    aux_hashes = [hashes[path] for path in day.vendor_aux]
    expected = {
        (entity, _source_file(path, root), unit_sha256(hashes[path], aux_hashes))
        for path in day.vendor_files
        for entity in adapter.entities(path)
    }
    loaded = set(
        con.execute(
            "select entity, source_file, sha256 from ops.loads where export_date = ?",
            [day.export_date],
        ).fetchall()
    )
    if loaded == expected:
        quality.clear_load_failure(con, day.export_date)
        return DayLoad(day.export_date, skipped=True, files=[])

    def plan() -> Plan:
        units = adapter.read_day(DayFiles(day.vendor_files, day.vendor_aux), hashes)
        units.sort(key=lambda unit: ENTITIES.index(unit.entity))
        return [(unit.entity, unit.path, unit.sha256, unit) for unit in units]

    return _load_plan(con, day, root, settings, plan, dict(hashes), ext, runner)


def _load_plan(
    con: duckdb.DuckDBPyConnection,
    day: ExportDay,
    root: Path,
    settings: QualitySettings,
    plan: Plan | Callable[[], Plan],
    hashes: dict[str, str] | dict[Path, str],
    ext: Extensions,
    runner: SuiteRunner,
) -> DayLoad:
    """Load the files (or vendor units) of one day in one transaction."""
    runner.preload(ext)  # GX's import overlaps with reading and typing the files
    source_timezone = _source_timezone(con)
    con.execute("begin transaction")
    try:
        forget_day(con, day.export_date)
        steps = plan() if callable(plan) else plan
        results = [
            _load_file(
                con, day, entity, path, sha256, root, settings, ext, runner, source_timezone, unit
            )
            for entity, path, sha256, unit in steps
        ]
        checks = quality.volume_checks(con, day.export_date, settings)
        quality.record_checks(con, checks)
        quality.clear_load_failure(con, day.export_date)
        warehouse.commit_without_vacuum(con)
    except ExportFileError as exc:
        con.execute("rollback")
        quality.record_load_failure(
            con,
            day.export_date,
            entity=exc.entity,
            source_file=_source_file(exc.path, root),
            sha256=hashes.get(exc.entity) or hashes.get(exc.path),  # type: ignore[call-overload]
            column=exc.column,
            message=str(exc),
        )
        raise
    except BaseException:
        con.execute("rollback")
        raise
    finally:
        for name in TEMP_TABLES:
            con.execute(f"drop table if exists {name}")
    return DayLoad(day.export_date, skipped=False, files=results, checks=checks)


def forget_day(con: duckdb.DuckDBPyConnection, export_date: date) -> None:
    """Remove everything a load of this day wrote (a corrected re-export replaces it).

    Runs inside the caller's transaction; the failure ledger is left as it is.
    """
    for table in DAY_TABLES:
        con.execute(f"delete from {table} where export_date = ?", [export_date])


def _source_timezone(con: duckdb.DuckDBPyConnection) -> str:
    """The zone of naive export timestamps, as `warehouse.connect` set it from the settings."""
    return con.execute("select getvariable('source_timezone')").fetchone()[0]


def _source_file(path: Path, root: Path) -> str:
    """A file's name in the ledger: its path under the exports folder."""
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)


def _load_file(
    con: duckdb.DuckDBPyConnection,
    day: ExportDay,
    entity: str,
    path: Path,
    sha256: str,
    root: Path,
    settings: QualitySettings,
    ext: Extensions,
    runner: SuiteRunner,
    source_timezone: str,
    unit: LoadUnit | None = None,
) -> FileLoad:
    """Read, type, validate and stage one file (or vendor unit); its ledger row."""
    source_file = _source_file(path, root)
    load_id = f"{day.export_date.isoformat()}/{entity}/{sha256[:16]}"
    expected = f"rows in the canonical {entity} format"
    if unit is not None:  # a vendor file: the id also names the file (pages may repeat)
        named = hashlib.sha256(f"{source_file}:{sha256}".encode()).hexdigest()
        load_id = f"{day.export_date.isoformat()}/{entity}/{named[:16]}"
        expected = unit.expected
    result = FileLoad(entity=entity, source_file=source_file, sha256=sha256)

    if unit is None:
        columns, renamed = read_records(con, path, entity, load_id, day.export_date, source_file)
    else:
        columns, renamed = unit_records(con, unit, load_id, day.export_date, source_file)
    result.renamed_columns = renamed
    result.extra_columns = sorted(set(columns) - set(CANONICAL_COLUMNS[entity]))
    result.rows_read = con.execute("select count(*) from load_records").fetchone()[0]
    con.execute(
        f"insert into raw.{entity} "
        "(load_id, export_date, source_file, row_number, record, line_number, raw_text) "
        "select load_id, export_date, source_file, row_number, record, line_number, "
        "case when record is null then raw_text end from load_records"
    )

    repairs = [quality.strip_nul_bytes(con)]  # after raw: raw keeps the rows as read
    con.execute(
        "create or replace temp table load_typed as "
        + read_sql(f"queries/ingest/canonical__{entity}.sql"),
        # a vendor unit's records may hold keys its column list does not name
        {
            "source_timezone": source_timezone,
            "has_extra": bool(result.extra_columns) or unit is not None,
        },
    )
    repairs += quality.clamp_clock_skew(con, entity, settings.clock_skew_minutes)
    run_name = f"{day.export_date.isoformat()}_{entity}_{sha256[:12]}"
    outcome = quality.validate_load(
        con,
        entity,
        day.export_date,
        ext,
        run_name=run_name,
        runner=runner,
        source_timezone=source_timezone,
    )
    # a repair is kept (and counted among the checks run) when it repaired a row
    outcome.checks.extend(check for check in repairs if not check.success)
    if outcome.fatal:
        raise ExportFileError(
            f"{path}: {outcome.fatal}; expected {expected}, "
            "so fix the export and load the day again.",
            path=path,
            entity=entity,
        )
    con.execute(
        "insert into ops.quarantine (load_id, export_date, entity, source_file, row_number, "
        "reason, record, line_number, raw_text) "
        + read_sql("queries/ingest/ledger__quarantine_rows.sql"),
        {"entity": entity},
    )
    staging = ENTITY[entity].staging_table
    target_columns = [row[0] for row in con.execute(f"describe {staging}").fetchall()]
    column_list = ", ".join(target_columns)
    con.execute(
        f"insert into {staging} ({column_list}) select {column_list} from load_typed "
        "where row_number not in (select row_number from load_bad)"
    )
    result.rows_quarantined = len(outcome.bad_rows)
    result.rows_loaded = con.execute(
        "select count(*) from load_typed where row_number not in (select row_number from load_bad)"
    ).fetchone()[0]
    if result.rows_loaded + result.rows_quarantined != result.rows_read:
        raise RuntimeError(
            f"ledger broken for {source_file}: read {result.rows_read}, loaded "
            f"{result.rows_loaded}, quarantined {result.rows_quarantined}"
        )
    result.rows_folded = outcome.rows_folded
    result.validation_seconds = outcome.seconds
    con.executemany(
        "insert into ops.validation_results (load_id, export_date, entity, expectation, "
        "column_name, severity, success, unexpected_count, message) "
        "values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                check.message,
            ]
            for check in outcome.checks
        ],
    )
    quality.store_run(con, load_id, day.export_date, entity, outcome)
    result.new_columns = _new_columns(con, entity, day.export_date, result.extra_columns)
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
    quality.record_checks(con, quality.file_checks(day.export_date, result, settings))
    return result


def _new_columns(
    con: duckdb.DuckDBPyConnection, entity: str, export_date: date, extra_columns: list[str]
) -> list[str]:
    """Unknown columns that earlier exports of this entity lacked: schema drift to report.

    The first export of an entity has nothing to compare with: its unknown columns are
    kept in `extra` as every later one is, and none of them is new.
    """
    earlier_loads, seen = con.execute(
        read_sql("queries/ingest/ledger__earlier_extra_columns.sql"),
        {"entity": entity, "export_date": export_date},
    ).fetchone()
    if not earlier_loads:
        return []
    known = set(seen)
    return [column for column in extra_columns if column not in known]
