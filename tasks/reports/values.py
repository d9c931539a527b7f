"""Small readers shared by the review's sections: JSON-ready values, tables and columns."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal
from typing import Any

import duckdb


def iso(day: date | None) -> str | None:
    """A day as `YYYY-MM-DD`, or None."""
    return None if day is None else day.isoformat()


def plain(value: Any) -> Any:
    """A JSON-ready value: decimals as floats, NaN as None."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> set[str]:
    """The column names of `schema.table` (empty when it does not exist)."""
    return {
        row[0]
        for row in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchall()
    }


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """Whether `schema.table` exists in the warehouse."""
    return bool(columns(con, schema, table))
