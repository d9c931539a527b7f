"""The weekly support-product review pack: a pure function of the marts, then files.

`build_review` reads only marts, ops and config tables (no wall-clock time) and
returns a dict: the week's KPIs against the previous week and the 4-week
average, drivers, emerging drivers, reopen hot spots, KB candidates, data
quality, and the charts as PNG bytes. `write_review` turns it into one
self-contained HTML file and a Markdown file with its PNG charts beside it.
"""

from __future__ import annotations

import base64
import math
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import duckdb
import jinja2

from tasks.config import Settings
from tasks.errors import BacklogError
from tasks.render import charts
from tasks.reports.metrics import Metric, load_registry

TEMPLATES = Path(__file__).resolve().parent.parent / "render" / "templates"
WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
BASELINE_WEEKS = 4
TREND_WEEKS = 8
TOP_DRIVERS = 10
TREND_DRIVERS = 5
EXAMPLE_TICKETS = 3
# emerging: new (no tickets in the 4-week baseline) with at least EMERGING_MIN_NEW tickets,
# or at least EMERGING_MIN_TICKETS tickets and EMERGING_MIN_GROWTH x the baseline, or a spike
EMERGING_MIN_NEW = 3
EMERGING_MIN_TICKETS = 5
EMERGING_MIN_GROWTH = 1.5
DRIVER_HISTORY_DAYS = 34  # the drivers mart's baseline reaches back to D-34
OUTFLOW_DAYS = 28  # "the outflow of the last 4 weeks": mean daily outflow of D-27..D
DEFLECTION_DRIVERS = 3
HEATMAP_WEEKS = 8  # SPEC 5.1: inflow by weekday and hour over the last 8 weeks
AUTOMATION_DAYS = 28  # fct_automation_candidates: tickets last solved in D-27..D


@dataclass(frozen=True)
class Kpi:
    """One figure of the KPI table: a registered metric, summed over the week or at its end."""

    key: str
    metric: str
    label: str
    how: str  # "sum": over the week's days; "end": the value on the week's last day
    better: str | None  # "lower", "higher" or None
    covers: str
    count_metric: str | None = None


KPIS: tuple[Kpi, ...] = (
    Kpi(
        "inflow",
        "flow.inflow",
        "Inflow",
        "sum",
        "lower",
        "Tickets created during the week (sum of the daily inflow).",
    ),
    Kpi(
        "outflow",
        "flow.outflow",
        "Outflow",
        "sum",
        "higher",
        "Solves during the week: moves from an unsolved status into solved or closed "
        "(sum of the daily outflow; a re-solve after a reopen counts again).",
    ),
    Kpi(
        "reopened",
        "flow.reopened",
        "Reopened",
        "sum",
        "lower",
        "Moves from solved or closed back into an unsolved status during the week.",
    ),
    Kpi(
        "backlog",
        "backlog.open_total",
        "Backlog at week end",
        "end",
        "lower",
        "Open tickets (new, open, pending, hold) at the end of the week's last day.",
    ),
    Kpi(
        "reopen_rate",
        "rates.reopen_rate_7d",
        "Reopen rate",
        "end",
        "lower",
        "Of the tickets first solved in the 7 days before the week (D-13..D-7 of its last "
        "day), the share reopened within 7 days of that solve.",
        "rates.reopen_cohort",
    ),
    Kpi(
        "recontact_rate",
        "rates.recontact_rate_7d",
        "Recontact rate",
        "end",
        "lower",
        "Same cohort: the share whose requester opened another ticket within 7 days of the "
        "first solve.",
        "rates.recontact_cohort",
    ),
    Kpi(
        "first_reply_p50",
        "response.first_reply_p50_minutes",
        "First reply, median",
        "end",
        "lower",
        "Tickets created during the week that had a first public agent reply by its end.",
        "response.first_reply_count",
    ),
    Kpi(
        "first_reply_p90",
        "response.first_reply_p90_minutes",
        "First reply, p90",
        "end",
        "lower",
        "The same tickets: 9 in 10 were answered faster than this.",
        "response.first_reply_count",
    ),
    Kpi(
        "ttfmr_p50",
        "response.ttfmr_p50_minutes",
        "First meaningful response, median",
        "end",
        "lower",
        "As first reply, skipping auto-acknowledgements posted as an agent.",
        "response.ttfmr_count",
    ),
    Kpi(
        "resolution_p50",
        "response.resolution_p50_hours",
        "Resolution, median",
        "end",
        "lower",
        "Created to first solve, for tickets first solved during the week.",
        "response.resolution_count",
    ),
    Kpi(
        "resolution_p90",
        "response.resolution_p90_hours",
        "Resolution, p90",
        "end",
        "lower",
        "The same tickets: 9 in 10 were solved faster than this.",
        "response.resolution_count",
    ),
)


# --- weeks ----------------------------------------------------------------------------------


def parse_week(week: str) -> tuple[date, date]:
    """Monday and Sunday of an ISO week written `YYYY-Www` (e.g. `2026-W13`)."""
    match = WEEK.match(week.strip()) if isinstance(week, str) else None
    if match is None:
        raise BacklogError(f"{week!r} is not an ISO week; write it as YYYY-Www, e.g. 2026-W13.")
    year, number = int(match[1]), int(match[2])
    try:
        monday = date.fromisocalendar(year, number, 1)
    except ValueError as exc:
        raise BacklogError(
            f"{week!r} is not an ISO week: {year} has no week {number:02d}; "
            "weeks run from W01 to W52 (W53 in some years)."
        ) from exc
    return monday, monday + timedelta(days=6)


