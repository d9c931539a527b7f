"""Build the SQL models: every `sql/<layer>/<name>.sql` becomes table `<layer>.<name>`.

The order is found from the references between models (`staging.x`,
`intermediate.y`, `marts.z` in a model's text), so adding a model is adding
a file. Each model is a plain `select`; this module wraps it in
`create or replace table`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import duckdb

from tasks.errors import BacklogError
from tasks.warehouse import SQL_DIR

LAYERS = ("staging", "intermediate", "marts")
REFERENCE = re.compile(r"\b(staging|intermediate|marts)\.([a-z_][a-z0-9_]*)\b")


@dataclass(frozen=True)
class Model:
    """One SQL model file and the table it builds."""

    layer: str
    name: str
    path: Path

    @property
    def table(self) -> str:
        return f"{self.layer}.{self.name}"

    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")


def discover_models(sql_dir: Path = SQL_DIR) -> list[Model]:
    """Every model file, in an order where each runs after the models it reads."""
    models = {
        f"{layer}.{path.stem}": Model(layer, path.stem, path)
        for layer in LAYERS
        for path in sorted((sql_dir / layer).glob("*.sql"))
    }
    graph = {
        table: {
            f"{layer}.{name}"
            for layer, name in REFERENCE.findall(_strip_comments(model.sql()))
            if f"{layer}.{name}" in models and f"{layer}.{name}" != table
        }
        for table, model in models.items()
    }
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        raise BacklogError(
            f"SQL models reference each other in a cycle ({' -> '.join(exc.args[1])}); "
            "break the cycle."
        ) from exc
    return [models[table] for table in order]


def build_models(con: duckdb.DuckDBPyConnection, sql_dir: Path = SQL_DIR) -> list[str]:
    """(Re)build every model in dependency order, in one transaction; the tables built."""
    built = []
    con.execute("begin transaction")
    try:
        for model in discover_models(sql_dir):
            try:
                con.execute(f"create or replace table {model.table} as {model.sql()}")
            except duckdb.Error as exc:
                raise BacklogError(
                    f"SQL model {model.path.relative_to(sql_dir.parent)} failed "
                    f"({str(exc).splitlines()[0]}); fix the model and run again."
                ) from exc
            built.append(model.table)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return built


def _strip_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*", "", sql)


def failing_invariants(con: duckdb.DuckDBPyConnection, sql_dir: Path = SQL_DIR) -> dict[str, int]:
    """Run every `sql/tests/*.sql` (each returns the rows that break an invariant).

    Returns the tests that returned rows, with how many; empty when all hold.
    """
    failing = {}
    for path in sorted((sql_dir / "tests").glob("*.sql")):
        count = con.execute(
            f"select count(*) from ({path.read_text(encoding='utf-8')})"
        ).fetchone()[0]
        if count:
            failing[path.stem] = count
    return failing
