"""The canonical source: a day's `tickets.*`/`events.*` files -> `load_records`.

A CSV or JSONL file is read record by record (`tasks/adapters/files.py`), a Parquet
file by DuckDB; a vendor adapter's load unit arrives as canonical records already.
Each ends in the temp table `load_records`: one row per record with row_number,
line_number, record (JSON keyed by column; null when the row could not be split into
columns), raw_text (the row as in the file) and problem (why it could not be split).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from tasks.adapters.base import LoadUnit
from tasks.adapters.files import (
    ExportFileError,
    Rows,
    decode,
    header_columns,
    parse_csv,
    parse_jsonl,
)
from tasks.contract import ENTITIES
from tasks.errors import BacklogError

FORMATS = ("csv", "jsonl", "parquet")


def find_files(folder: Path) -> dict[str, Path]:
    """The canonical file of each entity in a day's folder; exactly one tickets file."""
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


def read_records(
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
    text, has_bad_bytes = decode(path, entity)
    if fmt == "csv":
        rows, columns, renamed, values = parse_csv(text, has_bad_bytes, path, entity)
        pairs = ", ".join(f"?, nullif(c{i}::varchar, '')" for i in range(len(columns)))
        record_sql = f"case when problem is null then json_object({pairs}) end"
        frame = rows.frame({f"c{i}": column for i, column in enumerate(values)})
        parameters: list[Any] = list(columns)
    else:
        rows, columns, renamed, records = parse_jsonl(text, has_bad_bytes, path, entity)
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


def unit_records(
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
    rows = Rows()
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
    columns, renamed = header_columns(found, path, entity)
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
