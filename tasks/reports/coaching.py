"""The coaching lists: merge candidates and automation candidates, from marts."""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb

from tasks.reports import series


def merge_candidates_for_day(con: duckdb.DuckDBPyConnection, day: date) -> list[dict[str, Any]]:
    """Per requester, the backlog tickets that look like one conversation, oldest first."""
    rows = con.execute(
        """
        with pairs as (
            select * from marts.fct_merge_candidates where report_date = ?
        ),
        members as (
            select requester_id, first_ticket_id as ticket_id from pairs
            union
            select requester_id, second_ticket_id from pairs
        ),
        created as (
            select ticket_id, created_at from marts.fct_ticket_metrics
        )
        select
            members.requester_id,
            list(members.ticket_id order by created.created_at, members.ticket_id),
            (select first(reason order by hours_apart, first_ticket_id)
             from pairs where pairs.requester_id = members.requester_id),
        from members
        inner join created using (ticket_id)
        group by members.requester_id
        order by members.requester_id
        """,
        [day],
    ).fetchall()
    return [
        {"requester_id": requester, "ticket_ids": list(ids), "reason": reason}
        for requester, ids, reason in rows
    ]


def automation_candidates_for_day(
    con: duckdb.DuckDBPyConnection, day: date, limit: int = 5
) -> list[dict[str, Any]]:
    """Drivers with lookup or process work among their solved tickets, largest first.

    The rows of `series.automation_candidates` (the one reader of the mart, in its order)
    with at least one automatable ticket, at most `limit`.
    """
    rows = [c for c in series.automation_candidates(con, day) if c.automatable > 0][:limit]
    return [
        {
            "driver": c.driver,
            "solved_tickets": c.solved,
            "automatable_tickets": c.automatable,
            "automatable_share": c.share,
        }
        for c in rows
    ]
