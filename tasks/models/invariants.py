"""Run the invariants: every `sql/tests/*.sql` returns the rows that break it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb

from tasks.warehouse import SQL_DIR


def failing_invariants(
    con: duckdb.DuckDBPyConnection,
    sql_dir: Path = SQL_DIR,
    extra_dirs: Sequence[Path] = (),
) -> dict[str, int]:
    """Run every `sql/tests/*.sql`, shipped and extension (each returns the breaking rows).

    Returns the tests that returned rows, with how many; empty when all hold.
    """
    failing = {}
    for path in [p for d in (sql_dir, *extra_dirs) for p in sorted((d / "tests").glob("*.sql"))]:
        count = con.execute(
            f"select count(*) from ({path.read_text(encoding='utf-8')})"
        ).fetchone()[0]
        if count:
            failing[path.stem] = count
    return failing
