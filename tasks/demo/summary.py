"""What the demo's warehouse holds, and how to query it with what is installed."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import duckdb

from tasks.render.format import count
from tasks.warehouse.files import read_sql

EXAMPLE_QUERY = "select * from marts.fct_daily_flow order by report_date desc limit 7"


def warehouse_summary(db: Path) -> str:
    """Two lines: the tickets and days the warehouse holds, and a command that queries it.

    The command uses this Python's own `duckdb` module (no DuckDB CLI needs installing) and
    opens the file read-only.
    """
    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute(read_sql("queries/demo/warehouse_summary.sql")).fetchone()
    tickets, days, last_day = row if row is not None else (0, 0, None)
    script = (
        f"import duckdb; duckdb.connect({json.dumps(str(db))}, read_only=True)"
        f".sql({json.dumps(EXAMPLE_QUERY)}).show()"
    )
    return (
        f"Warehouse: {db} holds {count(tickets)} tickets (every ticket of the exports, once) and "
        f"{count(days)} report days up to {last_day}.\n"
        f"Query it with the installed DuckDB, e.g.: {shlex.quote(sys.executable)} -c "
        f"{shlex.quote(script)}"
    )
