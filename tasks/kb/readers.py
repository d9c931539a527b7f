"""Reading the stored candidates: the digest's list, the CLI's list/show/state, drivers."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import duckdb

from tasks.errors import BacklogError
from tasks.kb.store import build_marts, latest_mart_day
from tasks.warehouse import read_sql

STATES = ("new", "accepted", "dismissed")


def candidates_for_digest(con: duckdb.DuckDBPyConnection, day: date) -> list[dict[str, Any]]:
    """The digest's `kb_candidates` as found on `day`; dismissed ones left out.

    Each item: candidate_id, title, tickets (how many), ticket_ids (every member, the most
    representative first), status (new or accepted). Largest first. Empty when no run
    stored results for `day`.
    """
    rows = con.execute(
        read_sql("queries/kb/digest_candidates.sql"), {"report_date": day}
    ).fetchall()
    return [
        {
            "candidate_id": candidate_id,
            "title": title,
            "tickets": tickets,
            "ticket_ids": list(ticket_ids),
            "status": state,
        }
        for candidate_id, title, tickets, ticket_ids, state in rows
    ]


def set_state(con: duckdb.DuckDBPyConnection, candidate_id: str, state: str) -> None:
    """Mark a candidate new, accepted or dismissed (the CLI's accept / dismiss)."""
    if state not in STATES:
        raise BacklogError(f"Unknown KB candidate state {state!r}; use one of {', '.join(STATES)}.")
    found = con.execute(
        "select 1 from ops.kb_candidates where candidate_id = $candidate_id",
        {"candidate_id": candidate_id},
    ).fetchone()
    if found is None:
        raise BacklogError(
            f"There is no KB candidate {candidate_id!r}; run `backlog kb list` to see the ids."
        )
    latest = latest_mart_day(con)
    con.execute("begin transaction")
    try:
        con.execute(
            "update ops.kb_candidates set state = $state, state_changed_at = $changed_at "
            "where candidate_id = $candidate_id",
            {"state": state, "changed_at": datetime.now(UTC), "candidate_id": candidate_id},
        )
        if latest is not None:
            build_marts(con, latest)  # the marts show the new state at once
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def list_candidates(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Every candidate ever found with its state and latest figures (the CLI's `kb list`).

    Ordered new, accepted, dismissed; within a state the most recently seen and largest
    first.
    """
    rows = con.execute(read_sql("queries/kb/candidate_list.sql")).fetchall()
    keys = ("candidate_id", "state", "title", "keywords", "tickets", "trend")
    return [
        {**dict(zip(keys, row[:6], strict=True)), "first_seen": row[6], "last_seen": row[7]}
        for row in rows
    ]


def show_candidate(con: duckdb.DuckDBPyConnection, candidate_id: str) -> str:
    """The Markdown draft of a candidate as last found (the CLI's `kb show`)."""
    row = con.execute(
        read_sql("queries/kb/candidate_draft.sql"), {"candidate_id": candidate_id}
    ).fetchone()
    if row is None:
        raise BacklogError(
            f"There is no KB candidate {candidate_id!r}; run `backlog kb list` to see the ids."
        )
    return str(row[0])


def driver_by_cluster(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Ticket id -> candidate title for the tickets of the latest run's clusters.

    The text cluster as a driver dimension: dismissed clusters included,
    since dismissing an article does not make the tickets less alike. The same mapping is
    the table marts.fct_kb_candidate_tickets (ticket_id, candidate_id, candidate_title).
    """
    try:
        rows = con.execute(
            "select ticket_id, candidate_title from marts.fct_kb_candidate_tickets "
            "order by ticket_id"
        ).fetchall()
    except duckdb.CatalogException:
        return {}
    return dict(rows)
