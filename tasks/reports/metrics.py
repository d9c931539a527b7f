"""The metric registry (`sql/metrics.toml`): every per-day figure, registered once.

Extension folders (tasks/extensions.py) append their own `metrics.toml` entries; they
appear in the digest JSON at their dotted name and in the review pack's key figures.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from tasks.errors import BacklogError
from tasks.warehouse import SQL_DIR

IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$")
NAME = re.compile(r"^[a-z_][a-z0-9_]*(\.[a-z0-9_][a-z0-9_+-]*)*$")
REGISTRY = SQL_DIR / "metrics.toml"


@dataclass(frozen=True)
class Metric:
    """One registered figure: where its value lives and what it means.

    `review` says how the weekly pack shows an extension metric ("end": the value on the
    week's last day, "sum": summed over the week's days, "none": not shown); `better` is
    "lower", "higher" or empty; `extension` marks entries from an extension folder.
    """

    name: str
    model: str
    column: str
    grain: str = "report day"
    unit: str = ""
    description: str = ""
    label: str = ""
    review: str = "end"
    better: str = ""
    extension: bool = False


def load_registry(path: Path = REGISTRY, extra_files: Sequence[Path] = ()) -> list[Metric]:
    """The registered metrics, shipped first, in file order (the digest's key order).

    `extra_files` are extension `metrics.toml` files (none unless given).
    """
    metrics = _read(path, extension=False)
    seen = {metric.name: path for metric in metrics}
    for extra in extra_files:
        for metric in _read(extra, extension=True):
            if metric.name in seen:
                raise BacklogError(
                    f"Metric {metric.name!r} in {extra} is already registered in "
                    f"{seen[metric.name]}; give it another name."
                )
            seen[metric.name] = extra
            metrics.append(metric)
    return metrics


def _read(path: Path, extension: bool) -> list[Metric]:
    """The entries of one `metrics.toml`, checked; a BacklogError says what to fix."""
    try:
        entries = tomllib.loads(path.read_text(encoding="utf-8")).get("metric", [])
    except tomllib.TOMLDecodeError as exc:
        raise BacklogError(f"Metric registry {path} is not valid TOML ({exc}); fix it.") from exc
    known = {field.name for field in fields(Metric)} - {"extension"}
    metrics = []
    for entry in entries:
        unknown = sorted(set(entry) - known)
        missing = sorted({"name", "model", "column"} - set(entry))
        if unknown or missing:
            problem = f"unknown key {unknown[0]!r}" if unknown else f"no {missing[0]!r}"
            raise BacklogError(
                f"Metric entry {entry.get('name', '?')!r} in {path} has {problem}; the keys are "
                f"{', '.join(sorted(known))} (name, model and column are required)."
            )
        metric = Metric(**entry, extension=extension)
        if not (IDENTIFIER.match(metric.model) and IDENTIFIER.match(metric.column)):
            raise BacklogError(
                f"Metric {metric.name!r} in {path} names model {metric.model!r} / column "
                f"{metric.column!r}; use plain lower-case schema.table and column names."
            )
        if not NAME.match(metric.name) or metric.review not in ("end", "sum", "none"):
            raise BacklogError(
                f"Metric {metric.name!r} in {path}: the name must be dotted lower-case words "
                "and review one of end, sum, none."
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
        try:
            row = con.execute(
                f"select {columns} from {model} where report_date = ?", [day]
            ).fetchone()
        except duckdb.Error as exc:
            raise BacklogError(
                f"Metric {chosen[0].name!r} reads {model} ({str(exc).splitlines()[0]}); the "
                "model must exist and have a report_date column and the registered columns."
            ) from exc
        for index, metric in enumerate(chosen):
            values[metric.name] = row[index] if row else None
    return values