def week_name(day: date) -> str:
    """The ISO week of a day, as `YYYY-Www`."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def last_complete_week(today: date) -> str:
    """The ISO week before the one holding `today`."""
    return week_name(today - timedelta(days=today.weekday() + 7))


# --- the pack -------------------------------------------------------------------------------


def build_review(con: duckdb.DuckDBPyConnection, week: str, settings: Settings) -> dict[str, Any]:
    """The review pack of one ISO week (report-zone days Monday..Sunday) from the marts."""
    monday, sunday = parse_week(week)
    week = week_name(monday)
    period = _loaded_period(con)
    this = _week_span(monday, period)
    previous = _week_span(monday - timedelta(days=7), period)
    baseline = [_week_span(monday - timedelta(days=7 * k), period) for k in range(1, 5)]
    extra = settings.extensions.metric_files()
    registry = {metric.name: metric for metric in load_registry(extra_files=extra)}

    review: dict[str, Any] = {
        "week": week,
        "start": monday.isoformat(),
        "end": sunday.isoformat(),
        "timezone": settings.report_timezone,
        "status": this.status,
        "as_of": _iso(this.last),
        "coverage": _coverage(this, period),
        "previous_week": week_name(monday - timedelta(days=7)),
        "baseline_weeks": [week_name(span.monday) for span in baseline],
        "loaded_period": None if period is None else [p.isoformat() for p in period],
        "reopen_rate_warning": settings.alerts.reopen_rate,
        "ticket_url_template": settings.slack.ticket_url_template,
        "kpis": [],
        "headline": [],
        "aging": None,
        "arithmetic": None,
        "heatmap": None,
        "effort": None,
        "automation": [],
        "drivers": [],
        "emerging": {"assessed": False, "note": "", "rows": []},
        "reopen_hotspots": {"rows": [], "note": ""},
        "kb_candidates": {"available": False, "as_of": None, "rows": [], "note": ""},
        "data_quality": data_quality(con, monday, sunday, period),
        "charts": {},
    }
    if this.last is None:
        review["headline"] = [_no_data_sentence(week, period)]
        return review

    review["kpis"] = kpis(con, registry, this, previous, baseline)
    review["aging"] = _aging(con, this.last)
    review["arithmetic"] = arithmetic(con, this.last, settings)
    review["heatmap"] = _heatmap(con, this.last, period)
    review["effort"] = _effort(con, this)
    review["automation"] = [
        {"driver": c.driver, "solved": c.solved, "automatable": c.automatable, "share": c.share}
        for c in charts.automation_candidates(con, this.last)
    ]
    review["drivers"] = top_drivers(con, this, previous)
    review["emerging"] = emerging_drivers(con, this, previous, period)
    spots = charts.reopen_hotspots(con, this.first, this.last)
    review["reopen_hotspots"] = _hotspots(spots, this, settings.alerts.reopen_rate)
    review["kb_candidates"] = kb_candidates(con, this.last)
    review["headline"] = _headline(review)
    review["charts"] = _charts(con, review, this, spots, settings.alerts.reopen_rate)
    return review


@dataclass(frozen=True)
class _Span:
    """The days of one ISO week that the warehouse holds (first..last), if any."""

    monday: date
    first: date | None
    last: date | None

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    @property
    def days(self) -> int:
        return 0 if self.first is None else (self.last - self.first).days + 1

    @property
    def status(self) -> str:
        return "no_data" if self.first is None else "complete" if self.days == 7 else "partial"


def _week_span(monday: date, period: tuple[date, date] | None) -> _Span:
    sunday = monday + timedelta(days=6)
    if period is None or period[1] < monday or period[0] > sunday:
        return _Span(monday, None, None)
    return _Span(monday, max(monday, period[0]), min(sunday, period[1]))


def _loaded_period(con: duckdb.DuckDBPyConnection) -> tuple[date, date] | None:
    """First and last loaded export day, when the marts are built; else None."""
    row = con.execute("select min(export_date), max(export_date) from ops.loads").fetchone()
    if row is None or row[0] is None:
        return None
    if not _table_exists(con, "marts", "fct_daily_flow"):
        raise BacklogError(
            "The warehouse holds exports but no marts; run `backlog run` or `backlog backfill` "
            "to build them, then rebuild the review."
        )
    return row[0], row[1]


def _coverage(span: _Span, period: tuple[date, date] | None) -> dict[str, Any]:
    """Which of the week's days the figures cover, and a sentence when not all of them."""
    note = ""
    if span.status == "partial":
        missing_start = span.first > span.monday
        missing_end = span.last < span.sunday
        parts = []
        if missing_start:
            parts.append(f"the first export is {_long(span.first)}")
        if missing_end:
            parts.append(f"the last export is {_long(span.last)}")
        note = (
            f"Partial week: {' and '.join(parts)}, so the week has {span.days} of 7 days. "
            "Weekly sums cover those days; the 7-day figures are as of "
            f"{_long(span.last)} (its 7 days ending that day)."
        )
    return {
        "first_day": _iso(span.first),
        "last_day": _iso(span.last),
        "days": span.days,
        "note": note,
    }


# --- KPIs -----------------------------------------------------------------------------------


def kpis(
    con: duckdb.DuckDBPyConnection,
    registry: dict[str, Metric],
    this: _Span,
    previous: _Span,
    baseline: list[_Span],
) -> list[dict[str, Any]]:
    """Each KPI this week, the previous week and the mean of the 4 weeks before this one.

    The shipped KPIs first, then every extension metric the registry shows in the pack.
    """
    chosen = _kpis(registry)
    values = {
        span.monday: _week_values(con, registry, span, chosen)
        for span in {this, previous, *baseline}
        if span.first is not None
    }
    rows = []
    for kpi in chosen:
        metric = registry[kpi.metric]
        value = values[this.monday][kpi.key]
        prev = values[previous.monday][kpi.key] if previous.monday in values else None
        past = [
            values[span.monday][kpi.key]
            for span in baseline
            if span.monday in values and values[span.monday][kpi.key] is not None
        ]
        avg = sum(past) / len(past) if past else None
        count = values[this.monday].get(f"{kpi.key}__count")
        rows.append(
            {
                "key": kpi.key,
                "metric": kpi.metric,
                "label": kpi.label,
                "unit": _weekly_unit(metric.unit, kpi.how),
                "how": kpi.how,
                "better": kpi.better,
                "covers": kpi.covers,
                "description": metric.description,
                "value": value,
                "count": count,
                "previous": prev,
                "avg_4w": avg,
                "avg_4w_weeks": len(past),
                "change": None if value is None or prev is None else value - prev,
                "change_ratio": (None if value is None or not prev else (value - prev) / abs(prev)),
                "text": format_value(value, metric.unit),
                "previous_text": format_value(prev, metric.unit),
                "avg_4w_text": format_value(avg, metric.unit),
                "change_text": format_change(value, prev, metric.unit),
                "verdict": _verdict(value, prev, kpi.better),
            }
        )
    return rows


