"""The review's drivers: top drivers, emerging drivers and reopen hot spots, from the marts."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import duckdb

from tasks.render import charts
from tasks.render import format as fmt
from tasks.reports.period import Span
from tasks.reports.values import plain

TOP_DRIVERS = 10
EXAMPLE_TICKETS = 3
# emerging (sql/marts/fct_emerging_drivers.sql, which applies them; here for the pack's note):
# new (no tickets in the 4-week baseline) with at least EMERGING_MIN_NEW tickets,
# or at least EMERGING_MIN_TICKETS tickets and EMERGING_MIN_GROWTH x the baseline, or a spike
EMERGING_MIN_NEW = 3
EMERGING_MIN_TICKETS = 5
EMERGING_MIN_GROWTH = 1.5
DRIVER_HISTORY_DAYS = 34  # the drivers mart's baseline reaches back to D-34


def top_drivers(
    con: duckdb.DuckDBPyConnection, this: Span, previous: Span, limit: int = TOP_DRIVERS
) -> list[dict[str, Any]]:
    """The top drivers by tickets this week, with last week, baseline, growth and examples."""
    rows = driver_rows(con, this.last, previous.last)
    rows = [row for row in rows if row["tickets"] > 0][:limit]
    examples = driver_examples(con, [row["driver"] for row in rows], this.last)
    for row in rows:
        row["example_ticket_ids"] = examples.get(row["driver"], [])
    return rows


def emerging_drivers(
    con: duckdb.DuckDBPyConnection,
    this: Span,
    previous: Span,
    period: tuple[date, date] | None,
) -> dict[str, Any]:
    """Drivers new this week or growing fast against their 4-week baseline, or spiking.

    The rows of `marts.fct_emerging_drivers` on the week's last day, largest excess first,
    with the columns of the top drivers' table.
    """
    history_from = this.last - timedelta(days=DRIVER_HISTORY_DAYS)
    if period is None or period[0] > history_from:
        first = period[0] if period else this.last
        return {
            "assessed": False,
            "note": (
                "Not assessed yet: a driver's baseline is its weekly average over the 4 weeks "
                "before the last 7 days, so it needs exports from "
                f"{fmt.day_label(history_from)}; the first export is {fmt.day_label(first)}. "
                "Emerging drivers appear from the week of "
                f"{fmt.day_label(first + timedelta(days=DRIVER_HISTORY_DAYS))}."
            ),
            "rows": [],
        }
    rows = {row["driver"]: row for row in driver_rows(con, this.last, previous.last)}
    found = [
        rows[driver] | {"reason": _reason(kind, rows[driver]["growth"]), "excess": plain(excess)}
        for driver, kind, excess in con.execute(
            """
            select driver, emerging_reason, excess_tickets
            from marts.fct_emerging_drivers
            where report_date = ?
            order by excess_tickets desc, driver
            """,
            [this.last],
        ).fetchall()
    ]
    examples = driver_examples(con, [row["driver"] for row in found], this.last)
    for row in found:
        row["example_ticket_ids"] = examples.get(row["driver"], [])
    return {
        "assessed": True,
        "note": (
            f"New: no tickets in the baseline and at least {EMERGING_MIN_NEW} this week. "
            f"Growing: at least {EMERGING_MIN_TICKETS} tickets and {EMERGING_MIN_GROWTH:g}x "
            "the baseline. Spike: the digest's spike rule."
        ),
        "rows": found,
    }


def driver_kind(dimension: str) -> str:
    """What a driver is, for the pack's notes: a tag, or the value of the configured field."""
    if dimension == "tags":
        return "tag; a ticket with two tags counts for both"
    return f"its {dimension.removeprefix('field:')}"


def _reason(kind: str, growth: float | None) -> str:
    """The sentence of an emerging driver's reason (`emerging_reason` of the mart)."""
    if kind == "new":
        return "new: no tickets in the 4-week baseline"
    if kind == "spike":
        return "spike" + (f": {growth:.1f}x its baseline" if growth else "")
    return f"growing: {growth:.1f}x its baseline"


def driver_rows(
    con: duckdb.DuckDBPyConnection, day: date, previous_day: date | None
) -> list[dict[str, Any]]:
    """`marts.fct_drivers_daily` on `day`, ranked by tickets, with the previous week's count.

    A spike counts only with a complete baseline (as in the digest).
    """
    rows = con.execute(
        """
        select
            this.driver,
            this.tickets_7d,
            prev.tickets_7d,
            this.baseline_weekly,
            this.share_7d,
            this.growth,
            this.is_spike and this.is_baseline_complete,
            this.is_baseline_complete,
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
        driver, tickets, prev, base, share, growth, spike, complete = (plain(v) for v in row)
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
                # a baseline reaching before the first export is not one yet: no spike
                "baseline_complete": bool(complete),
            }
        )
    return out


def driver_examples(
    con: duckdb.DuckDBPyConnection, drivers: list[str], day: date
) -> dict[str, list[str]]:
    """The latest tickets created in the 7 days ending on `day`, per driver."""
    if not drivers:
        return {}
    rows = con.execute(
        """
        with tagged as (
            select ticket_drivers.driver, tickets.ticket_id, tickets.created_at
            from marts.fct_ticket_metrics as tickets
            inner join intermediate.int_ticket_drivers as ticket_drivers using (ticket_id)
            where tickets.created_date between ? - 6 and ?
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


def hotspots(
    spots: list[charts.Hotspot], this: Span, warning: float, dimension: str = "tags"
) -> dict[str, Any]:
    """The pack's reopen hot spots: the rows of `spots` with flags, and the note.

    `dimension` is the configured driver dimension (`tags` or `field:<name>`), named in the note.
    """
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
                "flagged": spot.share > warning
                and spot.solved >= charts.HOTSPOT_MIN_SOLVED
                and spot.reopened >= charts.HOTSPOT_MIN_REOPENED,
            }
            for spot in spots
        ],
        "note": (
            f"Tickets first solved {fmt.day_label(this.first)} to {fmt.day_label(this.last)}, "
            f"by driver ({driver_kind(dimension)}), and how many were "
            "reopened within 7 days "
            "of that solve. Reopens are counted as far as the warehouse knows: the 7-day "
            f"window of the week's last solves closes on {fmt.day_label(window_closes)}, so these "
            "shares can still rise. Drivers with fewer than "
            f"{charts.HOTSPOT_MIN_SOLVED} solved tickets are left out of the chart; a share "
            f"is flagged from {charts.HOTSPOT_MIN_REOPENED} reopens on."
        ),
    }
