"""The weekly support-product review pack: one dict from the marts, then its files.

`build_review` reads only marts, ops and config tables (no wall-clock time) and
returns a dict: the week's KPIs against the previous week and the 4-week
average, drivers, emerging drivers, reopen hot spots, KB candidates, data
quality, and the charts as PNG bytes. `write_review` (tasks/render/review_html.py)
turns it into one self-contained HTML file and a Markdown file with its PNG charts
beside it. The sections are computed in `review_kpis`, `review_drivers`,
`review_sections` and `review_quality`; the weeks and the loaded period in `period`.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import duckdb

from tasks.config import Settings
from tasks.errors import BacklogError
from tasks.render import charts
from tasks.render import format as fmt
from tasks.render.review_html import render_html, write_review
from tasks.render.review_markdown import render_markdown
from tasks.reports import review_drivers, review_kpis, review_quality, review_sections, series
from tasks.reports.metrics import load_registry
from tasks.reports.period import (
    Span,
    last_complete_week,
    loaded_period,
    parse_week,
    week_name,
    week_span,
)
from tasks.reports.values import iso, table_exists

__all__ = [
    "build_review",
    "last_complete_week",
    "parse_week",
    "render_html",
    "render_markdown",
    "week_name",
    "write_review",
]

BASELINE_WEEKS = 4
TREND_WEEKS = 8
TREND_DRIVERS = 5
AUTOMATION_DAYS = 28  # fct_automation_candidates: tickets last solved in D-27..D


def build_review(con: duckdb.DuckDBPyConnection, week: str, settings: Settings) -> dict[str, Any]:
    """The review pack of one ISO week (report-zone days Monday..Sunday) from the marts."""
    monday, sunday = parse_week(week)
    week = week_name(monday)
    period = loaded_period(con)
    if period is not None and not table_exists(con, "marts", "fct_daily_flow"):
        raise BacklogError(
            "The warehouse holds exports but no marts; run `backlog run` or `backlog backfill` "
            "to build them, then rebuild the review."
        )
    this = week_span(monday, period)
    if this.last is None:
        raise BacklogError(no_data_sentence(week, period))
    previous = week_span(monday - timedelta(days=7), period)
    baseline = [week_span(monday - timedelta(days=7 * k), period) for k in range(1, 5)]
    extra = settings.extensions.metric_files()
    registry = {metric.name: metric for metric in load_registry(extra_files=extra)}

    review: dict[str, Any] = {
        "week": week,
        "start": monday.isoformat(),
        "end": sunday.isoformat(),
        "timezone": settings.report_timezone,
        "status": this.status,
        "as_of": iso(this.last),
        "coverage": _coverage(this, _history_days(con, this.last)),
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
        "data_quality": review_quality.data_quality(con, monday, sunday, period),
        "charts": {},
    }
    review["kpis"] = review_kpis.kpis(con, registry, this, previous, baseline)
    review["aging"] = review_sections.aging(con, this.last)
    review["arithmetic"] = review_sections.arithmetic(con, this.last, settings)
    review["heatmap"] = review_sections.heatmap(con, this.last, period)
    review["effort"] = review_sections.effort(con, this)
    review["automation"] = [
        {"driver": c.driver, "solved": c.solved, "automatable": c.automatable, "share": c.share}
        for c in series.automation_candidates(con, this.last)
    ]
    review["drivers"] = review_drivers.top_drivers(con, this, previous)
    review["emerging"] = review_drivers.emerging_drivers(con, this, previous, period)
    spots = series.reopen_hotspots(con, this.monday)
    review["reopen_hotspots"] = review_drivers.hotspots(
        spots, this, settings.alerts.reopen_rate, settings.drivers.dimension
    )
    review["kb_candidates"] = review_sections.kb_candidates(con, this.last)
    review["headline"] = _headline(review)
    review["charts"] = _charts(con, review, this, spots, settings.alerts.reopen_rate)
    return review


def _history_days(con: duckdb.DuckDBPyConnection, day: date) -> int | None:
    """The days of history behind `day`'s 7-day averages (fct_daily_flow.history_days)."""
    row = con.execute(
        "select history_days from marts.fct_daily_flow where report_date = ?", [day]
    ).fetchone()
    return None if row is None else int(row[0])


def _coverage(span: Span, history_days: int | None) -> dict[str, Any]:
    """Which of the week's days the figures cover, and a sentence when not all of them."""
    note = ""
    if span.status == "partial":
        missing_start = span.first > span.monday
        missing_end = span.last < span.sunday
        parts = []
        if missing_start:
            parts.append(f"the first export is {fmt.day_label(span.first)}")
        if missing_end:
            parts.append(f"the last export is {fmt.day_label(span.last)}")
        note = (
            f"Partial week: {' and '.join(parts)}, so the week has {span.days} of 7 days. "
            "Weekly sums cover those days; the 7-day figures are as of "
            f"{fmt.day_label(span.last)} (its 7 days ending that day)."
        )
        short = fmt.history(history_days)
        if short:
            note += f" That day has {short}: its daily averages are over those days."
    return {
        "first_day": iso(span.first),
        "last_day": iso(span.last),
        "days": span.days,
        "history_days": history_days,
        "note": note,
    }