def _kpis(registry: dict[str, Metric]) -> tuple[Kpi, ...]:
    """The shipped KPIs plus one per extension metric (unless its `review` is "none")."""
    added = tuple(
        Kpi(
            metric.name,
            metric.name,
            metric.label or metric.name,
            metric.review,
            metric.better or None,
            metric.description,
        )
        for metric in registry.values()
        if metric.extension and metric.review != "none"
    )
    return KPIS + added


def _week_values(
    con: duckdb.DuckDBPyConnection,
    registry: dict[str, Metric],
    span: _Span,
    chosen: tuple[Kpi, ...] = KPIS,
) -> dict[str, Any]:
    """Every KPI of one week: sums over its loaded days or values on its last loaded day."""
    out: dict[str, Any] = {}
    for kpi in chosen:
        metric = registry[kpi.metric]
        if kpi.how == "sum":
            row = con.execute(
                f"select sum({metric.column}), count(*) from {metric.model} "
                "where report_date between ? and ?",
                [span.first, span.last],
            ).fetchone()
            out[kpi.key] = None if not row[1] else _plain(row[0])
        else:
            row = con.execute(
                f"select {metric.column} from {metric.model} where report_date = ?", [span.last]
            ).fetchone()
            out[kpi.key] = None if row is None else _plain(row[0])
        if kpi.count_metric:
            counted = registry[kpi.count_metric]
            row = con.execute(
                f"select {counted.column} from {counted.model} where report_date = ?",
                [span.last],
            ).fetchone()
            out[f"{kpi.key}__count"] = None if row is None else _plain(row[0])
    return out


def _weekly_unit(unit: str, how: str) -> str:
    return f"{unit} per week" if how == "sum" and unit == "tickets" else unit


def _verdict(value: Any, previous: Any, better: str | None) -> str:
    """`better`, `worse` or `same` compared with the previous week."""
    if value is None or previous is None or better is None or value == previous:
        return "same"
    return "better" if (value < previous) == (better == "lower") else "worse"


# --- drivers --------------------------------------------------------------------------------


def top_drivers(
    con: duckdb.DuckDBPyConnection, this: _Span, previous: _Span, limit: int = TOP_DRIVERS
) -> list[dict[str, Any]]:
    """The top drivers by tickets this week, with last week, baseline, growth and examples."""
    rows = _driver_rows(con, this.last, previous.last)
    rows = [row for row in rows if row["tickets"] > 0][:limit]
    examples = _examples(con, [row["driver"] for row in rows], this.last)
    for row in rows:
        row["example_ticket_ids"] = examples.get(row["driver"], [])
    return rows


def emerging_drivers(
    con: duckdb.DuckDBPyConnection,
    this: _Span,
    previous: _Span,
    period: tuple[date, date] | None,
) -> dict[str, Any]:
    """Drivers new this week or growing fast against their 4-week baseline, or spiking."""
    history_from = this.last - timedelta(days=DRIVER_HISTORY_DAYS)
    if period is None or period[0] > history_from:
        first = period[0] if period else this.last
        return {
            "assessed": False,
            "note": (
                "Not assessed yet: a driver's baseline is its weekly average over the 4 weeks "
                "before the last 7 days, so it needs exports from "
                f"{_long(history_from)}; the first export is {_long(first)}. Emerging drivers "
                f"appear from the week of {_long(first + timedelta(days=DRIVER_HISTORY_DAYS))}."
            ),
            "rows": [],
        }
    found = []
    for row in _driver_rows(con, this.last, previous.last):
        tickets, base = row["tickets"], row["baseline_weekly"]
        if base == 0 and tickets >= EMERGING_MIN_NEW:
            reason = "new: no tickets in the 4-week baseline"
        elif row["spike"]:
            reason = "spike" + (f": {row['growth']:.1f}x its baseline" if row["growth"] else "")
        elif (
            tickets >= EMERGING_MIN_TICKETS
            and row["growth"] is not None
            and row["growth"] >= EMERGING_MIN_GROWTH
        ):
            reason = f"growing: {row['growth']:.1f}x its baseline"
        else:
            continue
        found.append(row | {"reason": reason, "excess": tickets - base})
    found.sort(key=lambda r: (-r["excess"], r["driver"]))
    examples = _examples(con, [row["driver"] for row in found], this.last)
    for row in found:
        row["example_ticket_ids"] = examples.get(row["driver"], [])
    return {
        "assessed": True,
        "note": (
            f"New: no tickets in the baseline and at least {EMERGING_MIN_NEW} this week. "
            f"Growing: at least {EMERGING_MIN_TICKETS} tickets and {EMERGING_MIN_GROWTH:g}x "
            "the baseline. Spike: the digest's spike rule (SPEC 5)."
        ),
        "rows": found,
    }


def _driver_rows(
    con: duckdb.DuckDBPyConnection, day: date, previous_day: date | None
) -> list[dict[str, Any]]:
    """`marts.fct_drivers_daily` on `day`, ranked by tickets, with the previous week's count."""
    rows = con.execute(
        """
        select
            this.driver,
            this.tickets_7d,
            prev.tickets_7d,
            this.baseline_weekly,
            this.share_7d,
            this.growth,
            this.is_spike,
        from marts.fct_drivers_daily as this
        left join marts.fct_drivers_daily as prev
            on prev.driver = this.driver and prev.report_date = ?
        where this.report_date = ?
        order by this.tickets_7d desc, this.driver
        """,
        [previous_day, day],
    ).fetchall()
    out = []
    for rank, row in enumerate(rows, start=1):
        driver, tickets, prev, base, share, growth, spike = (_plain(v) for v in row)
        if previous_day is not None and prev is None:
            prev = 0
        out.append(
            {
                "rank": rank,
                "driver": driver,
                "tickets": tickets,
                "previous": prev,
                "change": None if prev is None else tickets - prev,
                "baseline_weekly": base,
                "share": share,
                "growth": growth,
                "spike": bool(spike),
            }
        )
    return out


