"""What to do this morning: work next, stale nudges, batches, from the marts."""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb

from tasks.config import Settings


def work_next_for_day(
    con: duckdb.DuckDBPyConnection, day: date, settings: Settings
) -> list[dict[str, Any]]:
    """The highest-scoring workable tickets, each with the reasons it ranks."""
    rows = con.execute(
        """
        select ticket_id, score, reasons
        from marts.fct_work_next
        where report_date = ? and work_rank <= ?
        order by work_rank
        """,
        [day, settings.work.work_next_size],
    ).fetchall()
    return [
        {"ticket_id": t, "score": score, "reasons": list(reasons)} for t, score, reasons in rows
    ]


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
