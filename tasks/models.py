"""Build the SQL models: every `sql/<layer>/<name>.sql` becomes table `<layer>.<name>`.

The order is found from the references between models (`staging.x`,
`intermediate.y`, `marts.z` in a model's text), so adding a model is adding
a file. Each model is a plain `select`; this module wraps it in
`create or replace table`. Project extension folders (`extensions_dirs`, see
tasks/extensions.py) add models and invariants in the same layout; they are
built in one dependency order with the shipped models.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import duckdb

from tasks import extensions
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


def discover_models(
    sql_dir: Path = SQL_DIR, extra_dirs: Sequence[Path] | None = None
) -> list[Model]:
    """Every model file, in an order where each runs after the models it reads.

    `extra_dirs` are extension `sql/` folders (default: those of the active extensions);
    an extension model may not replace a shipped one.
    """
    if extra_dirs is None:
        extra_dirs = extensions.active().model_dirs()
    models: dict[str, Model] = {}
    for folder in (sql_dir, *extra_dirs):
        for layer in LAYERS:
            for path in sorted((folder / layer).glob("*.sql")):
                table = f"{layer}.{path.stem}"
                if table in models:
                    raise BacklogError(
                        f"SQL model {path} builds {table}, which {models[table].path} already "
                        "builds; give your model another name."
                    )
                models[table] = Model(layer, path.stem, path)
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


def build_models(
    con: duckdb.DuckDBPyConnection,
    sql_dir: Path = SQL_DIR,
    ext: extensions.Extensions | None = None,
) -> list[str]:
    """(Re)build every model in dependency order, in one transaction; the tables built.

    `ext` (default: the active ones) adds models and sets the driver dimension
    (`getvariable('driver_dimension')` in `staging.stg_tickets`).
    """
    chosen = ext or extensions.active()
    con.execute("set variable driver_dimension = ?", [chosen.driver_dimension])
    built = []
    con.execute("begin transaction")
    try:
        for model in discover_models(sql_dir, chosen.model_dirs()):
            try:
                con.execute(f"create or replace table {model.table} as {model.sql()}")
            except duckdb.Error as exc:
                raise BacklogError(
                    f"SQL model {_shown(model.path, sql_dir)} failed "
                    f"({str(exc).splitlines()[0]}); fix the model and run again."
                ) from exc
            built.append(model.table)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return built


def _shown(path: Path, sql_dir: Path) -> Path:
    """A shipped model relative to the project, an extension model as it is."""
    return path.relative_to(sql_dir.parent) if path.is_relative_to(sql_dir) else path


def _strip_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*", "", sql)


def failing_invariants(
    con: duckdb.DuckDBPyConnection,
    sql_dir: Path = SQL_DIR,
    extra_dirs: Sequence[Path] | None = None,
) -> dict[str, int]:
    """Run every `sql/tests/*.sql`, shipped and extension (each returns the breaking rows).

    Returns the tests that returned rows, with how many; empty when all hold.
    """
    if extra_dirs is None:
        extra_dirs = extensions.active().model_dirs()
    failing = {}
    for path in [p for d in (sql_dir, *extra_dirs) for p in sorted((d / "tests").glob("*.sql"))]:
        count = con.execute(
            f"select count(*) from ({path.read_text(encoding='utf-8')})"
        ).fetchone()[0]
        if count:
            failing[path.stem] = count
    return failing