def _examples(
    con: duckdb.DuckDBPyConnection, drivers: list[str], day: date
) -> dict[str, list[str]]:
    """The latest tickets created in the 7 days ending on `day`, per driver."""
    if not drivers:
        return {}
    rows = con.execute(
        """
        with tagged as (
            select unnest(tags) as driver, ticket_id, created_at
            from marts.fct_ticket_metrics
            where created_date between ? - 6 and ?
        ),
        ranked as (
            select
                driver,
                ticket_id,
                row_number() over (
                    partition by driver order by created_at desc, ticket_id
                ) as position,
            from tagged
            where driver in (select unnest(?::varchar[]))
        )
        select driver, list(ticket_id order by position)
        from ranked
        where position <= ?
        group by driver
        """,
        [day, day, drivers, EXAMPLE_TICKETS],
    ).fetchall()
    return {driver: list(ids) for driver, ids in rows}


def _hotspots(spots: list[charts.Hotspot], this: _Span, warning: float) -> dict[str, Any]:
    window_closes = this.last + timedelta(days=7)
    return {
        "rows": [
            {
                "driver": spot.driver,
                "solved": spot.solved,
                "reopened": spot.reopened,
                "share": spot.share,
                "small_sample": spot.solved < charts.HOTSPOT_MIN_SOLVED,
                "above_warning": spot.share > warning,
            }
            for spot in spots
        ],
        "note": (
            f"Tickets first solved {_long(this.first)} to {_long(this.last)}, by driver (tag; a "
            "ticket with two tags counts for both), and how many were reopened within 7 days "
            "of that solve. Reopens are counted as far as the warehouse knows: the 7-day "
            f"window of the week's last solves closes on {_long(window_closes)}, so these "
            "shares can still rise. Drivers with fewer than "
            f"{charts.HOTSPOT_MIN_SOLVED} solved tickets are left out of the chart."
        ),
    }


# --- what the arithmetic says ---------------------------------------------------------------


def arithmetic(con: duckdb.DuckDBPyConnection, day: date, settings: Settings) -> dict[str, Any]:
    """The outflow needed to reach the target backlog against the last 4 weeks' outflow.

    Needed: `marts.fct_daily_staffing.outflow_needed_per_day` on `day` (the last 7 days'
    inflow + reopens a day, plus the backlog above the target spread over
    `drain_within_days`). Actual: the mean daily outflow of `marts.fct_daily_flow` over the
    28 days ending on `day` (fewer when the exports start later). Gap: needed - actual. The
    drivers: the most tickets in the last 7 days (`fct_drivers_daily.tickets_7d` on `day`),
    each with the share of the gap its full deflection would close (at most 100%).
    """
    staffing = settings.staffing
    base: dict[str, Any] = {
        "available": False,
        "day": day.isoformat(),
        "target_backlog_days": staffing.target_backlog_days,
        "drain_within_days": staffing.drain_within_days,
        "drivers": [],
        "sentences": [],
        "assumption": (
            "Assumes a deflected ticket (answered by self-service or automation before it "
            "reaches the team) takes one ticket a day off the outflow needed for each ticket "
            "a day deflected, at its rate of the last 7 days; a ticket with two tags "
            "counts for both drivers, so the shares do not add up."
        ),
    }
    row = None
    if _table_exists(con, "marts", "fct_daily_staffing"):
        row = con.execute(
            """
            select staffing.outflow_needed_per_day, staffing.target_backlog, flow.backlog
            from marts.fct_daily_staffing as staffing
            inner join marts.fct_daily_flow as flow using (report_date)
            where report_date = ?
            """,
            [day],
        ).fetchone()
    if row is None or row[0] is None:
        base["sentences"] = [
            f"No staffing figures for {_long(day)}: marts.fct_daily_staffing has no row "
            "for that day."
        ]
        return base
    needed, target, backlog = (_plain(v) for v in row)
    actual, days = con.execute(
        "select avg(outflow), count(*) from marts.fct_daily_flow where report_date between ? and ?",
        [day - timedelta(days=OUTFLOW_DAYS - 1), day],
    ).fetchone()
    actual = _plain(actual)
    gap = needed - actual
    drivers = []
    for driver, tickets in con.execute(
        """
        select driver, tickets_7d
        from marts.fct_drivers_daily
        where report_date = ? and tickets_7d > 0
        order by tickets_7d desc, driver
        limit ?
        """,
        [day, DEFLECTION_DRIVERS],
    ).fetchall():
        per_day = tickets / 7
        drivers.append(
            {
                "driver": driver,
                "tickets_7d": int(tickets),
                "per_day": per_day,
                "closes": min(1.0, per_day / gap) if gap > 0 else None,
            }
        )
    window = "the last 4 weeks" if days == OUTFLOW_DAYS else f"the last {days} days loaded"
    days_word = "day" if staffing.target_backlog_days == 1 else "days"
    sentences = [
        f"To bring the backlog from {backlog} open tickets to the target of {target:.0f} "
        f"({staffing.target_backlog_days:g} {days_word} of work) within "
        f"{staffing.drain_within_days} days, the team needs to solve {needed:.1f} tickets a "
        "day: the last 7 days' inflow and reopens, plus the excess spread over those days.",
    ]
    if gap > 0:
        sentences.append(
            f"Over {window} it solved {actual:.1f} a day: a gap of {gap:.1f} tickets a day."
        )
        if drivers:
            top = drivers[0]
            sentences.append(
                f"Deflecting {top['driver']} ({top['per_day']:.1f} tickets a day) would close "
                f"{top['closes']:.0%} of it."
            )
    else:
        sentences.append(
            f"Over {window} it solved {actual:.1f} a day: no gap, the outflow already covers "
            f"what is needed ({-gap:.1f} a day to spare)."
        )
    return base | {
        "available": True,
        "backlog": backlog,
        "target_backlog": target,
        "needed_per_day": needed,
        "actual_per_day": actual,
        "actual_days": int(days),
        "actual_window": window,
        "gap_per_day": gap,
        "has_gap": gap > 0,
        "drivers": drivers,
        "sentences": sentences,
    }


def _heatmap(
    con: duckdb.DuckDBPyConnection, day: date, period: tuple[date, date]
) -> dict[str, Any]:
    """Tickets created per weekday (Monday..Sunday) and hour over the 8 weeks to `day`.

    When the window starts before the first export, its first days hold only the tickets
    that export still showed (those open or updated then): `note` says so.
    """
    start = day - timedelta(days=7 * HEATMAP_WEEKS - 1)
    cells = charts.inflow_heatmap(con, start, day)
    note = ""
    if start < period[0]:
        note = (
            f"The exports start on {_long(period[0])}: tickets created before then count only "
            "when a later export still showed them, so those days are undercounted."
        )
    return {
        "start": start.isoformat(),
        "end": day.isoformat(),
        "days": (day - start).days + 1,
        "weekdays": list(charts.WEEKDAYS),
        "cells": cells,
        "tickets": sum(map(sum, cells)),
        "note": note,
    }


