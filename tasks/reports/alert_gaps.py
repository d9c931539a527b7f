"""What a gap in the history does to each alert: said in the alert itself.

An export holds the tickets created or updated that day, so a day without a complete
export (`data_quality.history_gaps`, the 14 days before D) leaves its solves, replies and
reopens unseen: its outflow is missing from every window that holds it, and a ticket that
changed that day, and not since, keeps its earlier state in D's backlog. An alert that
reads such a day keeps its figure and threshold, but its message says which missing days
it reads, what they leave out, and to load them before acting (it no longer says "Act
now."). No alert is held back: the missing day's data is unknown, so the alert may be
true, and the lead who loads the day sees the right one the next run.

Which alert reads what (D the digest's day; gaps are before D):
- inflow above outflow: the 7-day averages of every day of its run, since-6..D;
- days of work: the backlog at D and the 7-day outflow, D-6..D;
- SLA share, oldest unreplied: the backlog at D, through the open tickets whose last
  version predates the latest missing day (`status.stale_open_tickets`); none, no caveat;
- reopen and recontact rates: the cohort first solved in D-13..D-7 and its comebacks;
- spike: its baseline, the 4 weeks before D-6 (a missing day lowers it; a missing day in
  the spike's own week only lowers its count, so it stands).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import duckdb

from tasks import quality as dq
from tasks.render import format as fmt

BACKLOG_ALERTS = ("backlog_days", "sla_breached", "oldest_unreplied")


def with_gap_caveats(
    con: duckdb.DuckDBPyConnection, day: date, digest: dict[str, Any], alerts: list[dict]
) -> list[dict[str, Any]]:
    """`alerts` with each one that reads a missing day saying so (and naming the days in
    `gap_days`); unchanged when the digest's history has no gap."""
    gaps = [date.fromisoformat(d) for d in digest["data_quality"].get("history_gaps") or []]
    if not gaps:
        return alerts
    # the backlog's alerts read the open tickets last changed before the latest missing day
    stale = (
        dq.stale_open_tickets(con, day, max(gaps))
        if any(alert["name"] in BACKLOG_ALERTS for alert in alerts)
        else {"open": 0, "sla_breached": 0, "oldest_unreplied_hours": None}
    )
    out = []
    for alert in alerts:
        read, consequence = _reads(alert, day, digest, gaps, stale)
        if not read:
            out.append(alert)
            continue
        message = alert["message"].removesuffix(" Act now.").removesuffix(".")
        out.append(
            {
                **alert,
                "message": message + dq.gap_caveat(read, consequence),
                "gap_days": [d.isoformat() for d in read],
            }
        )
    return out


def _reads(
    alert: dict[str, Any],
    day: date,
    digest: dict[str, Any],
    gaps: list[date],
    stale: dict[str, Any],
) -> tuple[list[date], str]:
    """The missing days an alert's figure reads, and what they leave out of it."""
    one = len(gaps) == 1
    its, it = ("its", "it") if one else ("their", "them")
    name = alert["name"]
    if name == "inflow_above_outflow":
        since = date.fromisoformat(digest["flow"]["inflow_above_outflow_since"])
        return _from(gaps, since - timedelta(days=6)), f"{its} solves are not counted"
    if name in ("reopen_rate", "same_issue_recontact_rate"):
        return _from(gaps, day - timedelta(days=13)), f"{its} solves and reopens are not counted"
    if name == "spike":
        # the baseline ends on D-7; a missing day of the spike's own week lowers its count
        read = [d for d in gaps if d <= day - timedelta(days=7)]
        return read, f"{its} tickets are missing from the baseline"
    if name == "backlog_days":
        in_week = _from(gaps, day - timedelta(days=6))
        parts = [f"{its} solves are not counted"] if in_week else []
        if stale["open"]:
            parts.append(_stale(stale["open"], it))
        return (gaps if parts else []), " and ".join(parts)
    if name == "sla_breached" and stale["open"]:
        breached = fmt.count(stale["sla_breached"])
        return gaps, (
            f"{fmt.count(stale['open'])} of those tickets ({breached} past SLA) last changed "
            f"before {it} and may have been solved on {it}"
        )
    oldest = stale["oldest_unreplied_hours"]
    if name == "oldest_unreplied" and oldest is not None and oldest >= alert["value"]:
        return gaps, f"that ticket last changed before {it} and may have had a reply on {it}"
    return [], ""


def _from(gaps: list[date], first: date) -> list[date]:
    return [d for d in gaps if d >= first]


def _stale(count: int, it: str) -> str:
    tickets = "ticket" if count == 1 else "tickets"
    return (
        f"{fmt.count(count)} open {tickets}, last changed before {it}, may have been solved on {it}"
    )
