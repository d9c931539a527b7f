"""Daily export folders -> `raw` -> validated canonical rows in `staging`.

A load is one day's export folder, in one transaction: loading the same files
again changes nothing, a changed file replaces everything the day's earlier
load wrote, and a crash mid-load leaves the warehouse as it was.

Every row of a file is accounted for (SPEC 4): rows read = rows loaded + rows
quarantined. CSV and JSONL files are read here, record by record, so a line the
CSV grammar cannot fit into the header's columns (a truncated line, a stray
delimiter, bytes that are not UTF-8, a NUL byte) becomes a quarantined row with
its text, never a silently dropped or merged one; a quoted newline stays inside
its row. A problem of the whole file (SPEC 6, structural) raises
`ExportFileError`: the day rolls back and the failure is kept in
`ops.load_failures` for the digest.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from tasks import quality, validate, warehouse
from tasks.config import QualitySettings
from tasks.errors import BacklogError
from tasks.extensions import NONE as NO_EXTENSIONS
from tasks.extensions import Extensions
from tasks.warehouse import read_sql

if TYPE_CHECKING:
    from collections.abc import Callable

    from tasks.adapters import LoadUnit

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
TEMP_TABLES = ("load_records", "load_typed", "load_bad")
# Text a decoder could not read as UTF-8 (surrogateescape) / any real non-ASCII character.
_UNDECODABLE = re.compile("[\udc80-\udcff]")
_UTF8_TEXT = re.compile("[^\x00-\x7f\udc80-\udcff]")
_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)
# A description longer than csv's default 128 KiB field limit is still one field.
csv.field_size_limit(2**31 - 1)


class ExportFileError(BacklogError):
    """A fatal problem of one export file (SPEC 6, structural): its day is not loaded.

    The message is one sentence naming the file, the column when there is one, and
    what was expected.
    """

    def __init__(self, message: str, *, path: Path, entity: str, column: str | None = None):
        super().__init__(message)
        self.path = path
        self.entity = entity
        self.column = column


@dataclass(frozen=True)
class ExportDay:
    """One day's export folder and the files found in it, by entity."""

    export_date: date
    folder: Path
    files: dict[str, Path]
    source: str = "canonical"
    vendor_files: tuple[Path, ...] = ()
    vendor_aux: tuple[Path, ...] = ()


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


@dataclass
class DayLoad:
    """What loading one day's folder did."""

    export_date: date
    skipped: bool
    files: list[FileLoad]
    checks: list[quality.QualityCheck] = field(default_factory=list)


def discover_exports(
    root: Path, start: date | None = None, end: date | None = None, source: str = "canonical"
) -> list[ExportDay]:
    """The export folders under `root`, oldest first, optionally within [start, end].

    `source` (SPEC 3.2: canonical, zendesk, freshdesk, mapping:<file.toml>) decides which
    files of a folder are read.
    """
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
        days.append(_export_day(export_date, folder, source))
    return days


def _export_day(export_date: date, folder: Path, source: str) -> ExportDay:
    """A day's folder and its files, found as the source lays them out."""
    if source == "canonical":
        return ExportDay(export_date, folder, _find_files(folder))
    from tasks.adapters import get_adapter

    found = get_adapter(source).find_files(folder)
    return ExportDay(export_date, folder, {}, source, found.data, found.aux)


def export_day(root: Path, day: date, source: str = "canonical") -> ExportDay:
    """The export folder of one day, or a clear error when it is not there."""
    found = discover_exports(root, day, day, source)
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


def load_day(
    con: duckdb.DuckDBPyConnection,
    day: ExportDay,
    root: Path,
    quality_settings: QualitySettings | None = None,
    ext: Extensions = NO_EXTENSIONS,
) -> DayLoad:
    """Load one day's export folder atomically; skip it when the same files are loaded.

    Raises `ExportFileError` when a file is fatal: nothing of the day is loaded (an
    earlier load of it stays), and the failure is recorded in `ops.load_failures`.
    `ext` adds the extension folders' expectations to the suites.
    """
    settings = quality_settings or QualitySettings()
    if day.source != "canonical":
        return _load_vendor_day(con, day, root, settings, ext)
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
    return _load_plan(con, day, root, settings, plan, hashes, ext)


