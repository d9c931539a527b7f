"""The morning digest's data: the JSON-ready dict of day D, built from the marts.

`build_digest` reads only marts and ops tables and uses no wall-clock time, so
rebuilding a day's digest gives the same bytes as the run that first wrote it.
`write_digest` writes that dict as `digest-<D>.json` and, through
`tasks.render.markdown`, as `digest-<D>.md`.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from tasks import kb, quality
from tasks.config import Settings
from tasks.errors import BacklogError
from tasks.render.markdown import render_markdown
from tasks.reports import actions, alerts, coaching
from tasks.reports.metrics import Metric, load_registry, values_for_day
from tasks.reports.period import loaded_period
from tasks.warehouse import read_sql

SINCE = "since_last_digest"
SECTIONS: tuple[tuple[str, Any], ...] = (
    ("backlog", dict),
    ("flow", dict),
    ("since_last_digest", dict),  # kept only when D's digest covers more than one day
    ("aging", dict),
    ("rates", dict),
    ("response", dict),
    ("sla", dict),
    ("drivers", list),
    ("drivers_not_listed", lambda: {"count": 0, "largest_tickets_7d": None}),
    ("work_next", list),
    ("stale", lambda: {"count": 0, "ticket_ids": []}),
    ("batches", list),
    ("kb_candidates", list),
    ("alerts", list),
    ("backlog_days", lambda: None),
    ("merge_candidates", list),
    ("effort", dict),
    ("staffing", dict),
    ("automation_candidates", list),
    ("data_quality", dict),
)


def build_digest(con: duckdb.DuckDBPyConnection, day: date, settings: Settings) -> dict[str, Any]:
    """The digest of day D as a JSON-ready dict, keys in the order README.md shows them."""
    period = loaded_period(con)
    if period is None:
        raise BacklogError(
            "The warehouse holds no exports yet; run `backlog run` or `backlog backfill` first."
        )
    if not period[0] <= day <= period[1]:
        raise BacklogError(
            f"No digest for {day}: the warehouse holds exports from {period[0]} to {period[1]}; "
            "pick a date in that range or load that day first."
        )
    if not quality.day_is_complete(con, day):
        return _failed_day(con, day, settings)
    digest = _empty(day, settings)

    registry = load_registry(extra_files=settings.extensions.metric_files())
    for metric in registry:
        if metric.extension:
            _check_extension_name(metric.name)
    _fill_metrics(con, registry, day, digest)
    digest = _with_since(digest, _since_last_digest(con, day, digest[SINCE]))

    digest["drivers"] = drivers_for_day(con, day, settings.drivers.top_n)
    digest["drivers_not_listed"] = drivers_not_listed(con, day, digest["drivers"])
    digest["work_next"] = actions.work_next_for_day(con, day, settings)
    digest["stale"] = actions.stale_for_day(con, day, settings)
    digest["batches"] = actions.batches_for_day(con, day)
    digest["kb_candidates"] = kb.candidates_for_digest(con, day)
    digest["merge_candidates"] = coaching.merge_candidates_for_day(con, day)
    digest["automation_candidates"] = coaching.automation_candidates_for_day(con, day)
    digest["data_quality"] = quality.data_quality_for_day(con, day, settings)
    digest["alerts"] = alerts.alerts_for_day(con, digest, settings)
    return digest


def _empty(day: date, settings: Settings) -> dict[str, Any]:
    """A digest of day D with every section empty, keys in the order of digest-<D>.json."""
    digest: dict[str, Any] = {"date": day.isoformat(), "timezone": settings.report_timezone}
    for key, make in SECTIONS:
        digest[key] = make()
    return digest


def _failed_day(con: duckdb.DuckDBPyConnection, day: date, settings: Settings) -> dict[str, Any]:
    """The digest of a day whose export is missing or fatal (docs/data-quality.md).

    Its figures are those of the last complete day before it, named in `figures_as_of`
    (null, and every section empty, when no day is complete); `data_quality` is day D's
    (`fail`, with the reason). The shown day's own data-quality alert is left out: it
    is about another day, and D's failure heads the digest.
    """
    shown = quality.last_complete_day(con, day)
    digest = _empty(day, settings) if shown is None else build_digest(con, shown, settings)
    digest["date"] = day.isoformat()
    digest["figures_as_of"] = None if shown is None else shown.isoformat()
    digest["alerts"] = [a for a in digest["alerts"] if a["name"] != "data_quality"]
    digest["data_quality"] = quality.data_quality_for_day(con, day, settings)
    if shown is None:  # no complete day: no models to read a period from
        return _with_since(digest, None)
    # the period since the last digest is D's own, not that of the day whose figures it shows
    registry = load_registry(extra_files=settings.extensions.metric_files())
    section = _fill_metrics(con, registry, day, {}, section=SINCE)
    return _with_since(digest, _since_last_digest(con, day, section))


def _fill_metrics(
    con: duckdb.DuckDBPyConnection,
    registry: list[Metric],
    day: date,
    target: dict[str, Any],
    section: str | None = None,
) -> dict[str, Any]:
    """The registry's figures of day D set at their paths in `target`, which it returns:
    every metric, or only those of `section` with paths relative to it."""
    prefix = f"{section}." if section else ""
    metrics = [metric for metric in registry if metric.name.startswith(prefix)]
    values = values_for_day(con, metrics, day)
    for metric in metrics:
        _set_path(target, metric.name.removeprefix(prefix), _plain(values[metric.name]))
    return target


def _since_last_digest(
    con: duckdb.DuckDBPyConnection, day: date, section: dict[str, Any]
) -> dict[str, Any] | None:
    """The period since the previous scheduled digest (fct_since_last_digest), or None on
    an ordinary day (its digest covers D alone); `incomplete_days` lists the period's days
    without a complete export (missing or failed), which its sums miss."""
    if section.get("to") is None:
        return None
    missing = quality.incomplete_days(con, date.fromisoformat(section["from"]), day)
    section["incomplete_days"] = [d.isoformat() for d in missing]
    return section


def _with_since(digest: dict[str, Any], since: dict[str, Any] | None) -> dict[str, Any]:
    """The digest with `since_last_digest` right after `flow`, or without it when None."""
    placed: dict[str, Any] = {}
    for key, value in digest.items():
        if key != SINCE:
            placed[key] = value
        if key == "flow" and since is not None:
            placed[SINCE] = since
    return placed


def drivers_for_day(con: duckdb.DuckDBPyConnection, day: date, top_n: int) -> list[dict]:
    """The top drivers by tickets in the last 7 days (ties by name), plus every spike.

    A spike needs a complete baseline (its 28 days all in loaded exports): before that the
    baseline holds only the tickets the first exports show of earlier days, and every
    driver would "spike" (DECISIONLOG.md), so `spike` is false until `baseline_complete`.
    """
    rows = con.execute(
        read_sql("queries/reports/digest_drivers.sql"), {"report_date": day, "top_n": top_n}
    ).fetchall()
    keys = (
        "driver",
        "tickets_7d",
        "baseline_weekly",
        "share_7d",
        "growth",
        "spike",
        "baseline_complete",
    )
    # the last column, driver_rank, is the order only
    return [{k: _plain(v) for k, v in zip(keys, row[:-1], strict=True)} for row in rows]


def drivers_not_listed(
    con: duckdb.DuckDBPyConnection, day: date, listed: list[dict[str, Any]]
) -> dict[str, Any]:
    """The drivers with tickets in the last 7 days that the list leaves out: how many, and
    the tickets of the largest of them (None when none is left out)."""
    shown = [row["driver"] for row in listed]
    count, largest = con.execute(
        read_sql("queries/reports/drivers_not_listed.sql"), {"report_date": day, "listed": shown}
    ).fetchone()
    return {"count": count, "largest_tickets_7d": _plain(largest)}


def to_json(digest: dict[str, Any]) -> str:
    """The canonical serialisation: stable key order, no wall-clock data."""
    return json.dumps(digest, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def write_digest(digest: dict[str, Any], out_dir: Path) -> dict[str, Path]:
    """Write `digest-<D>.json` and `digest-<D>.md`; the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": out_dir / f"digest-{digest['date']}.json",
        "md": out_dir / f"digest-{digest['date']}.md",
    }
    paths["json"].write_text(to_json(digest), encoding="utf-8")
    paths["md"].write_text(render_markdown(digest), encoding="utf-8")
    return paths


def _check_extension_name(name: str) -> None:
    """An extension metric may add keys to a dict section or a new section, nothing else."""
    top = name.split(".")[0]
    kinds = dict(SECTIONS)
    if top in ("date", "timezone") or (top in kinds and kinds[top] is not dict):
        raise BacklogError(
            f"Extension metric {name!r} would overwrite the digest's {top!r}; register it "
            "under another name (e.g. a section of your own: 'custom.my_figure')."
        )


def _set_path(target: dict[str, Any], dotted: str, value: Any) -> None:
    """Set `a.b.c` in nested dicts, making the parents that are missing."""
    *parents, leaf = dotted.split(".")
    for key in parents:
        target = target.setdefault(key, {})
    target[leaf] = value


def _plain(value: Any) -> Any:
    """A JSON-ready value: dates as ISO text, decimals as floats, NaN as null."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