def _effort(con: duckdb.DuckDBPyConnection, this: _Span) -> dict[str, Any]:
    """Exchanges and handoffs of the tickets last solved during the week."""
    counts = charts.effort_distribution(con, this.first, this.last)
    tickets = sum(counts["exchanges"].values())

    def over(measure: str, limit: int) -> int:
        return sum(n for k, n in counts[measure].items() if k > limit)

    return {
        "tickets": tickets,
        "exchanges": [[k, n] for k, n in counts["exchanges"].items()],
        "handoffs": [[k, n] for k, n in counts["handoffs"].items()],
        "over_3_exchanges": over("exchanges", charts.EXCHANGES_OVER),
        "over_2_handoffs": over("handoffs", charts.HANDOFFS_OVER),
    }


# --- KB candidates, aging, data quality -----------------------------------------------------


def kb_candidates(con: duckdb.DuckDBPyConnection, day: date) -> dict[str, Any]:
    """Knowledge-base candidates from `marts.fct_kb_candidates`, when that mart exists.

    The mart holds the candidates of the day it was last refreshed: the pack shows those of
    the latest refresh up to `day`, else the earliest one after it, and says which day that is.
    Dismissed candidates are left out.
    """
    columns = _columns(con, "marts", "fct_kb_candidates")
    if not {"candidate_id", "title"} <= columns:
        return {
            "available": False,
            "as_of": None,
            "rows": [],
            "note": "No knowledge-base candidates yet: the warehouse has no "
            "marts.fct_kb_candidates table.",
        }
    optional = ("tickets", "status", "trend", "keywords")
    wanted = ["candidate_id", "title", *(c for c in optional if c in columns)]
    where, params, as_of = [], [], None
    if "report_date" in columns:
        as_of = con.execute(
            "select coalesce(max(report_date) filter (where report_date <= ?), min(report_date)) "
            "from marts.fct_kb_candidates",
            [day],
        ).fetchone()[0]
        where.append("report_date = ?")
        params.append(as_of)
    if "status" in columns:
        where.append("coalesce(status, 'new') <> 'dismissed'")
    order = "tickets desc, candidate_id" if "tickets" in columns else "candidate_id"
    sql = (
        f"select {', '.join(wanted)} from marts.fct_kb_candidates"
        + (f" where {' and '.join(where)}" if where else "")
        + f" order by {order}"
    )
    rows = []
    for values in con.execute(sql, params).fetchall():
        row = {key: None for key in optional} | dict(
            zip(wanted, (_plain(v) for v in values), strict=True)
        )
        row["candidate_id"] = str(row["candidate_id"])
        row["keywords"] = ", ".join(row["keywords"] or []) if row["keywords"] else ""
        row["draft"] = f"kb/{quote(row['candidate_id'], safe='')}.md"
        rows.append(row)
    if not rows:
        note = "No knowledge-base candidates this week."
    elif as_of is not None and as_of != day:
        note = f"Candidates as found on {_long(as_of)}, the nearest refresh to the week's end."
    else:
        note = ""
    return {"available": True, "as_of": _iso(as_of), "rows": rows, "note": note}


def _aging(con: duckdb.DuckDBPyConnection, day: date) -> dict[str, Any] | None:
    counts = charts.aging_counts(con, day)
    if counts is None:
        return None
    before = charts.aging_counts(con, day - timedelta(days=7))
    oldest = con.execute(
        "select oldest_ticket_id, oldest_age_days from marts.fct_daily_backlog_health "
        "where report_date = ?",
        [day],
    ).fetchone()
    return {
        "day": day.isoformat(),
        "buckets": counts,
        "previous": before,
        "oldest_ticket_id": oldest[0],
        "oldest_age_days": _plain(oldest[1]),
    }


def data_quality(
    con: duckdb.DuckDBPyConnection,
    monday: date,
    sunday: date,
    period: tuple[date, date] | None,
) -> dict[str, Any]:
    """Per day of the week: files, rows read / loaded / quarantined; failed checks; reasons."""
    loads = {
        row[0]: row[1:]
        for row in con.execute(
            """
            select export_date, count(*), sum(rows_read), sum(rows_loaded),
                sum(rows_quarantined)
            from ops.loads
            where export_date between ? and ?
            group by export_date
            """,
            [monday, sunday],
        ).fetchall()
    }
    days = []
    for offset in range(7):
        day = monday + timedelta(days=offset)
        files, read, loaded, quarantined = (int(v) for v in loads.get(day, (0, 0, 0, 0)))
        if day in loads:
            note = ""
        elif period is None or day < period[0]:
            note = "before the first export"
        elif day > period[1]:
            note = "not loaded yet"
        else:
            note = "no export loaded"
        days.append(
            {
                "date": day.isoformat(),
                "weekday": f"{day:%a}",
                "files": files,
                "rows_read": read,
                "rows_loaded": loaded,
                "rows_quarantined": quarantined,
                "note": note,
            }
        )
    failures = [
        {
            "date": day.isoformat(),
            "entity": entity,
            "expectation": expectation,
            "column": column,
            "severity": severity,
            "unexpected_count": int(count),
        }
        for day, entity, expectation, column, severity, count in con.execute(
            """
            select export_date, entity, expectation, column_name, severity, unexpected_count
            from ops.validation_results
            where export_date between ? and ? and not success
            order by export_date, entity, expectation, column_name
            """,
            [monday, sunday],
        ).fetchall()
    ]
    reasons = [
        {"entity": entity, "reason": reason, "rows": int(count)}
        for entity, reason, count in con.execute(
            """
            select entity, reason, count(*)
            from ops.quarantine
            where export_date between ? and ?
            group by entity, reason
            order by count(*) desc, entity, reason
            """,
            [monday, sunday],
        ).fetchall()
    ]
    checks = con.execute(
        "select count(*) from ops.validation_results where export_date between ? and ?",
        [monday, sunday],
    ).fetchone()[0]
    missing = [d for d in days if d["note"] == "no export loaded"]
    quarantined = sum(d["rows_quarantined"] for d in days)
    status = "ok" if not (failures or missing or quarantined) else "warn"
    if not loads:
        status = "no_data"
    return {
        "status": status,
        "days": days,
        "rows_read": sum(d["rows_read"] for d in days),
        "rows_loaded": sum(d["rows_loaded"] for d in days),
        "rows_quarantined": quarantined,
        "checks_run": int(checks),
        "failures": failures,
        "quarantine_reasons": reasons,
    }


