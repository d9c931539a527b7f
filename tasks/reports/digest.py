"""The morning digest: a pure function of the marts, the registry and the config.

`build_digest` reads only marts and ops tables and uses no wall-clock time, so
rebuilding a day's digest gives the same bytes as the run that first wrote it.
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
from tasks.reports import actions, alerts, coaching
from tasks.reports.metrics import load_registry, values_for_day

# lists in the text rendering stop here; digest-<D>.json keeps every item
LIST_LIMIT = 5

SECTIONS: tuple[tuple[str, Any], ...] = (
    ("backlog", dict),
    ("flow", dict),
    ("aging", dict),
    ("rates", dict),
    ("response", dict),
    ("sla", dict),
    ("drivers", list),
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


def loaded_period(con: duckdb.DuckDBPyConnection) -> tuple[date, date] | None:
    """First and last export date in the warehouse, or None when nothing is loaded."""
    row = con.execute(
        "select min(export_date), max(export_date) from ("
        "select export_date from ops.loads union all select export_date from ops.load_failures)"
    ).fetchone()
    return None if row is None or row[0] is None else (row[0], row[1])


def build_digest(con: duckdb.DuckDBPyConnection, day: date, settings: Settings) -> dict[str, Any]:
    """The digest of day D as a JSON-ready dict, keys in the SPEC's order."""
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
    digest: dict[str, Any] = {"date": day.isoformat(), "timezone": settings.report_timezone}
    for key, make in SECTIONS:
        digest[key] = make()

    registry = load_registry(extra_files=settings.extensions.metric_files())
    values = values_for_day(con, registry, day)
    for metric in registry:
        if metric.extension:
            _check_extension_name(metric.name)
        _set_path(digest, metric.name, _plain(values[metric.name]))

    digest["drivers"] = drivers_for_day(con, day, settings.drivers.top_n)
    digest["work_next"] = actions.work_next_for_day(con, day, settings)
    digest["stale"] = actions.stale_for_day(con, day, settings)
    digest["batches"] = actions.batches_for_day(con, day)
    digest["kb_candidates"] = kb.candidates_for_digest(con, day)
    digest["merge_candidates"] = coaching.merge_candidates_for_day(con, day)
    digest["automation_candidates"] = coaching.automation_candidates_for_day(con, day)
    digest["data_quality"] = quality.data_quality_for_day(con, day, settings)
    digest["alerts"] = alerts.alerts_for_day(con, digest, settings)
    return digest