def _load_vendor_day(
    con: duckdb.DuckDBPyConnection,
    day: ExportDay,
    root: Path,
    settings: QualitySettings,
    ext: Extensions,
) -> DayLoad:
    """A vendor day (SPEC 3.2): its adapter turns the files into canonical load units.

    Each unit (one entity read from one file) is validated and ledgered as a canonical
    file is. The day is skipped when every unit's file fingerprint is already loaded.
    """
    from tasks.adapters import get_adapter, unit_sha256

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
    from tasks.adapters import DayFiles

    def plan() -> list[tuple[str, Path, str, LoadUnit | None]]:
        units = adapter.read_day(DayFiles(day.vendor_files, day.vendor_aux), hashes)
        units.sort(key=lambda unit: ENTITIES.index(unit.entity))
        return [(unit.entity, unit.path, unit.sha256, unit) for unit in units]

    return _load_plan(con, day, root, settings, plan, dict(hashes), ext)


def _load_plan(
    con: duckdb.DuckDBPyConnection,
    day: ExportDay,
    root: Path,
    settings: QualitySettings,
    plan: list[tuple[str, Path, str, LoadUnit | None]]
    | Callable[[], list[tuple[str, Path, str, LoadUnit | None]]],
    hashes: dict[str, str] | dict[Path, str],
    ext: Extensions,
) -> DayLoad:
    """Load the files (or vendor units) of one day in one transaction."""
    validate.preload(ext)  # GX's import overlaps with reading and typing the files
    con.execute("begin transaction")
    try:
        _forget_day(con, day.export_date)
        steps = plan() if callable(plan) else plan
        results = [
            _load_file(con, day, entity, path, sha256, root, settings, ext, unit)
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


def _forget_day(con: duckdb.DuckDBPyConnection, export_date: date) -> None:
    """Remove everything an earlier load of this day wrote (a corrected re-export)."""
    for table in (
        "raw.tickets",
        "raw.events",
        "staging.stg_ticket_versions",
        "staging.stg_events",
        "ops.quarantine",
        "ops.validation_results",
        "ops.validation_runs",
        "ops.quality_checks",
        "ops.loads",
    ):
        con.execute(f"delete from {table} where export_date = ?", [export_date])


def _source_file(path: Path, root: Path) -> str:
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
    unit: LoadUnit | None = None,
) -> FileLoad:
    source_file = _source_file(path, root)
    load_id = f"{day.export_date.isoformat()}/{entity}/{sha256[:16]}"
    expected = f"rows in the canonical {entity} format"
    if unit is not None:  # a vendor file: the id also names the file (pages may repeat)
        named = hashlib.sha256(f"{source_file}:{sha256}".encode()).hexdigest()
        load_id = f"{day.export_date.isoformat()}/{entity}/{named[:16]}"
        expected = unit.expected
    result = FileLoad(entity=entity, source_file=source_file, sha256=sha256)

    if unit is None:
        columns, renamed = _read_records(con, path, entity, load_id, day.export_date, source_file)
    else:
        columns, renamed = _unit_records(con, unit, load_id, day.export_date, source_file)
    result.renamed_columns = renamed
    result.extra_columns = sorted(set(columns) - set(CANONICAL_COLUMNS[entity]))
    result.rows_read = con.execute("select count(*) from load_records").fetchone()[0]
    con.execute(
        f"insert into raw.{entity} "
        "(load_id, export_date, source_file, row_number, record, line_number, raw_text) "
        "select load_id, export_date, source_file, row_number, record, line_number, "
        "case when record is null then raw_text end from load_records"
    )

    con.execute(
        "create or replace temp table load_typed as " + read_sql(f"ingest/canonical__{entity}.sql")
    )
    run_name = f"{day.export_date.isoformat()}_{entity}_{sha256[:12]}"
    outcome = validate.validate_load(con, entity, day.export_date, ext, run_name=run_name)
    if outcome.fatal:
        raise ExportFileError(
            f"{path}: {outcome.fatal}; expected {expected}, "
            "so fix the export and load the day again.",
            path=path,
            entity=entity,
        )
    con.execute(
        """
        insert into ops.quarantine (
            load_id, export_date, entity, source_file, row_number, reason, record,
            line_number, raw_text
        )
        select
            records.load_id, records.export_date, ?, records.source_file, records.row_number,
            bad.reason, records.record, records.line_number, records.raw_text,
        from load_records as records
        inner join load_bad as bad using (row_number)
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
    validate.store_run(con, load_id, day.export_date, entity, outcome)
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
    """Unknown columns no earlier export of this entity had: schema drift to report."""
    seen = {
        column
        for (column,) in con.execute(
            "select distinct unnest(extra_columns) from ops.loads "
            "where entity = ? and export_date < ?",
            [entity, export_date],
        ).fetchall()
    }
    return [column for column in extra_columns if column not in seen]


# --------------------------------------------------------------------------- reading


@dataclass
class _Rows:
    """Rows read from a CSV or JSONL file, column-wise, before they go to DuckDB."""

    row_number: list[int] = field(default_factory=list)
    line_number: list[int] = field(default_factory=list)
    raw_text: list[str] = field(default_factory=list)
    problem: list[str | None] = field(default_factory=list)

    def add(self, line: int, raw: str, problem: str | None) -> None:
        self.row_number.append(len(self.row_number) + 1)
        self.line_number.append(line)
        self.raw_text.append(raw)
        self.problem.append(problem)

    def frame(self, values: dict[str, list[Any]]) -> Any:
        import numpy as np
        import pandas as pd

        columns = {
            "row_number": np.array(self.row_number, dtype=np.int64),
            "line_number": np.array(self.line_number, dtype=np.int64),
            "raw_text": _objects(self.raw_text),
            "problem": _objects(self.problem),
        }
        columns.update({name: _objects(column) for name, column in values.items()})
        return pd.DataFrame(columns, copy=False)


def _unit_records(
    con: duckdb.DuckDBPyConnection,
    unit: LoadUnit,
    load_id: str,
    export_date: date,
    source_file: str,
) -> tuple[list[str], dict[str, str]]:
    """Put a vendor load unit's canonical records into `load_records`."""
    if not unit.rows:
        raise ExportFileError(
            f"{unit.path} has no {unit.entity[:-1]} rows; expected {unit.expected}, so "
            "re-export the day.",
            path=unit.path,
            entity=unit.entity,
        )
    rows = _Rows()
    records: list[str | None] = []
    for row in unit.rows:
        rows.add(row.line_number or 0, row.raw_text, row.problem)
        records.append(
            json.dumps(row.record, ensure_ascii=False, default=str)
            if row.record is not None and row.problem is None
            else None
        )
    frame = rows.frame({"record": records})
    frame["line_number"] = [row.line_number for row in unit.rows]
    con.register("load_frame", frame)
    try:
        con.execute(
            """
            create or replace temp table load_records as
            select
                ?::varchar as load_id,
                ?::date as export_date,
                ?::varchar as source_file,
                row_number,
                line_number::bigint as line_number,
                record::json as record,
                raw_text::varchar as raw_text,
                problem::varchar as problem,
            from load_frame
            order by row_number
            """,
            [load_id, export_date, source_file],
        )
    finally:
        con.unregister("load_frame")
    return list(unit.columns), dict(unit.renamed)


def _objects(values: list[Any]) -> Any:
    import numpy as np

    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _read_records(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    entity: str,
    load_id: str,
    export_date: date,
    source_file: str,
) -> tuple[list[str], dict[str, str]]:
    """Read a file into the temp table `load_records`; its columns and case renames.

    `load_records` holds one row per record: row_number, line_number, record (JSON,
    keyed by column; null when the row could not be split into columns), raw_text
    (the row as in the file) and problem (why it could not be split).
    """
    fmt = path.suffix.lstrip(".")
    if fmt == "parquet":
        return _read_parquet(con, path, entity, load_id, export_date, source_file)
    text, has_bad_bytes = _decode(path, entity)
    if fmt == "csv":
        rows, columns, renamed, values = _parse_csv(text, has_bad_bytes, path, entity)
        pairs = ", ".join(f"?, nullif(c{i}::varchar, '')" for i in range(len(columns)))
        record_sql = f"case when problem is null then json_object({pairs}) end"
        frame = rows.frame({f"c{i}": column for i, column in enumerate(values)})
        parameters: list[Any] = list(columns)
    else:
        rows, columns, renamed, records = _parse_jsonl(text, has_bad_bytes, path, entity)
        record_sql = "record::json"
        frame = rows.frame({"record": records})
        parameters = []
    if not rows.row_number:
        raise ExportFileError(
            f"{path} has a header but no rows; expected at least one {entity[:-1]} row, so "
            "re-export the day.",
            path=path,
            entity=entity,
        )
    con.register("load_frame", frame)
    try:
        con.execute(
            f"""
            create or replace temp table load_records as
            select
                ?::varchar as load_id,
                ?::date as export_date,
                ?::varchar as source_file,
                row_number,
                line_number,
                {record_sql} as record,
                raw_text::varchar as raw_text,
                problem::varchar as problem,
            from load_frame
            order by row_number
            """,
            [load_id, export_date, source_file, *parameters],
        )
    finally:
        con.unregister("load_frame")
    return columns, renamed


def _decode(path: Path, entity: str) -> tuple[str, bool]:
    """A file's text; whether some bytes were not UTF-8 (kept as surrogate escapes)."""
    data = path.read_bytes()
    if not data.strip():
        raise ExportFileError(
            f"{path} is empty; expected {_expected_content(path, entity)}.",
            path=path,
            entity=entity,
        )
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            raise ExportFileError(
                f"{path} is {encoding} text; expected UTF-8, so re-export it as UTF-8.",
                path=path,
                entity=entity,
            )
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError as exc:
        text = data.decode("utf-8", "surrogateescape")
        if _UTF8_TEXT.search(text):
            return text, True  # UTF-8 with some bad bytes: those rows are quarantined
        line = data.count(b"\n", 0, exc.start) + 1
        raise ExportFileError(
            f"{path} is not UTF-8: byte 0x{data[exc.start]:02X} on line {line} is not valid "
            "UTF-8 and no line holds UTF-8 text, so the file looks Latin-1 or Windows-1252 "
            "encoded; expected UTF-8, so re-export it as UTF-8.",
            path=path,
            entity=entity,
        ) from exc


def _expected_content(path: Path, entity: str) -> str:
    required = ", ".join(REQUIRED_COLUMNS[entity])
    if path.suffix == ".csv":
        return f"a comma-separated header line naming {required}, then one row per {entity[:-1]}"
    return f"one JSON object per line, with the keys {required}"


def _row_problem(raw: str, has_bad_bytes: bool) -> str | None:
    """Why a row's text cannot be loaded as it is, whatever its columns."""
    if has_bad_bytes:
        match = _UNDECODABLE.search(raw)
        if match:
            byte = ord(match.group()) - 0xDC00
            return f"row is not valid UTF-8 (byte 0x{byte:02X}); expected UTF-8 text"
    if "\x00" in raw:
        return "row contains a NUL byte (binary corruption?); expected text"
    return None


def _as_stored(raw: str, has_bad_bytes: bool) -> str:
    """A row's text as kept in the warehouse: final line break dropped, bad bytes as \\xNN."""
    raw = raw.rstrip("\r\n")
    if has_bad_bytes and _UNDECODABLE.search(raw):
        return raw.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return raw


class _Lines:
    """The lines of a text (split at \\n, \\r\\n or \\r only), remembering those read.

    csv.reader pulls lines from here, so after each record the lines it consumed are
    that record's text as in the file.
    """

    def __init__(self, text: str) -> None:
        self._lines = iter(io.StringIO(text, newline=""))
        self._taken: list[str] = []
        self.count = 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self._taken.append(line)
        self.count += 1
        return line

    def take(self) -> str:
        """The text of the lines read since the last call."""
        text = "".join(self._taken)
        self._taken.clear()
        return text


def _is_blank(fields: list[str]) -> bool:
    return not fields or (len(fields) == 1 and not fields[0].strip())


def _parse_csv(
    text: str,
    has_bad_bytes: bool,
    path: Path,
    entity: str,
    columns_of: Callable[[list[str], Path, str], tuple[list[str], dict[str, str]]] | None = None,
) -> tuple[_Rows, list[str], dict[str, str], list[list[str | None]]]:
    """Split CSV text into rows, each checked against the header's number of columns.

    Quoting is read strictly (RFC 4180): a quote opens and closes a whole field, and a
    quoted field may hold line breaks. A row that breaks that grammar, or has another
    number of fields than the header, is a problem row. When such a row spans lines
    of which some are complete rows on their own, an unbalanced quote swallowed them:
    its lines are read one by one instead, so no row is merged into another.
    """
    lines = _Lines(text.removeprefix("\ufeff"))
    reader = csv.reader(lines, strict=True)
    header: list[str] | None = None
    while header is None:
        try:
            fields = next(reader)
        except StopIteration:
            raise ExportFileError(
                f"{path} is empty; expected {_expected_content(path, entity)}.",
                path=path,
                entity=entity,
            ) from None
        except csv.Error as exc:
            raise ExportFileError(
                f"{path} has a header line with malformed quoting ({exc}); expected "
                f"{_expected_content(path, entity)}.",
                path=path,
                entity=entity,
            ) from exc
        header_text = lines.take()
        if not _is_blank(fields):
            header = fields
    if _row_problem(header_text, has_bad_bytes):
        raise ExportFileError(
            f"{path} has a header line that is not UTF-8 text (it holds NUL or undecodable "
            "bytes, as UTF-16 files do); expected UTF-8, so re-export it as UTF-8.",
            path=path,
            entity=entity,
        )
    columns, renamed = (columns_of or _columns)(header, path, entity)
    width = len(columns)
    rows = _Rows()
    values: list[list[str | None]] = [[] for _ in range(width)]

    def add(line: int, raw: str, fields: list[str] | None, problem: str | None) -> None:
        rows.add(line, _as_stored(raw, has_bad_bytes), problem)
        for column, value in zip(values, fields or [None] * width, strict=True):
            column.append(value)

    first_line = lines.count + 1
    while True:
        error = None
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            fields, error = None, str(exc)
        raw = lines.take()
        start, end, first_line = first_line, lines.count, lines.count + 1
        if fields is not None and _is_blank(fields):
            continue
        problem = _row_problem(raw, has_bad_bytes)
        if problem is None:
            problem = _shape_problem(fields, error, width, start, end)
            if problem and end > start:
                pieces = _split_merged(raw, width, start, end)
                if pieces:
                    for piece in pieces:
                        add(*piece)
                    continue
        add(start, raw, None if problem else fields, problem)
    return rows, columns, renamed, values


def _shape_problem(
    fields: list[str] | None, error: str | None, width: int, start: int, end: int
) -> str | None:
    """Why a CSV row does not fit the header: broken quoting or another field count."""
    span = f" (lines {start}-{end})" if end > start else ""
    if error == "unexpected end of data":
        return f"row ends inside a quoted field at the end of the file{span}: a truncated export"
    if error is not None:
        return f"row has malformed quoting ({error}){span}; expected quotes around whole fields"
    if fields is not None and len(fields) != width:
        return (
            f"row has {len(fields)} field{'s' if len(fields) != 1 else ''} where the header "
            f"has {width}{span}: a truncated or malformed line"
        )
    return None


def _split_merged(
    raw: str, width: int, start: int, end: int
) -> list[tuple[int, str, list[str] | None, str | None]] | None:
    """The lines of a broken multi-line row, each read alone, when some are whole rows.

    None when no line after the first is a complete row on its own: then the row is a
    genuine multi-line row (a quoted text with line breaks) and stays one row.
    """
    pieces = list(io.StringIO(raw, newline=""))
    parsed = [_parse_line(piece) for piece in pieces]
    if not any(fields is not None and len(fields) == width for fields in parsed[1:]):
        return None
    rows = []
    for offset, (piece, fields) in enumerate(zip(pieces, parsed, strict=True)):
        if fields is not None and _is_blank(fields):
            continue
        if fields is not None and len(fields) == width:
            rows.append((start + offset, piece, fields, None))
        else:
            rows.append(
                (
                    start + offset,
                    piece,
                    None,
                    f"row with unbalanced quotes (lines {start}-{end}, read line by line): "
                    f"this line does not fit the header's {width} columns",
                )
            )
    return rows


def _parse_line(line: str) -> list[str] | None:
    """One line read as a CSV row on its own, or None when its quoting is broken."""
    try:
        return next(csv.reader([line], strict=True), [])
    except csv.Error:
        return None


def _parse_jsonl(
    text: str, has_bad_bytes: bool, path: Path, entity: str
) -> tuple[_Rows, list[str], dict[str, str], list[str | None]]:
    """Split JSONL text into rows, one JSON object per line; blank lines are not rows."""
    rows = _Rows()
    records: list[str | None] = []
    keys: dict[str, None] = {}
    renames: dict[str, str | None] = {}
    renamed: dict[str, str] = {}
    canonical = set(CANONICAL_COLUMNS[entity])
    for line_number, line in enumerate(text.removeprefix("\ufeff").split("\n"), start=1):
        if not line.strip():
            continue
        problem = _row_problem(line, has_bad_bytes)
        record = None
        if problem is None:
            try:
                parsed = json.loads(line, parse_constant=_reject_constant)
            except ValueError as exc:
                detail = f"{exc.msg}: column {exc.colno}" if hasattr(exc, "colno") else str(exc)
                problem = f"line is not valid JSON ({detail}); expected one JSON object per line"
            else:
                if not isinstance(parsed, dict):
                    problem = (
                        f"line is a JSON {type(parsed).__name__}, not an object; "
                        "expected one JSON object per line"
                    )
                elif "\\u0000" in line:
                    problem = "row contains a NUL character (binary corruption?); expected text"
                else:
                    parsed = _rename_keys(parsed, renames, renamed, canonical)
                    keys.update(dict.fromkeys(parsed))
                    record = json.dumps(parsed, ensure_ascii=False)
        rows.add(line_number, _as_stored(line, has_bad_bytes), problem)
        records.append(record)
    columns = list(keys)
    if columns:  # else no line is a JSON object: validation says so, row by row
        _check_required(columns, path, entity)
    return rows, columns, renamed, records


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _rename_keys(
    record: dict[str, Any],
    renames: dict[str, str | None],
    renamed: dict[str, str],
    canonical: set[str],
) -> dict[str, Any]:
    """A JSON record with case variants of canonical keys (`Created_At`) renamed.

    `renames` caches each key's canonical name (None: keep it); `renamed` collects
    the renames done. A variant stays as it is when the record also has the exact key.
    """
    for key in record:
        if key not in renames:
            folded = key.strip().lower()
            renames[key] = folded if key not in canonical and folded in canonical else None
    applied = {
        key: target
        for key in record
        if (target := renames[key]) is not None and target not in record
    }
    if not applied:
        return record
    renamed.update(applied)
    return {applied.get(key, key): value for key, value in record.items()}


def _columns(header: list[str], path: Path, entity: str) -> tuple[list[str], dict[str, str]]:
    """Column names from a header: blanks named, exact case variants of canonical names
    renamed (`Created_At` -> created_at), duplicates and missing required columns fatal."""
    canonical = CANONICAL_COLUMNS[entity]
    folded = Counter(name.strip().lower() for name in header)
    columns: list[str] = []
    renamed: dict[str, str] = {}
    for position, name in enumerate(header, start=1):
        target = name.strip().lower()
        if not name.strip():
            name = f"column_{position}"
        elif (
            name not in canonical
            and target in canonical
            and target not in header
            and folded[target] == 1
        ):
            renamed[name] = target
            name = target
        columns.append(name)
    repeated = sorted(name for name, count in Counter(columns).items() if count > 1)
    if repeated:
        raise ExportFileError(
            f"{path} has the column {repeated[0]} more than once; expected each column once, "
            "so remove the copy and re-export the file.",
            path=path,
            entity=entity,
            column=repeated[0],
        )
    _check_required(columns, path, entity)
    return columns, renamed


def _check_required(columns: list[str], path: Path, entity: str) -> None:
    """Stop when a required column is missing, with a hint when one looks renamed."""
    required = REQUIRED_COLUMNS[entity]
    missing = [c for c in required if c not in columns]
    if not missing:
        return
    squashed = {re.sub(r"[^a-z0-9]", "", c.lower()): c for c in columns}
    hints = [
        f"{squashed[re.sub(r'[^a-z0-9]', '', m)]!r} looks like {m!r}"
        for m in missing
        if re.sub(r"[^a-z0-9]", "", m) in squashed
    ]
    if not hints and len(columns) <= 2 and any(";" in c or "\t" in c for c in columns):
        separator = "tab" if any("\t" in c for c in columns) else "semicolon"
        hints = [f"its header is {separator}-separated; canonical CSV uses commas"]
    hint = f" ({'; '.join(hints)})" if hints else ""
    raise ExportFileError(
        f"{path} lacks the required column{'s' if len(missing) > 1 else ''} "
        f"{', '.join(missing)}{hint}; the canonical {entity} format needs "
        f"{', '.join(required)}.",
        path=path,
        entity=entity,
        column=missing[0],
    )


def _read_parquet(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    entity: str,
    load_id: str,
    export_date: date,
    source_file: str,
) -> tuple[list[str], dict[str, str]]:
    """Read a Parquet file into `load_records` (typed columns need no row-level parsing)."""
    try:
        found = [
            row[0]
            for row in con.execute("describe select * from read_parquet(?)", [str(path)]).fetchall()
        ]
    except duckdb.Error as exc:
        raise _unreadable_parquet(path, entity, exc) from exc
    columns, renamed = _columns(found, path, entity)
    pairs = ", ".join(f"?, {_identifier(original)}" for original in found)
    try:
        con.execute(
            f"""
            create or replace temp table load_records as
            select
                ?::varchar as load_id,
                ?::date as export_date,
                ?::varchar as source_file,
                file_row_number + 1 as row_number,
                null::bigint as line_number,
                json_object({pairs}) as record,
                null::varchar as raw_text,
                null::varchar as problem,
            from read_parquet(?, file_row_number = true)
            order by row_number
            """,
            [load_id, export_date, source_file, *columns, str(path)],
        )
    except duckdb.Error as exc:
        raise _unreadable_parquet(path, entity, exc) from exc
    if not con.execute("select count(*) from load_records").fetchone()[0]:
        raise ExportFileError(
            f"{path} has no rows; expected at least one {entity[:-1]} row, so re-export the day.",
            path=path,
            entity=entity,
        )
    return columns, renamed


def _unreadable_parquet(path: Path, entity: str, exc: Exception) -> ExportFileError:
    detail = str(exc).splitlines()[0]
    return ExportFileError(
        f"{path} cannot be read as Parquet ({detail}); expected a Parquet file, so "
        "re-export it or check its format.",
        path=path,
        entity=entity,
    )


def _identifier(name: str) -> str:
    """A column name quoted for SQL."""
    return '"' + name.replace('"', '""') + '"'