# --- headline and charts --------------------------------------------------------------------


def _headline(review: dict[str, Any]) -> list[str]:
    """Three or four sentences a reader takes away before looking at anything else."""
    k = {row["key"]: row for row in review["kpis"]}
    lines = []
    backlog = k["backlog"]
    if backlog["value"] is not None:
        if backlog["previous"] is None:
            lines.append(f"The backlog stood at {backlog['value']} open tickets at week end.")
        else:
            move = backlog["value"] - backlog["previous"]
            verb = "rose" if move > 0 else "fell" if move < 0 else "held"
            lines.append(
                f"The backlog {verb} from {backlog['previous']} to {backlog['value']} "
                f"open tickets ({move:+d}) over the week."
            )
    inflow, outflow, reopened = k["inflow"]["value"], k["outflow"]["value"], k["reopened"]["value"]
    if inflow is not None:
        gap = inflow + reopened - outflow
        if gap > 0:
            tail = f"more work arrived than was solved, by {gap}"
        elif gap < 0:
            tail = f"the team solved {-gap} more than arrived"
        else:
            tail = "solves matched arrivals"
        lines.append(
            f"{inflow} tickets came in and {reopened} reopened, against {outflow} solves: {tail}."
        )
    emerging = review["emerging"]["rows"]
    if emerging:
        top = emerging[0]
        lines.append(
            f"Driver to watch: {top['driver']}, {top['tickets']} tickets this week "
            f"({top['reason']})."
        )
    elif review["drivers"]:
        top = review["drivers"][0]
        lines.append(f"Largest driver: {top['driver']}, {top['tickets']} tickets this week.")
    rate = k["reopen_rate"]
    if rate["value"] is not None:
        warning = review["reopen_rate_warning"]
        side = "above" if rate["value"] > warning else "below"
        lines.append(
            f"Reopen rate {rate['text']} of {rate['count']} tickets solved the week before, "
            f"{side} the {warning:.0%} warning line."
        )
    return lines


