"""The review's other sections: staffing arithmetic, heat map, effort, aging, KB candidates."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

import duckdb

from tasks.config import Settings
from tasks.render import charts
from tasks.render import format as fmt
from tasks.reports import series
from tasks.reports.period import Span
from tasks.reports.values import columns, iso, plain, table_exists

OUTFLOW_DAYS = 28  # marts.fct_staffing_gap: "the last 4 weeks", the outflow of D-27..D
HEATMAP_WEEKS = 8  # inflow by weekday and hour over the last 8 weeks


def arithmetic(con: duckdb.DuckDBPyConnection, day: date, settings: Settings) -> dict[str, Any]:
    """The outflow needed to reach the target backlog against the last 4 weeks' outflow.

    From `marts.fct_staffing_gap` on `day`: needed (`fct_daily_staffing`: the last 7 days'
    inflow + reopens a day, plus the backlog above the target spread over
    `drain_within_days`), actual (the mean daily outflow over the 28 days ending on `day`,
    fewer when the exports start later) and the gap (needed - actual). The drivers:
    `marts.fct_deflection_drivers` on `day`, the 3 with the most tickets in the last 7 days,
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
            "a day deflected, at its rate of the last 7 days"
            + (
                "; a ticket with two tags counts for both drivers, so the shares do not add up."
                if settings.drivers.dimension == "tags"
                else "."
            )
        ),
    }
    row = None
    if table_exists(con, "marts", "fct_staffing_gap"):
        row = con.execute(
            """
            select
                needed_per_day, target_backlog, backlog, actual_per_day, actual_days,
                gap_per_day,
            from marts.fct_staffing_gap
            where report_date = ?
            """,
            [day],
        ).fetchone()
    if row is None or row[0] is None:
        base["sentences"] = [
            f"No staffing figures for {fmt.day_label(day)}: marts.fct_daily_staffing has no row "
            "for that day."
        ]
        return base
    needed, target, backlog, actual, days, gap = (plain(v) for v in row)
    drivers = [
        {
            "driver": driver,
            "tickets_7d": int(tickets),
            "per_day": per_day,
            "closes": closes,
        }
        for driver, tickets, per_day, closes in con.execute(
            """
            select driver, tickets_7d, per_day, gap_share_closed
            from marts.fct_deflection_drivers
            where report_date = ?
            order by driver_rank
            """,
            [day],
        ).fetchall()
    ]
    window = "the last 4 weeks" if days == OUTFLOW_DAYS else f"the last {days} days loaded"
    days_word = "day" if staffing.target_backlog_days == 1 else "days"
    sentences = [
        f"To bring the backlog from {fmt.count(backlog)} open tickets to the target of "
        f"{fmt.integer(target)} ({staffing.target_backlog_days:g} {days_word} of work) within "
        f"{staffing.drain_within_days} days, the team needs to solve {fmt.number(needed)} "
        "tickets a "
        "day: the last 7 days' inflow and reopens, plus the excess spread over those days.",
    ]
    if gap > 0:
        sentences.append(
            f"Over {window} it solved {fmt.number(actual)} a day: a gap of {fmt.number(gap)} "
            "tickets a day."
        )
        if drivers:
            top = drivers[0]
            sentences.append(
                f"Deflecting {top['driver']} ({fmt.number(top['per_day'])} tickets a day) "
                "would close "
                f"{top['closes']:.0%} of it."
            )
    else:
        sentences.append(
            f"Over {window} it solved {fmt.number(actual)} a day: no gap, the outflow already "
            f"covers what is needed ({fmt.number(-gap)} a day to spare)."
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


def heatmap(con: duckdb.DuckDBPyConnection, day: date, period: tuple[date, date]) -> dict[str, Any]:
    """Tickets created per weekday (Monday..Sunday) and hour over the 8 weeks to `day`.

    When the window starts before the first export, its first days hold only the tickets
    that export still showed (those open or updated then): `note` says so.
    """
    start = day - timedelta(days=7 * HEATMAP_WEEKS - 1)
    cells = series.inflow_heatmap(con, start, day)
    note = ""
    if start < period[0]:
        note = (
            f"The exports start on {fmt.day_label(period[0])}: tickets created before then "
            "count only when a later export still showed them, so those days are undercounted."
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


def effort(con: duckdb.DuckDBPyConnection, this: Span) -> dict[str, Any]:
    """Exchanges and handoffs of the tickets last solved during the week."""
    counts = series.effort_distribution(con, this.first, this.last)
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
    present = columns(con, "marts", "fct_kb_candidates")
    if not {"candidate_id", "title"} <= present:
        return {
            "available": False,
            "as_of": None,
            "rows": [],
            "note": "No knowledge-base candidates yet: the warehouse has no "
            "marts.fct_kb_candidates table.",
        }
    optional = ("tickets", "status", "trend", "keywords")
    wanted = ["candidate_id", "title", *(c for c in optional if c in present)]
    where, params, as_of = [], [], None
    if "report_date" in present:
        as_of = con.execute(
            "select coalesce(max(report_date) filter (where report_date <= ?), min(report_date)) "
            "from marts.fct_kb_candidates",
            [day],
        ).fetchone()[0]
        where.append("report_date = ?")
        params.append(as_of)
    if "status" in present:
        where.append("coalesce(status, 'new') <> 'dismissed'")
    order = "tickets desc, candidate_id" if "tickets" in present else "candidate_id"
    sql = (
        f"select {', '.join(wanted)} from marts.fct_kb_candidates"
        + (f" where {' and '.join(where)}" if where else "")
        + f" order by {order}"
    )
    rows = []
    for values in con.execute(sql, params).fetchall():
        row = {key: None for key in optional} | dict(
            zip(wanted, (plain(v) for v in values), strict=True)
        )
        row["candidate_id"] = str(row["candidate_id"])
        row["keywords"] = ", ".join(row["keywords"] or []) if row["keywords"] else ""
        row["draft"] = f"kb/{quote(row['candidate_id'], safe='')}.md"
        rows.append(row)
    if not rows:
        note = "No knowledge-base candidates this week."
    elif as_of is not None and as_of != day:
        note = (
            f"Candidates as found on {fmt.day_label(as_of)}, the nearest refresh to the week's end."
        )
    else:
        note = ""
    return {"available": True, "as_of": iso(as_of), "rows": rows, "note": note}


def aging(con: duckdb.DuckDBPyConnection, day: date) -> dict[str, Any] | None:
    """The backlog by age at the end of `day` and a week earlier, with the oldest ticket."""
    counts = series.aging_counts(con, day)
    if counts is None:
        return None
    before = series.aging_counts(con, day - timedelta(days=7))
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
        "oldest_age_days": plain(oldest[1]),
    }
