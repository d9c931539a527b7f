"""Load export days into the warehouse, a batch of days in one transaction, with the ledger.

A load is one day's export folder: loading the same files again changes nothing, a
changed file replaces everything the day's earlier load wrote, and a crash mid-load
leaves the warehouse as it was. Every row of a file is accounted for: rows read = rows
loaded + rows quarantined, kept in the ledger `ops.loads`. A batch of days (the
backfill's) is read and typed (`tasks/ingest/stage.py`) and validated (`tasks/quality`,
one GX run per entity for the batch) before its transaction opens, so a day with a
fatal file (`ExportFileError`, kept in `ops.load_failures` for the digest) is left out
without touching its neighbours; the other days then load in one transaction, each
with its own ledger rows, and a crash in it leaves only the days of earlier batches.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from tasks import quality, warehouse
from tasks.adapters import DayFiles, LoadUnit, get_adapter, unit_sha256
from tasks.adapters.files import ExportFileError
from tasks.config import QualitySettings
from tasks.contract import ENTITIES, ENTITY
from tasks.extensions import NONE as NO_EXTENSIONS
from tasks.extensions import Extensions
from tasks.ingest.discover import ExportDay
from tasks.ingest.stage import StagedFile, drop_tables, source_file_name, stage_file, use
from tasks.quality import FileLoad, SuiteRunner
from tasks.warehouse import read_sql

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
Hashes = dict[str, str] | dict[Path, str]


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
    (outcome,) = load_days(con, [day], root, quality_settings, ext, runner)
    if isinstance(outcome, ExportFileError):
        raise outcome
    return outcome


def load_days(
    con: duckdb.DuckDBPyConnection,
    days: Sequence[ExportDay],
    root: Path,
    quality_settings: QualitySettings | None = None,
    ext: Extensions = NO_EXTENSIONS,
    runner: SuiteRunner | None = None,
    staged: StagedDays | None = None,
) -> list[DayLoad | ExportFileError]:
    """Load a batch of days (oldest first) in one transaction; each day's outcome, in order.

    A day whose files are already loaded is skipped; a day with a fatal file gets its
    `ExportFileError` (recorded in `ops.load_failures`, an earlier load of it stays) and
    the others load. The batch's rows are held in DuckDB temp tables until the commit,
    so a batch's memory grows with its days: the backfill sizes its batches. `staged`:
    the batch already read and typed by `stage_days` (on its own connection, which then
    validates and stores it; the backfill stages the next batch while this one loads).
    """
    settings = quality_settings or QualitySettings()
    runner = runner or SuiteRunner()
    runner.preload(ext)  # GX's import overlaps with reading and typing the files
    if staged is None:
        staged = stage_days(con, days, root, settings)
    try:
        staged.record_failures(root)
        _validate_and_store(staged, root, settings, ext, runner)
    finally:
        staged.drop_tables()
        if staged.con is not con:  # staged ahead on a connection of its own
            staged.con.close()
    return [outcome for outcome in staged.outcomes if outcome is not None]


@dataclass
class StagedDays:
    """A batch read and typed into the temp tables of `con`, not validated, nothing written.

    `outcomes` holds the days already settled (skipped; fatal while reading), `staged`
    each other day's files, `failures` the fatal days' errors to record in
    `ops.load_failures`, `unchanged` the skipped days whose old failure to clear: the
    warehouse is written only by `load_days`, so staging may run beside a batch's load.
    """

    con: duckdb.DuckDBPyConnection
    days: Sequence[ExportDay]
    source_timezone: str
    outcomes: list[DayLoad | ExportFileError | None]
    staged: dict[int, list[StagedFile]] = field(default_factory=dict)
    hashes: dict[int, Hashes] = field(default_factory=dict)
    numbers: list[int] = field(default_factory=list)
    failures: dict[int, Hashes] = field(default_factory=dict)
    unchanged: list[date] = field(default_factory=list)

    def record_failures(self, root: Path) -> None:
        """Write what staging found to `ops.load_failures`: skipped days cleared, fatal
        files kept (each day's own row, in day order)."""
        for export_date in self.unchanged:
            quality.clear_load_failure(self.con, export_date)
        for position, hashes in self.failures.items():
            error = self.outcomes[position]
            assert isinstance(error, ExportFileError)
            _failed(self.con, self.days[position], root, hashes, error)
        self.unchanged, self.failures = [], {}

    def drop_tables(self) -> None:
        """Drop every temp table of the batch's files."""
        drop_tables(self.con, None)
        for number in self.numbers:
            drop_tables(self.con, number)


def stage_days(
    con: duckdb.DuckDBPyConnection,
    days: Sequence[ExportDay],
    root: Path,
    settings: QualitySettings,
) -> StagedDays:
    """Read and type a batch's files into temp tables of `con`; writes nothing else.

    A day whose files are already loaded is settled as skipped, a day with a file that
    cannot be read as failed (recorded when the batch loads, `StagedDays.record_failures`).
    """
    batch = StagedDays(con, days, _source_timezone(con), [None] * len(days))
    try:
        for position, day in enumerate(days):
            planned = _plan_day(con, day, root)
            if planned is None:
                batch.unchanged.append(day.export_date)
                batch.outcomes[position] = DayLoad(day.export_date, skipped=True, files=[])
                continue
            files: list[StagedFile] = []
            try:
                plan = planned[0]() if callable(planned[0]) else planned[0]
                for entity, path, sha256, unit in plan:
                    batch.numbers.append(len(batch.numbers))
                    files.append(
                        stage_file(
                            con,
                            batch.numbers[-1],
                            day,
                            entity,
                            path,
                            sha256,
                            root,
                            settings,
                            batch.source_timezone,
                            unit,
                        )
                    )
            except ExportFileError as exc:
                batch.outcomes[position] = exc
                batch.failures[position] = planned[1]
                continue
            batch.staged[position] = files
            batch.hashes[position] = planned[1]
    except BaseException:
        batch.drop_tables()
        raise
    return batch


def _validate_and_store(
    batch: StagedDays,
    root: Path,
    settings: QualitySettings,
    ext: Extensions,
    runner: SuiteRunner,
) -> None:
    """Validate the staged days in one go, leave out the fatal ones, store the rest
    (on the batch's connection; each day's outcome into `batch.outcomes`)."""
    con, days, staged, hashes, outcomes = (
        batch.con,
        batch.days,
        batch.staged,
        batch.hashes,
        batch.outcomes,
    )
    files = [file for day_files in staged.values() for file in day_files]
    if not files:
        return
    validations, runs = quality.validate_loads(
        con,
        [
            quality.LoadToValidate(
                file.entity,
                file.day.export_date,
                file.load_id,
                f"{file.day.export_date.isoformat()}_{file.entity}_{file.sha256[:12]}",
            )
            for file in files
        ],
        ext,
        runner=runner,
        source_timezone=batch.source_timezone,
        use=lambda index: use(con, files[index].number),
    )
    outcome_of = {
        file.number: validation for file, validation in zip(files, validations, strict=True)
    }
    failed: set[str] = set()
    for position, day_files in list(staged.items()):
        fatal = next((file for file in day_files if outcome_of[file.number].fatal), None)
        if fatal is None:
            continue
        error = ExportFileError(
            f"{fatal.path}: {outcome_of[fatal.number].fatal}; expected {fatal.expected}, "
            "so fix the export and load the day again.",
            path=fatal.path,
            entity=fatal.entity,
        )
        outcomes[position] = _failed(con, days[position], root, hashes[position], error)
        failed.update(file.load_id for file in day_files)
        del staged[position]
    if not staged:
        return
    con.execute("begin transaction")
    try:
        for position, day_files in staged.items():
            day = days[position]
            forget_day(con, day.export_date)
            results = []
            for file in day_files:
                with use(con, file.number):
                    results.append(_store_file(con, file, outcome_of[file.number], settings))
            checks = quality.volume_checks(con, day.export_date, settings)
            quality.record_checks(con, checks)
            quality.clear_load_failure(con, day.export_date)
            outcomes[position] = DayLoad(day.export_date, False, results, checks)
        quality.store_runs(con, [run for run in runs if run.load_id not in failed])
        warehouse.commit_without_vacuum(con)
    except BaseException:
        con.execute("rollback")
        raise


def _failed(
    con: duckdb.DuckDBPyConnection,
    day: ExportDay,
    root: Path,
    hashes: Hashes,
    exc: ExportFileError,
) -> ExportFileError:
    """Keep a fatal file's failure in `ops.load_failures` (outside any load); the error."""
    quality.record_load_failure(
        con,
        day.export_date,
        entity=exc.entity,
        source_file=_source_file(exc.path, root),
        sha256=hashes.get(exc.entity) or hashes.get(exc.path),  # type: ignore[call-overload]
        column=exc.column,
        message=str(exc),
    )
    return exc


def _plan_day(
    con: duckdb.DuckDBPyConnection, day: ExportDay, root: Path
) -> tuple[Plan | Callable[[], Plan], Hashes] | None:
    """The files (or vendor units) to load for a day and their fingerprints; None to skip.

    A day is skipped when every file's fingerprint is already loaded for it.
    """
    if day.source != "canonical":
        return _plan_vendor_day(con, day, root)
    hashes = {entity: file_sha256(path) for entity, path in day.files.items()}
    loaded = dict(
        con.execute(
            "select entity, sha256 from ops.loads where export_date = ?", [day.export_date]
        ).fetchall()
    )
    if loaded == hashes:
        return None
    plan = [
        (entity, path, hashes[entity], None)
        for entity, path in sorted(day.files.items(), key=lambda item: ENTITIES.index(item[0]))
    ]
    return plan, hashes


def _plan_vendor_day(
    con: duckdb.DuckDBPyConnection, day: ExportDay, root: Path
) -> tuple[Callable[[], Plan], Hashes] | None:
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
        return None

    def plan() -> Plan:
        units = adapter.read_day(DayFiles(day.vendor_files, day.vendor_aux), hashes)
        units.sort(key=lambda unit: ENTITIES.index(unit.entity))
        return [(unit.entity, unit.path, unit.sha256, unit) for unit in units]

    return plan, dict(hashes)


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
    return source_file_name(path, root)


def _store_file(
    con: duckdb.DuckDBPyConnection,
    file: StagedFile,
    outcome: quality.ValidationOutcome,
    settings: QualitySettings,
) -> FileLoad:
    """Write one validated file (its temp tables under their names): raw, staging, ledger."""
    entity, day, result, load_id = file.entity, file.day, file.result, file.load_id
    raw_record = "coalesce(fix.record, records.record)" if file.raw_fixed else "records.record"
    raw_join = "left join load_raw_fix as fix using (row_number)" if file.raw_fixed else ""
    con.execute(
        f"insert into raw.{entity} "
        "(load_id, export_date, source_file, row_number, record, line_number, raw_text) "
        "select records.load_id, records.export_date, records.source_file, "
        f"records.row_number, {raw_record}, records.line_number, "
        "case when records.record is null then records.raw_text end "
        f"from load_records as records {raw_join}"
    )
    # a repair is kept (and counted among the checks run) when it repaired a row
    outcome.checks.extend(check for check in file.repairs if not check.success)
    con.execute(
        "insert into ops.quarantine (load_id, export_date, entity, source_file, row_number, "
        "reason, record, line_number, raw_text) "
        + read_sql("queries/ingest/ledger__quarantine_rows.sql"),
        {"entity": entity},
    )
    staging = ENTITY[entity].staging_table
    target_columns = [row[0] for row in con.execute(f"describe {staging}").fetchall()]
    column_list = ", ".join(target_columns)
    (result.rows_loaded,) = con.execute(  # an insert answers the rows it inserted
        f"insert into {staging} ({column_list}) select {column_list} from load_typed "
        "where row_number not in (select row_number from load_bad)"
    ).fetchone()
    result.rows_quarantined = len(outcome.bad_rows)
    if result.rows_loaded + result.rows_quarantined != result.rows_read:
        raise RuntimeError(
            f"ledger broken for {result.source_file}: read {result.rows_read}, loaded "
            f"{result.rows_loaded}, quarantined {result.rows_quarantined}"
        )
    result.rows_folded = outcome.rows_folded
    result.validation_seconds = outcome.seconds
    warehouse.insert_rows(
        con,
        "insert into ops.validation_results (load_id, export_date, entity, expectation, "
        "column_name, severity, success, unexpected_count, message) values",
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
    result.new_columns = _new_columns(con, entity, day.export_date, result.extra_columns)
    con.execute(
        "insert into ops.loads values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            load_id,
            day.export_date,
            entity,
            result.source_file,
            file.path.suffix.lstrip("."),
            file.sha256,
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
