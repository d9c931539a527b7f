"""Read and type a batch's files into temp tables of their own, before any transaction.

Each file (or vendor unit) of a batch is read (`tasks/adapters`), repaired and typed
(`sql/queries/ingest/canonical__<entity>.sql`) into the temp tables `load_records`,
`load_typed` (and later `load_bad`), which are then parked under the file's number
(`load_records_3`, ...) so the next file can use the names. `use` puts a file's tables
back under the names the SQL reads. Temp tables live in DuckDB (spilled to its temp
directory under the memory limit), not in Python, and nothing here writes the
warehouse: a fatal file found here costs no rollback of other days.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from tasks import quality
from tasks.adapters import LoadUnit
from tasks.adapters.canonical import read_records, unit_records
from tasks.config import QualitySettings
from tasks.contract import CANONICAL_COLUMNS
from tasks.ingest.discover import ExportDay
from tasks.quality import FileLoad
from tasks.quality.rows import CheckResult
from tasks.warehouse import read_sql

# The temp tables of one file: as read, the rows NUL-repair changed as read, typed, set aside.
FILE_TABLES = ("load_records", "load_raw_fix", "load_typed", "load_bad")


@dataclass
class StagedFile:
    """One file (or vendor unit) read and typed, its temp tables parked under `number`."""

    number: int
    day: ExportDay
    entity: str
    path: Path
    sha256: str
    load_id: str
    expected: str
    result: FileLoad
    repairs: list[CheckResult] = field(default_factory=list)
    raw_fixed: bool = False  # the NUL repair changed rows: raw takes them from load_raw_fix


def source_file_name(path: Path, root: Path) -> str:
    """A file's name in the ledger: its path under the exports folder."""
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)


def stage_file(
    con: duckdb.DuckDBPyConnection,
    number: int,
    day: ExportDay,
    entity: str,
    path: Path,
    sha256: str,
    root: Path,
    settings: QualitySettings,
    source_timezone: str,
    unit: LoadUnit | None = None,
) -> StagedFile:
    """Read, repair and type one file into temp tables parked under `number`.

    Raises `ExportFileError` when the file cannot be read (its tables are dropped).
    """
    source_file = source_file_name(path, root)
    load_id = f"{day.export_date.isoformat()}/{entity}/{sha256[:16]}"
    expected = f"rows in the canonical {entity} format"
    if unit is not None:  # a vendor file: the id also names the file (pages may repeat)
        named = hashlib.sha256(f"{source_file}:{sha256}".encode()).hexdigest()
        load_id = f"{day.export_date.isoformat()}/{entity}/{named[:16]}"
        expected = unit.expected
    result = FileLoad(entity=entity, source_file=source_file, sha256=sha256)
    staged = StagedFile(number, day, entity, path, sha256, load_id, expected, result)
    try:
        if unit is None:
            columns, renamed = read_records(
                con, path, entity, load_id, day.export_date, source_file
            )
        else:
            columns, renamed = unit_records(con, unit, load_id, day.export_date, source_file)
        result.renamed_columns = renamed
        result.extra_columns = sorted(set(columns) - set(CANONICAL_COLUMNS[entity]))
        result.rows_read = con.execute("select count(*) from load_records").fetchone()[0]
        # raw keeps the rows as read: the few rows the NUL repair changes are kept as read
        con.execute(
            "create or replace temp table load_raw_fix as select row_number, record "
            "from load_records where problem is null and contains(record::varchar, '\\u0000')"
        )
        staged.repairs.append(quality.strip_nul_bytes(con))
        staged.raw_fixed = not staged.repairs[-1].success
        con.execute(
            "create or replace temp table load_typed as "
            + read_sql(f"queries/ingest/canonical__{entity}.sql"),
            # a vendor unit's records may hold keys its column list does not name
            {
                "source_timezone": source_timezone,
                "has_extra": bool(result.extra_columns) or unit is not None,
            },
        )
        staged.repairs += quality.clamp_clock_skew(con, entity, settings.clock_skew_minutes)
        # validation fills it; made here so every parked file has all of FILE_TABLES
        con.execute(
            "create or replace temp table load_bad (row_number bigint primary key, reason varchar)"
        )
    except BaseException:
        drop_tables(con, None)
        raise
    _rename(con, "", f"_{number}")
    return staged


@contextmanager
def use(con: duckdb.DuckDBPyConnection, number: int) -> Iterator[None]:
    """Put file `number`'s parked temp tables under their plain names for the `with`.

    On an error they keep the plain names (renaming in an aborted transaction would
    hide the error); the caller drops them under either name.
    """
    _rename(con, f"_{number}", "")
    yield
    _rename(con, "", f"_{number}")


def drop_tables(con: duckdb.DuckDBPyConnection, number: int | None) -> None:
    """Drop file `number`'s temp tables (None: the tables under their plain names)."""
    suffix = "" if number is None else f"_{number}"
    for name in FILE_TABLES:
        con.execute(f"drop table if exists {name}{suffix}")


def _rename(con: duckdb.DuckDBPyConnection, old: str, new: str) -> None:
    """Rename a file's tables (all of FILE_TABLES) from suffix `old` to suffix `new`."""
    for name in FILE_TABLES:
        con.execute(f"alter table {name}{old} rename to {name}{new}")
