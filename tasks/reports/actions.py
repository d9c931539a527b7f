"""What to do this morning: work next, stale nudges, batches, from the marts."""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb

from tasks.config import Settings
from tasks.render import worklist


def work_next_for_day(
    con: duckdb.DuckDBPyConnection, day: date, settings: Settings
) -> list[dict[str, Any]]:
    """The highest-scoring workable tickets, each with the reasons it ranks."""
    rows = con.execute(
        """
        select ticket_id, score, reasons, driver, driver_tickets_7d
        from marts.fct_work_next
        where report_date = ? and work_rank <= ?
        order by work_rank
        """,
        [day, settings.work.work_next_size],
    ).fetchall()
    return [
        {
            "ticket_id": ticket_id,
            "score": score,
            "reasons": [_worded(reason, driver, tickets_7d) for reason in reasons],
            # the renderers say the driver's size once, from these (not from the text)
            "driver": driver,
            "driver_tickets_7d": tickets_7d,
        }
        for ticket_id, score, reasons, driver, tickets_7d in rows
    ]


def _worded(reason: str, driver: str | None, tickets_7d: int | None) -> str:
    """A reason as a reader reads it: the mart's driver reason (`driver <name>`, its size in
    `driver_tickets_7d`) with its size, grouped as every count is shown."""
    if driver is not None and tickets_7d is not None and reason == f"driver {driver}":
        return worklist.driver_reason(driver, tickets_7d)
    return reason


def stale_for_day(con: duckdb.DuckDBPyConnection, day: date, settings: Settings) -> dict[str, Any]:
    """The "are you still seeing this?" list and the nudge to send."""
    ids = [
        ticket_id
        for (ticket_id,) in con.execute(
            "select ticket_id from marts.fct_stale_tickets where report_date = ? "
            "order by pending_since, ticket_id",
            [day],
        ).fetchall()
    ]
    return {
        "count": len(ids),
        "ticket_ids": ids,
        "min_pending_days": settings.work.stale_days,
        "nudge": settings.work.nudge_template,
    }


def batches_for_day(con: duckdb.DuckDBPyConnection, day: date) -> list[dict[str, Any]]:
    """Backlog tickets of one driver, big enough for one sitting and one saved reply."""
    rows = con.execute(
        """
        select driver, open_tickets, ticket_ids
        from marts.fct_backlog_batches
        where report_date = ?
        order by open_tickets desc, driver
        """,
        [day],
    ).fetchall()
    return [
        {"driver": driver, "open_tickets": count, "ticket_ids": list(ids)}
        for driver, count, ids in rows
    ]