def drivers_for_day(con: duckdb.DuckDBPyConnection, day: date, top_n: int) -> list[dict]:
    """The top drivers by tickets in the last 7 days, plus every spike."""
    rows = con.execute(
        """
        with ranked as (
            select
                *,
                row_number() over (order by tickets_7d desc, driver) as driver_rank,
            from marts.fct_drivers_daily
            where report_date = ? and tickets_7d > 0
        )
        select driver, tickets_7d, baseline_weekly, share_7d, growth, is_spike,
            is_baseline_complete
        from ranked
        where driver_rank <= ? or is_spike
        order by driver_rank
        """,
        [day, top_n],
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
    return [{k: _plain(v) for k, v in zip(keys, row, strict=True)} for row in rows]


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


def render_markdown(d: dict[str, Any]) -> str:
    """The digest as text a support lead reads in 30 seconds."""
    b, f, a, r, resp, sla = d["backlog"], d["flow"], d["aging"], d["rates"], d["response"], d["sla"]
    lines = [f"# Backlog digest, {d['date']} ({d['timezone']})", ""]
    if d["alerts"]:
        lines += ["## Alerts", *[f"- {alert['message']}" for alert in d["alerts"]], ""]
    status = b["by_status"]
    lines += [
        "## Where the backlog stands",
        f"- **{b['open_total']} open** ({_signed(b['change_1d'])} today, "
        f"{_signed(b['change_7d'])} in 7 days): {status['new']} new, {status['open']} open, "
        f"{status['pending']} pending, {status['hold']} on hold",
        f"- Today: {f['inflow']} in, {f['outflow']} out, {f['reopened']} reopened "
        f"(net {_signed(f['net'])})",
        f"- 7-day average: {_num(f['inflow_7d_avg'])} in + {_num(f['reopened_7d_avg'])} "
        f"reopened vs {_num(f['outflow_7d_avg'])} out per day",
    ]
    if f["inflow_above_outflow_since"]:
        lines.append(f"- **Inflow above outflow since {f['inflow_above_outflow_since']}**")
    drain = "growing" if f["days_to_drain"] is None else f"{_num(f['days_to_drain'])} days"
    lines += [
        f"- Days to drain: {drain}; projected in 14 days: {f['projected_backlog_14d']}; "
        f"water level: {_num(d['backlog_days'])} days of work",
        "",
        "## Aging",
        "- " + ", ".join(f"{k}: {v}" for k, v in a["buckets"].items()),
    ]
    if a["oldest_ticket_id"] is not None:
        lines.append(f"- Oldest: #{a['oldest_ticket_id']}, {_num(a['oldest_age_days'])} days")
    lines += [
        "",
        "## Quality and speed",
        f"- Reopen rate (7 d): {_pct(r['reopen_rate_7d'])} of {r['reopen_cohort']}; "
        f"recontact rate: {_pct(r['recontact_rate_7d'])} of {r['recontact_cohort']}",
        f"- First reply: median {_minutes(resp['first_reply_p50_minutes'])}, "
        f"p90 {_minutes(resp['first_reply_p90_minutes'])}; first meaningful response: "
        f"median {_minutes(resp['ttfmr_p50_minutes'])}, p90 {_minutes(resp['ttfmr_p90_minutes'])}",
        f"- Resolution: median {_hours(resp['resolution_p50_hours'])}; "
        f"{resp['unreplied_open']} open tickets still without a reply",
        f"- SLA: {sla['breached_open']} breached, {sla['at_risk_open']} at risk",
        "",
    ]
    if d["drivers"]:
        lines.append("## Drivers (last 7 days)")
        for drv in d["drivers"]:
            growth = "new" if drv["growth"] is None else f"x{drv['growth']:.1f}"
            spike = " **spike**" if drv["spike"] else ""
            if drv["spike"] and not drv.get("baseline_complete", True):
                spike += " (baseline still filling: fewer than 35 days loaded)"
            lines.append(
                f"- {drv['driver']}: {drv['tickets_7d']} tickets ({_pct(drv['share_7d'])}), "
                f"baseline {_num(drv['baseline_weekly'])}/week, {growth}{spike}"
            )
        lines.append("")
    if d["work_next"]:
        lines.append("## Work next")
        for rank, item in enumerate(d["work_next"], start=1):
            why = "; ".join(item["reasons"]) or "highest combined score"
            lines.append(f"{rank}. #{item['ticket_id']} (score {item['score']:.0f}): {why}")
        lines.append("")
    stale = d["stale"]
    if stale["count"]:
        lines += [
            f"## Nudge {stale['count']} stale tickets (pending, no reply from the customer)",
            f"- {_ids(stale['ticket_ids'])}",
            f'- Send: "{stale.get("nudge", "")}"',
            "",
        ]
    if d["batches"]:
        lines.append("## Batch these (one person, one sitting, one saved reply)")
        lines += [
            f"- {b['driver']}: {b['open_tickets']} open tickets ({_ids(b['ticket_ids'])})"
            for b in d["batches"][:LIST_LIMIT]
        ]
        lines += _more(d["batches"], d["date"])
        lines.append("")
    if d["kb_candidates"]:
        lines.append("## Knowledge-base candidates (repeated resolutions)")
        lines += [
            f"- {c['title']} ({c['tickets']} tickets, {c['status']}): `backlog kb show "
            f"{c['candidate_id']}`"
            for c in d["kb_candidates"][:LIST_LIMIT]
        ]
        lines += _more(d["kb_candidates"], d["date"])
        lines.append("")
    if d["merge_candidates"]:
        lines.append("## Merge these follow-ups")
        lines += [
            f"- {_ids(m['ticket_ids'])} (requester {m['requester_id']}): {m['reason']}"
            for m in d["merge_candidates"][:LIST_LIMIT]
        ]
        lines += _more(d["merge_candidates"], d["date"])
        lines.append("")
    dq = d["data_quality"]
    lines.append(
        f"## Data quality: {dq['status']}\n"
        + (
            f"- {dq['summary']}"
            if dq.get("summary")
            else f"- {dq['rows_loaded']} rows loaded, {dq['rows_quarantined']} quarantined"
        )
        + "".join(f"\n- {check}" for check in dq["checks_failed"])
    )
    return "\n".join(lines) + "\n"


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


def _more(items: list, day: str, limit: int = LIST_LIMIT) -> list[str]:
    """The "and N more" line of a list cut for reading; the JSON keeps every item."""
    return [f"- and {len(items) - limit} more in digest-{day}.json"] if len(items) > limit else []


def _ids(ticket_ids: list[str], limit: int = 8) -> str:
    shown = ", ".join(f"#{t}" for t in ticket_ids[:limit])
    more = len(ticket_ids) - limit
    return f"{shown} and {more} more" if more > 0 else shown


def _signed(value: int | None) -> str:
    return "n/a" if value is None else f"{value:+d}"


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def _minutes(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.0f} min" if value < 120 else f"{value / 60:.1f} h"


def _hours(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} h"
