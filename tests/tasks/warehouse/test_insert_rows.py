"""`warehouse.insert_rows` at any size: a few rows are one statement, thousands go in
statements of a bounded number of rows, in order (the last of a repeated key wins)."""

from __future__ import annotations

from typing import Any

import duckdb

from tasks import warehouse

INSERT = "insert or replace into t (k, v, note) values"


class Recorder:
    """A connection that records each statement and how many rows it carries."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.rows: list[int] = []  # per statement run: its rows (an executemany: each run)

    def execute(self, sql: str, parameters: list[Any]) -> Any:
        self.rows.append(sql.count("(?"))
        return self.con.execute(sql, parameters)

    def executemany(self, sql: str, parameters: list[list[Any]]) -> Any:
        self.rows += [sql.count("(?")] * len(parameters)
        return self.con.executemany(sql, parameters)


def _table() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("create table t (k integer primary key, v double, note varchar)")
    return con


def test_a_few_rows_are_one_statement():
    con = _table()
    recorder = Recorder(con)
    warehouse.insert_rows(recorder, INSERT, [[k, k / 2, None] for k in range(14)])
    assert recorder.rows == [14]
    assert con.execute("select count(*), sum(k) from t").fetchone() == (14, 91)


def test_thousands_of_rows_go_in_bounded_statements_in_order():
    con = _table()
    recorder = Recorder(con)
    rows = [[k, k / 2, f"row {k}"] for k in range(1001)]
    # key 5 again after the first chunk and as the very last row: the last one wins
    rows[450] = [5, -1.0, "second"]
    rows.append([5, -2.0, "last"])
    warehouse.insert_rows(recorder, INSERT, rows)
    assert sum(recorder.rows) == len(rows)
    assert max(recorder.rows) < len(rows)  # the old code: one statement of every row
    assert max(recorder.rows) <= warehouse.connection.INSERT_CHUNK
    keys = {row[0] for row in rows}
    assert con.execute("select count(*) from t").fetchone() == (len(keys),)
    assert con.execute("select v, note from t where k = 5").fetchone() == (-2.0, "last")
    assert con.execute("select v, note from t where k = 1000").fetchone() == (500.0, "row 1000")
