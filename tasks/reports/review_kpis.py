"""The review's KPI table: registered metrics per ISO week, against last week and 4 weeks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

from tasks.render import format as fmt
from tasks.reports.metrics import Metric
from tasks.reports.period import Span
from tasks.reports.values import plain


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
        "same_issue_recontact_rate",
        "rates.same_issue_recontact_rate_7d",
        "Recontact (same issue)",
        "end",
        "lower",
        "Same cohort: the share whose same problem came back within 7 days of the first solve "
        "(another ticket of the requester on a shared driver, or a linked follow-up).",
        "rates.recontact_cohort",
    ),
    Kpi(
        "recontact_rate",
        "rates.recontact_rate_7d",
        "Recontact, any ticket",
        "end",
        "lower",
        "Same cohort: the share whose requester opened another ticket within 7 days of the "
        "first solve.",
        "rates.recontact_cohort",
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

# shown after their calendar figure (key without "_business"), only with [business_hours]
BUSINESS_KPIS: tuple[Kpi, ...] = (
    Kpi(
        "first_reply_business_p50",
        "response.first_reply_business_p50_minutes",
        "First reply, median (business hours)",
        "end",
        "lower",
        "The same tickets, counting only the open hours of each ticket's schedule.",
        "response.first_reply_count",
    ),
    Kpi(
        "first_reply_business_p90",
        "response.first_reply_business_p90_minutes",
        "First reply, p90 (business hours)",
        "end",
        "lower",
        "The same tickets, counting only the open hours of each ticket's schedule.",
        "response.first_reply_count",
    ),
    Kpi(
        "ttfmr_business_p50",
        "response.ttfmr_business_p50_minutes",
        "First meaningful response, median (business hours)",
        "end",
        "lower",
        "The same tickets, counting only the open hours of each ticket's schedule.",
        "response.ttfmr_count",
    ),
    Kpi(
        "resolution_business_p50",
        "response.resolution_business_p50_hours",
        "Resolution, median (business hours)",
        "end",
        "lower",
        "The same tickets, counting only the open hours of each ticket's schedule.",
        "response.resolution_count",
    ),
)


def kpis(
    con: duckdb.DuckDBPyConnection,
    registry: dict[str, Metric],
    this: Span,
    previous: Span,
    baseline: list[Span],
) -> list[dict[str, Any]]:
    """Each KPI this week, the previous week and the mean of the 4 weeks before this one.

    The shipped KPIs first, then every extension metric the registry shows in the pack.
    """
    (schedules,) = con.execute("select count(*) from config.business_schedule_versions").fetchone()
    chosen = _kpis(registry, business=schedules > 0)
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
        prev_count = (
            values[previous.monday].get(f"{kpi.key}__count") if previous.monday in values else None
        )
        small = _small_base(metric.unit, prev, count, prev_count)
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
                "text": fmt.value(value, metric.unit),
                "previous_text": fmt.value(prev, metric.unit),
                "avg_4w_text": fmt.value(avg, metric.unit),
                "small_base": small,
                "change_text": fmt.change(value, prev, metric.unit, small_base=small),
                "verdict": "same" if small else _verdict(value, prev, kpi.better),
            }
        )
    return rows


def _kpis(registry: dict[str, Metric], business: bool = False) -> tuple[Kpi, ...]:
    """The shipped KPIs (with `business`, each business-hours figure after its calendar
    one) plus one per extension metric (unless its `review` is "none")."""
    shipped: list[Kpi] = []
    for kpi in KPIS:
        shipped.append(kpi)
        shipped += [
            extra
            for extra in BUSINESS_KPIS
            if business and extra.key.replace("_business", "") == kpi.key
        ]
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
    return (*shipped, *added)


def _week_values(
    con: duckdb.DuckDBPyConnection,
    registry: dict[str, Metric],
    span: Span,
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
            out[kpi.key] = None if not row[1] else plain(row[0])
        else:
            row = con.execute(
                f"select {metric.column} from {metric.model} where report_date = ?", [span.last]
            ).fetchone()
            out[kpi.key] = None if row is None else plain(row[0])
        if kpi.count_metric:
            counted = registry[kpi.count_metric]
            row = con.execute(
                f"select {counted.column} from {counted.model} where report_date = ?",
                [span.last],
            ).fetchone()
            out[f"{kpi.key}__count"] = None if row is None else plain(row[0])
    return out


def _weekly_unit(unit: str, how: str) -> str:
    return f"{unit} per week" if how == "sum" and unit == "tickets" else unit


def _verdict(value: Any, previous: Any, better: str | None) -> str:
    """`better`, `worse` or `same` compared with the previous week."""
    if value is None or previous is None or better is None or value == previous:
        return "same"
    return "better" if (value < previous) == (better == "lower") else "worse"


def _small_base(unit: str, previous: Any, count: Any, previous_count: Any) -> bool:
    """Whether a change rests on fewer than `fmt.SMALL_BASE` tickets: shown without colour.

    A count's base is last week's count; a rate's or a duration's, the tickets behind it
    this week and last week.
    """
    if unit == "tickets":
        return fmt.is_number(previous) and previous < fmt.SMALL_BASE
    bases = [n for n in (count, previous_count) if fmt.is_number(n)]
    return any(n < fmt.SMALL_BASE for n in bases)
