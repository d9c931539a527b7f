"""Comparing two warehouses table by table, and building only the models a reader needs."""

from __future__ import annotations

import duckdb

from tasks import models


def differing_rows(
    con: duckdb.DuckDBPyConnection,
    table: str,
    other: str,
    columns: str = "*",
    where: str = "true",
) -> int:
    """Rows of `table` not in `other` plus rows of `other` not in `table` (duplicates count).

    Both are names `con` can read (attach the second warehouse first); `columns` and
    `where` narrow both sides alike.
    """
    ours = f"select {columns} from {table} where {where}"
    theirs = f"select {columns} from {other} where {where}"
    return con.execute(
        f"select count(*) from (({ours} except all {theirs}) "
        f"union all ({theirs} except all {ours}))"
    ).fetchone()[0]


def build_kb_reads(con: duckdb.DuckDBPyConnection) -> None:
    """Build the models sql/queries/kb/ reads and what they depend on, nothing else."""
    found = {model.table: model for model in models.discover_models()}
    needed: set[str] = set()
    todo = ["intermediate.int_ticket_status_history", "staging.stg_tickets"]
    while todo:
        table = todo.pop()
        if table in needed or table not in found:
            continue
        needed.add(table)
        todo += [f"{a}.{b}" for a, b in models.REFERENCE.findall(found[table].sql())]
    models.set_full_scope(con)
    for model in models.discover_models():
        if model.table in needed:
            con.execute(f"create or replace table {model.table} as {model.sql()}")
