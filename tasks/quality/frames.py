"""The frames the GX suites read: each load's frame parked in DuckDB, a batch's in one.

A load's frame (`sql/queries/ingest/frame__<entity>.sql`, plus the columns extension
expectations read) is kept in a temp table of its own while the batch is validated.
The loads of one entity then reach pandas as one frame, built in DuckDB: each load's
row numbers carry its position in the high bits (`LOAD_BITS`), and the columns the
shipped suite only checks against a set of values arrive as categoricals (DuckDB
ENUMs), so GX's set checks, null checks and batch fingerprint work on small integer
codes instead of a Python string per row (measured: a week's events at 10,000 tickets
a day, 0.70 -> 0.20 CPU s in GX). Columns an extension's expectation reads stay strings.
"""

from __future__ import annotations

import json
from typing import Any

import duckdb

from tasks.extensions import Extensions
from tasks.quality.suites import ROW_ID, suite_path
from tasks.warehouse import read_sql

# A batch's frame tells its loads apart by the index's bits above these (row numbers below).
LOAD_BITS = 32
# A column the shipped suite reads with a set check, and otherwise only with these, may
# arrive as a categorical.
SET_CHECK = "expect_column_values_to_be_in_set"
CATEGORICAL_SAFE = {SET_CHECK, "expect_column_values_to_not_be_null"}


def frame_sql(
    con: duckdb.DuckDBPyConnection,
    entity: str,
    ext: Extensions,
    parameters: dict[str, Any],
) -> str:
    """The suite's frame, plus the `load_typed` columns that extension expectations read.

    The frame's query (`sql/queries/ingest/frame__<entity>.sql`) takes `parameters`.
    """
    base_sql = read_sql(f"queries/ingest/frame__{entity}.sql")
    wanted = extension_columns(entity, ext)
    if not wanted:
        return base_sql
    typed = {row[0] for row in con.execute("describe load_typed").fetchall()}
    base = {row[0] for row in con.execute(f"describe {base_sql}", parameters).fetchall()}
    extra = sorted(column for column in wanted if column in typed and column not in base)
    if not extra:
        return base_sql
    columns = ", ".join(f'typed."{column}"' for column in extra)
    return (
        f"select frame.*, {columns} from ({base_sql}) as frame "
        "inner join load_typed as typed using (row_number) order by row_number"
    )


def extension_columns(entity: str, ext: Extensions) -> set[str]:
    """The columns the extensions' expectations of `entity` read."""
    return {
        str(kwargs[key])
        for item in ext.expectations(entity)
        for kwargs in [item.get("kwargs", {})]
        for key in ("column", "column_A", "column_B")
        if key in kwargs
    } | {
        str(column)
        for item in ext.expectations(entity)
        for column in item.get("kwargs", {}).get("column_list", [])
    }


def park_frame(
    con: duckdb.DuckDBPyConnection, index: int, sql: str, parameters: dict[str, Any]
) -> tuple[str, ...] | None:
    """Keep load `index`'s frame (`sql`) in a temp table; its columns, None when it has no row."""
    table = _table(index)
    con.execute(f"create or replace temp table {table} as {sql}", parameters)
    if not con.execute(f"select count(*) from {table}").fetchone()[0]:
        drop_frame(con, index)
        return None
    return tuple(row[0] for row in con.execute(f"describe {table}").fetchall())


def drop_frame(con: duckdb.DuckDBPyConnection, index: int) -> None:
    """Drop load `index`'s parked frame."""
    con.execute(f"drop table if exists {_table(index)}")


def group_frame(
    con: duckdb.DuckDBPyConnection, entity: str, members: list[int], ext: Extensions
) -> Any:
    """The pandas frame of the parked frames of `members` (loads of `entity`, same columns).

    Member n's row numbers get n in the bits above `LOAD_BITS` (none for the first), the
    rows come ordered, and the columns only the shipped suite's set checks read come as
    categoricals of the values they hold.
    """
    union = " union all ".join(
        f"select * replace ({ROW_ID} + {n << LOAD_BITS} as {ROW_ID}) from {_table(index)}"
        for n, index in enumerate(members)
    )
    types = dict(
        con.execute(
            f"select column_name, column_type from (describe {_table(members[0])})"
        ).fetchall()
    )
    candidates = sorted(
        column
        for column in _set_checked(entity) - extension_columns(entity, ext)
        if types.get(column) == "VARCHAR"
    )
    casts = []
    if candidates:
        listed = ", ".join(
            f'list(distinct "{c}") filter (where "{c}" is not null)' for c in candidates
        )
        values = con.execute(f"select {listed} from ({union})").fetchone()
        casts = [
            f'"{column}"::enum({", ".join(_literal(v) for v in sorted(held))}) as "{column}"'
            for column, held in zip(candidates, values, strict=True)
            if held
        ]
    replaced = f" replace ({', '.join(casts)})" if casts else ""
    return con.execute(f"select *{replaced} from ({union}) order by {ROW_ID}").df()


def _set_checked(entity: str) -> set[str]:
    """The columns the shipped suite of `entity` checks against a set of values (and for
    nulls), and with no other expectation."""
    expectations = json.loads(suite_path(entity).read_text("utf-8"))["expectations"]
    read_by = {}
    for item in expectations:
        kwargs = item.get("kwargs", {})
        for key in ("column", "column_A", "column_B"):
            if key in kwargs:
                read_by.setdefault(str(kwargs[key]), set()).add(item["type"])
    return {
        column
        for column, kinds in read_by.items()
        if SET_CHECK in kinds and kinds <= CATEGORICAL_SAFE
    }


def _table(index: int) -> str:
    return f"validation_frame_{index}"


def _literal(value: str) -> str:
    """A text as an SQL string literal."""
    return "'" + value.replace("'", "''") + "'"