def _charts(
    con: duckdb.DuckDBPyConnection,
    review: dict[str, Any],
    this: _Span,
    spots: list[charts.Hotspot],
    warning: float,
) -> dict[str, dict[str, Any]]:
    """The pack's charts: PNG bytes with a title and alternative text each."""
    day = this.last
    trend = [row["driver"] for row in review["drivers"][:TREND_DRIVERS]]
    # no empty weeks before the first export: the window starts with the loaded data
    first = date.fromisoformat(review["loaded_period"][0])
    days = max(7, min(7 * TREND_WEEKS, (this.sunday - first).days + 1))
    weeks = max(1, min(TREND_WEEKS, (day - first).days // 7 + 1))
    heat = review["heatmap"]
    heat_start, cells = date.fromisoformat(heat["start"]), heat["cells"]
    auto_start = max(first, day - timedelta(days=AUTOMATION_DAYS - 1))
    effort = {
        measure: dict(map(tuple, review["effort"][measure]))
        for measure in ("exchanges", "handoffs")
    }
    candidates = [
        charts.AutomationCandidate(row["driver"], row["solved"], row["automatable"])
        for row in review["automation"]
    ]
    return {
        "flow": {
            "title": f"Inflow vs outflow and backlog, last {_weeks(days // 7)}",
            "alt": "Daily inflow and outflow with 7-day averages, and the backlog at the end "
            f"of each day, over the {_weeks(days // 7)} ending with the review week.",
            "png": charts.flow_chart_png(
                con, this.sunday, days=days, highlight=(this.monday, this.sunday)
            ),
        },
        "aging": {
            "title": "Aging of the backlog at week end",
            "alt": "Open tickets per age bucket at the end of the week and a week earlier.",
            "png": charts.aging_chart_png(con, day, day - timedelta(days=7)),
        },
        "drivers": {
            "title": "Top drivers, weekly trend",
            "alt": f"Tickets per week for the top {len(trend)} drivers over {_weeks(weeks)}.",
            "png": charts.drivers_trend_png(con, day, trend, weeks=weeks),
        },
        "reopens": {
            "title": "Reopen hot spots by driver",
            "alt": "Share of the week's first-solved tickets reopened within 7 days, per driver.",
            "png": charts.reopen_hotspots_png(spots, this.first, this.last, warning=warning),
        },
        "heatmap": {
            "title": "When tickets arrive: weekday x hour",
            "alt": f"Tickets created per weekday (Monday to Sunday) and hour of day, "
            f"{_long(heat_start)} to {_long(day)}, {sum(map(sum, cells))} tickets.",
            "png": charts.inflow_heatmap_png(cells, heat_start, day),
        },
        "effort": {
            "title": "Effort of the week's solved tickets",
            "alt": "Tickets last solved during the week by number of exchanges and of "
            f"handoffs, with the over-{charts.EXCHANGES_OVER}-exchanges and "
            f"over-{charts.HANDOFFS_OVER}-handoffs lines marked.",
            "png": charts.effort_distribution_png(effort, this.first, this.last),
        },
        "automation": {
            "title": "Automation candidates by driver",
            "alt": "Per driver, tickets last solved in the 28 days to the week's end: lookup "
            "or process work (automation candidates) against the other solved tickets.",
            "png": charts.automation_candidates_png(candidates, auto_start, day),
        },
    }


def _weeks(count: int) -> str:
    return "week" if count == 1 else f"{count} weeks"


def _no_data_sentence(week: str, period: tuple[date, date] | None) -> str:
    if period is None:
        return (
            f"No data for {week}: the warehouse holds no exports yet. Load exports with "
            "`backlog backfill` or `backlog run`, then rebuild this pack."
        )
    return (
        f"No data for {week}: the warehouse holds exports from {_long(period[0])} to "
        f"{_long(period[1])}. Pick a week in that range or load that week's exports first."
    )


# --- writing --------------------------------------------------------------------------------


def write_review(review: dict[str, Any], out_dir: Path) -> list[Path]:
    """Write `review-<YYYY>-W<ww>.html` (self-contained) and `.md` with PNGs beside it."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"review-{review['week']}"
    chart_dir = out_dir / stem
    written = []
    chart_files = {}
    if review["charts"]:
        chart_dir.mkdir(exist_ok=True)
        for name, chart in review["charts"].items():
            path = chart_dir / f"{name}.png"
            path.write_bytes(chart["png"])
            chart_files[name] = f"{stem}/{name}.png"
            written.append(path)
    html = out_dir / f"{stem}.html"
    html.write_text(render_html(review), encoding="utf-8")
    md = out_dir / f"{stem}.md"
    md.write_text(render_markdown(review, chart_files), encoding="utf-8")
    return [html, md, *written]


def render_html(review: dict[str, Any]) -> str:
    """The pack as one HTML page: CSS inline, charts as data URIs, no external resource."""
    images = {
        name: "data:image/png;base64," + base64.b64encode(chart["png"]).decode("ascii")
        for name, chart in review["charts"].items()
    }
    return _environment().get_template("review.html.j2").render(r=review, images=images)


def render_markdown(review: dict[str, Any], chart_files: dict[str, str]) -> str:
    """The pack as Markdown, its charts as PNG files next to it."""
    r = review
    lines = [
        f"# Support & product review, {r['week']}",
        "",
        f"{_long(date.fromisoformat(r['start']))} to {_long(date.fromisoformat(r['end']))} "
        f"({r['timezone']})",
        "",
    ]
    if r["coverage"]["note"]:
        lines += [f"> {r['coverage']['note']}", ""]
    lines += [f"- {line}" for line in r["headline"]] + [""]
    if r["status"] == "no_data":
        lines += _md_data_quality(r)
        return "\n".join(lines).rstrip() + "\n"

    lines += [
        "## Key figures",
        "",
        f"| figure | {r['week']} | {r['previous_week']} | change | 4-week average |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for kpi in r["kpis"]:
        count = f" (n={kpi['count']})" if kpi["count"] is not None else ""
        lines.append(
            f"| {kpi['label']} | **{kpi['text']}**{count} | {kpi['previous_text']} | "
            f"{kpi['change_text']} | {kpi['avg_4w_text']} |"
        )
    lines += ["", "What each figure covers:", ""]
    lines += [f"- **{kpi['label']}**: {kpi['covers']}" for kpi in r["kpis"]]
    lines += [
        f"- The 4-week average is the mean of the weekly figures of "
        f"{', '.join(r['baseline_weeks'])} (weeks without data are left out).",
        "",
    ]
    lines += _md_arithmetic(r["arithmetic"])
    for name in ("flow", "aging"):
        if name in chart_files:
            lines += [f"## {r['charts'][name]['title']}", "", _md_image(r, name, chart_files), ""]
    if r["aging"] and r["aging"]["oldest_ticket_id"]:
        lines += [
            f"Oldest open ticket: {_md_ticket(r, r['aging']['oldest_ticket_id'])}, "
            f"{r['aging']['oldest_age_days']:.1f} days.",
            "",
        ]
    if "heatmap" in chart_files:
        heat = r["heatmap"]
        lines += [
            f"## {r['charts']['heatmap']['title']}",
            "",
            f"Tickets created per weekday and hour, {heat['start']} to {heat['end']} "
            f"({heat['tickets']} tickets, {r['timezone']} time). {heat['note']}".rstrip(),
            "",
            _md_image(r, "heatmap", chart_files),
            "",
        ]

    lines += ["## Top drivers", ""]
    if "drivers" in chart_files:
        lines += [_md_image(r, "drivers", chart_files), ""]
    lines += [
        "| # | driver | tickets | last week | change | baseline/week | growth | share | examples |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for d in r["drivers"]:
        lines.append(
            f"| {d['rank']} | {_cell(d['driver'])}{' (spike)' if d['spike'] else ''} | "
            f"{d['tickets']} | "
            f"{_n(d['previous'])} | {_signed(d['change'])} | {d['baseline_weekly']:.1f} | "
            f"{_growth(d['growth'])} | {_pct(d['share'])} | "
            f"{', '.join(_md_ticket(r, t) for t in d['example_ticket_ids'])} |"
        )
    lines += ["", "## Emerging drivers", "", r["emerging"]["note"], ""]
    if r["emerging"]["rows"]:
        lines += [
            "| driver | tickets | baseline/week | why | examples |",
            "| --- | ---: | ---: | --- | --- |",
        ]
        for d in r["emerging"]["rows"]:
            lines.append(
                f"| {_cell(d['driver'])} | {d['tickets']} | {d['baseline_weekly']:.1f} | "
                f"{d['reason']} | {', '.join(_md_ticket(r, t) for t in d['example_ticket_ids'])} |"
            )
    elif r["emerging"]["assessed"]:
        lines.append("No driver is new or growing fast this week.")
    lines += ["", "## Reopen hot spots", "", r["reopen_hotspots"]["note"], ""]
    if "reopens" in chart_files:
        lines += [_md_image(r, "reopens", chart_files), ""]
    if r["reopen_hotspots"]["rows"]:
        lines += [
            "| driver | first solved | reopened within 7 days | share |",
            "| --- | ---: | ---: | ---: |",
        ]
        for s in r["reopen_hotspots"]["rows"]:
            flag = " (few tickets)" if s["small_sample"] else ""
            lines.append(
                f"| {_cell(s['driver'])}{flag} | {s['solved']} | {s['reopened']} | "
                f"{_pct(s['share'])} |"
            )
    if "effort" in chart_files:
        effort = r["effort"]
        lines += [
            "",
            f"## {r['charts']['effort']['title']}",
            "",
            f"{effort['tickets']} tickets last solved this week: "
            f"{effort['over_3_exchanges']} over 3 exchanges, "
            f"{effort['over_2_handoffs']} over 2 handoffs.",
            "",
            _md_image(r, "effort", chart_files),
        ]
    if "automation" in chart_files:
        lines += [
            "",
            f"## {r['charts']['automation']['title']}",
            "",
            "Lookup and process tickets among those solved in the 28 days to the week's end.",
            "",
            _md_image(r, "automation", chart_files),
        ]
    lines += ["", "## Knowledge-base candidates", ""]
    kb = r["kb_candidates"]
    if kb["rows"]:
        if kb["note"]:
            lines += [kb["note"], ""]
        lines += [
            "| candidate | tickets | trend | status | draft |",
            "| --- | ---: | --- | --- | --- |",
        ]
        for c in kb["rows"]:
            lines.append(
                f"| {_cell(c['title'])} | {_n(c['tickets'])} | {c['trend'] or ''} | "
                f"{c['status'] or ''} | [{c['candidate_id']}]({c['draft']}) |"
            )
    else:
        lines.append(kb["note"])
    lines += ["", *_md_data_quality(r)]
    return "\n".join(lines).rstrip() + "\n"


def _md_arithmetic(a: dict[str, Any] | None) -> list[str]:
    if a is None:
        return []
    lines = ["## What the arithmetic says", ""]
    lines += [*a["sentences"], ""]
    if not a["available"]:
        return lines
    gap = (
        f"**{a['gap_per_day']:.1f}** tickets / day"
        if a["has_gap"]
        else f"no gap ({-a['gap_per_day']:.1f} / day to spare)"
    )
    lines += [
        "| | tickets / day |",
        "| --- | ---: |",
        f"| Outflow needed (target within {a['drain_within_days']} days) | "
        f"{a['needed_per_day']:.1f} |",
        f"| Outflow, mean of {a['actual_window']} | {a['actual_per_day']:.1f} |",
        f"| Gap (needed - actual) | {gap} |",
        "",
    ]
    if a["drivers"]:
        lines += [
            "| driver | tickets, 7 days | tickets / day | share of the gap closed |",
            "| --- | ---: | ---: | ---: |",
        ]
        lines += [
            f"| {_cell(d['driver'])} | {d['tickets_7d']} | {d['per_day']:.1f} | "
            f"{_pct(d['closes']) if d['closes'] is not None else 'no gap'} |"
            for d in a["drivers"]
        ]
        lines.append("")
    return [*lines, f"_{a['assumption']}_", ""]


def _md_data_quality(r: dict[str, Any]) -> list[str]:
    dq = r["data_quality"]
    lines = [
        f"## Data quality: {dq['status'].replace('_', ' ')}",
        "",
        "| day | files | rows read | loaded | quarantined | note |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for d in dq["days"]:
        lines.append(
            f"| {d['weekday']} {d['date']} | {d['files']} | {d['rows_read']} | "
            f"{d['rows_loaded']} | {d['rows_quarantined']} | {d['note']} |"
        )
    lines.append("")
    if dq["failures"]:
        lines += ["Failed checks:", ""]
        lines += [
            f"- {f['date']} {f['entity']}.{f['column'] or '*'}: {f['expectation']} "
            f"({f['unexpected_count']} rows, {f['severity']})"
            for f in dq["failures"]
        ]
        lines.append("")
    elif dq["checks_run"]:
        lines += [f"All {dq['checks_run']} checks passed.", ""]
    if dq["quarantine_reasons"]:
        lines += ["Rows set aside:", ""]
        lines += [
            f"- {q['rows']} {q['entity']} rows: {q['reason']}" for q in dq["quarantine_reasons"]
        ]
        lines.append("")
    return lines


def _cell(text: Any) -> str:
    """Text safe inside a Markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _md_image(r: dict[str, Any], name: str, chart_files: dict[str, str]) -> str:
    return f"![{r['charts'][name]['alt']}]({chart_files[name]})"


def _md_ticket(r: dict[str, Any], ticket_id: str) -> str:
    url = ticket_url(r, ticket_id)
    return f"[#{ticket_id}]({url})" if url else f"#{ticket_id}"


def ticket_url(review: dict[str, Any], ticket_id: str) -> str | None:
    """The link to a ticket in the helpdesk, when a URL template is configured."""
    template = review.get("ticket_url_template")
    return template.format(ticket_id=quote(str(ticket_id), safe="")) if template else None


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        pct=_pct,
        n=_n,
        signed=_signed,
        growth=_growth,
        long=lambda value: _long(date.fromisoformat(value)) if value else "",
        fixed=lambda value, digits=1: "" if value is None else f"{value:.{digits}f}",
    )
    env.globals["ticket_url"] = lambda ticket_id, r: ticket_url(r, ticket_id)
    return env


# --- formatting -----------------------------------------------------------------------------


def format_value(value: Any, unit: str) -> str:
    """A figure for reading: rates as %, minutes and hours as durations."""
    if value is None:
        return "n/a"
    if unit == "share":
        return f"{value:.1%}"
    if unit == "minutes":
        return _duration(value * 60)
    if unit == "hours":
        return _duration(value * 3600)
    if isinstance(value, float):
        return f"{value:,.1f}"
    return f"{value:,}"


def format_change(value: Any, previous: Any, unit: str) -> str:
    """The change from the previous week: points for rates, % for durations, +n for counts."""
    if value is None or previous is None:
        return "n/a"
    if unit == "share":
        return f"{(value - previous) * 100:+.1f} pp"
    if unit in ("minutes", "hours"):
        return "±0%" if value == previous else _ratio(value, previous)
    delta = value - previous
    text = f"{delta:+,.1f}" if isinstance(delta, float) else f"{delta:+,}"
    return f"{text} ({_ratio(value, previous)})" if previous else text


def _ratio(value: float, previous: float) -> str:
    if not previous:
        return "n/a"
    return f"{(value - previous) / abs(previous):+.0%}"


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes = seconds / 60
    if minutes < 120:
        return f"{minutes:.0f} min"
    hours = minutes / 60
    return f"{hours:.1f} h" if hours < 72 else f"{hours / 24:.1f} d"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def _n(value: Any) -> str:
    return "n/a" if value is None else f"{value:,}" if isinstance(value, int) else str(value)


def _signed(value: int | None) -> str:
    return "n/a" if value is None else f"{value:+d}"


def _growth(value: float | None) -> str:
    return "new" if value is None else f"{value:.1f}x"


def _long(day: date | None) -> str:
    return "" if day is None else f"{day:%a} {day.day} {day:%b %Y}"


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _plain(value: Any) -> Any:
    """A JSON-ready value: decimals as floats, NaN as None."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> set[str]:
    return {
        row[0]
        for row in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchall()
    }


def _table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(_columns(con, schema, table))
