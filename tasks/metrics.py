"""The metric registry (`sql/metrics.toml`): every per-day figure, registered once."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from tasks.errors import BacklogError
from tasks.warehouse import SQL_DIR

IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$")


@dataclass(frozen=True)
class Metric:
    """One registered figure: where its value lives and what it means."""

    name: str
    model: str
    column: str
    grain: str
    unit: str
    description: str


def load_registry(path: Path = SQL_DIR / "metrics.toml") -> list[Metric]:
    """The registered metrics, in file order (which is the digest's key order)."""
    entries = tomllib.loads(path.read_text(encoding="utf-8")).get("metric", [])
    metrics = []
    for entry in entries:
        metric = Metric(**entry)
        if not (IDENTIFIER.match(metric.model) and IDENTIFIER.match(metric.column)):
            raise BacklogError(
                f"Metric {metric.name!r} in {path} names model {metric.model!r} / column "
                f"{metric.column!r}; use plain lower-case schema.table and column names."
            )
        metrics.append(metric)
    return metrics


def values_for_day(
    con: duckdb.DuckDBPyConnection, metrics: list[Metric], day: date
) -> dict[str, Any]:
    """Each metric's value on `day`, by metric name; None where the model has no row."""
    values: dict[str, Any] = {}
    for model in dict.fromkeys(m.model for m in metrics):
        chosen = [m for m in metrics if m.model == model]
        columns = ", ".join(m.column for m in chosen)
        row = con.execute(f"select {columns} from {model} where report_date = ?", [day]).fetchone()
        for index, metric in enumerate(chosen):
            values[metric.name] = row[index] if row else None
    return values