def _headline(review: dict[str, Any]) -> list[str]:
    """Three or four sentences a reader takes away before looking at anything else."""
    k = {row["key"]: row for row in review["kpis"]}
    lines = []
    backlog = k["backlog"]
    if backlog["value"] is not None:
        if backlog["previous"] is None:
            lines.append(
                f"The backlog stood at {fmt.count(backlog['value'])} open tickets at week end."
            )
        else:
            move = backlog["value"] - backlog["previous"]
            verb = "rose" if move > 0 else "fell" if move < 0 else "held"
            lines.append(
                f"The backlog {verb} from {fmt.count(backlog['previous'])} to "
                f"{fmt.count(backlog['value'])} open tickets ({fmt.signed(move)}) over the week."
            )
    inflow, outflow, reopened = k["inflow"]["value"], k["outflow"]["value"], k["reopened"]["value"]
    if inflow is not None:
        gap = inflow + reopened - outflow
        if gap > 0:
            tail = f"more work arrived than was solved, by {fmt.count(gap)}"
        elif gap < 0:
            tail = f"the team solved {fmt.count(-gap)} more than arrived"
        else:
            tail = "solves matched arrivals"
        lines.append(
            f"{fmt.count(inflow)} tickets came in and {fmt.count(reopened)} reopened, against "
            f"{fmt.count(outflow)} solves: {tail}."
        )
    emerging = review["emerging"]["rows"]
    if emerging:
        top = emerging[0]
        lines.append(
            f"Driver to watch: {top['driver']}, {fmt.count_tickets(top['tickets'])} this week "
            f"({top['reason']})."
        )
    elif review["drivers"]:
        top = review["drivers"][0]
        lines.append(
            f"Largest driver: {top['driver']}, {fmt.count_tickets(top['tickets'])} this week."
        )
    rate = k["reopen_rate"]
    if rate["value"] is not None:
        warning = review["reopen_rate_warning"]
        side = "above" if rate["value"] > warning else "below"
        lines.append(
            f"Reopen rate {rate['text']} of {fmt.count_tickets(rate['count'])} solved the week "
            "before, "
            f"{side} the {fmt.threshold(warning, 'share')} warning line."
        )
    return lines


def _charts(
    con: duckdb.DuckDBPyConnection,
    review: dict[str, Any],
    this: Span,
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
    week_ends = [day - timedelta(days=7 * k) for k in range(weeks - 1, -1, -1)]
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
            "png": series.flow_chart_png(
                con, this.sunday, days=days, highlight=(this.monday, this.sunday)
            ),
        },
        "aging": {
            "title": "Aging of the backlog at week end",
            "alt": "Open tickets per age bucket at the end of the week and a week earlier.",
            "png": charts.aging_chart_png(
                series.aging_counts(con, day),
                day,
                series.aging_counts(con, day - timedelta(days=7)),
                day - timedelta(days=7),
            ),
        },
        "drivers": {
            "title": "Top drivers, weekly trend",
            "alt": f"Tickets per week for the top {len(trend)} drivers over {_weeks(weeks)}.",
            "png": charts.drivers_trend_png(
                series.driver_weekly_counts(con, trend, week_ends), week_ends, trend
            ),
        },
        "reopens": {
            "title": "Reopen hot spots by driver",
            "alt": "Share of the week's first-solved tickets reopened within 7 days, per driver.",
            "png": charts.reopen_hotspots_png(spots, this.first, this.last, warning=warning),
        },
        "heatmap": {
            "title": "When tickets arrive: weekday x hour",
            "alt": f"Tickets created per weekday (Monday to Sunday) and hour of day, "
            f"{fmt.day_label(heat_start)} to {fmt.day_label(day)}, "
            f"{fmt.count_tickets(sum(map(sum, cells)))}.",
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


def no_data_sentence(week: str, period: tuple[date, date] | None) -> str:
    """The error of a week the warehouse holds no day of: which weeks it does hold."""
    if period is None:
        return (
            f"No data for {week}: the warehouse holds no exports yet; load them with "
            "`backlog backfill` or `backlog run`, then build the pack."
        )
    first, last = week_name(period[0]), week_name(period[1])
    weeks = first if first == last else f"{first} to {last}"
    return (
        f"No data for {week}: the warehouse holds weeks {weeks} (exports from "
        f"{fmt.day_label(period[0])} to {fmt.day_label(period[1])}); pick one of those weeks "
        "or load that week's exports first."
    )
