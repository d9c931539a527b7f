"""Find the SQL models (`sql/<layer>/<name>.sql`) and order them by their references."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

from tasks.errors import BacklogError
from tasks.warehouse import SQL_DIR

LAYERS = ("staging", "intermediate", "marts")
REFERENCE = re.compile(r"\b(staging|intermediate|marts)\.([a-z_][a-z0-9_]*)\b")
INCREMENTAL = re.compile(r"^--\s*incremental:\s*(\w+)\s*$", re.MULTILINE)
KEYS = ("ticket_id", "report_date")


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

    @property
    def key(self) -> str | None:
        """`ticket_id` or `report_date` when the model can be updated incrementally."""
        found = INCREMENTAL.search(self.sql())
        if found is None:
            return None
        if found.group(1) not in KEYS:
            raise BacklogError(
                f"SQL model {self.path} says 'incremental: {found.group(1)}'; use one of "
                f"{', '.join(KEYS)}, or remove the line to rebuild it whole."
            )
        return found.group(1)


def discover_models(sql_dir: Path = SQL_DIR, extra_dirs: Sequence[Path] = ()) -> list[Model]:
    """Every model file, in an order where each runs after the models it reads.

    `extra_dirs` are extension `sql/` folders (none unless given);
    an extension model may not replace a shipped one.
    """
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
            for layer, name in REFERENCE.findall(strip_comments(model.sql()))
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


def shown(path: Path, sql_dir: Path) -> Path:
    """A shipped model relative to the project, an extension model as it is."""
    return path.relative_to(sql_dir.parent) if path.is_relative_to(sql_dir) else path


def strip_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*", "", sql)
