"""A sample digest with every section filled, for the renderers' and Slack's tests; a quiet
one and the one mart figure the alerts read, for the alerts' tests."""

from __future__ import annotations

from typing import Any

import duckdb


def make_digest(**overrides: Any) -> dict[str, Any]:
    """A digest in the shape of digest-<D>.json, every list filled."""
    digest: dict[str, Any] = {
        "date": "2026-03-03",
        "timezone": "Europe/Berlin",
        "backlog": {
            "open_total": 296,
            "by_status": {"new": 115, "open": 115, "pending": 44, "hold": 22},
            "change_1d": 17,
            "change_7d": -11,
        },
        "flow": {
            "inflow": 14,
            "outflow": 2,
            "reopened": 5,
            "net": 17,
            "inflow_7d_avg": 38.14,
            "outflow_7d_avg": 41.0,
            "reopened_7d_avg": 5.43,
            "inflow_above_outflow_since": "2026-02-28",
            "days_to_drain": None,
            "projected_backlog_14d": 331,
        },
        "aging": {
            "buckets": {"0-1d": 13, "1-3d": 58, "3-7d": 114, "7-14d": 72, "14-30d": 35, "30d+": 4},
            "oldest_ticket_id": "1001100",
            "oldest_age_days": 30.65,
        },
        "rates": {
            "reopen_rate_7d": 0.18,
            "reopen_cohort": 194,
            "recontact_rate_7d": 0.45,
            "recontact_cohort": 194,
            "same_issue_recontact_rate_7d": 0.06,
            "same_issue_recontacted": 12,
        },
        "response": {
            "first_reply_p50_minutes": 12.0,
            "first_reply_p90_minutes": 1256.3,
            "ttfmr_p50_minutes": 95.0,
            "ttfmr_p90_minutes": 5207.9,
            "resolution_p50_hours": 27.1,
            "unreplied_open": 34,
        },
        "sla": {"breached_open": 231, "at_risk_open": 18},
        "drivers": [
            {
                "driver": "billing",
                "tickets_7d": 54,
                "baseline_weekly": 56.75,
                "share_7d": 0.2,
                "growth": 0.95,
                "spike": False,
            },
            {
                "driver": "refund",
                "tickets_7d": 42,
                "baseline_weekly": 11.0,
                "share_7d": 0.16,
                "growth": 3.8,
                "spike": True,
            },
        ],
        "work_next": [
            {"ticket_id": "T1", "score": 88.2, "reasons": ["urgent priority", "enterprise tier"]},
            {"ticket_id": "T2", "score": 71.0, "reasons": ["SLA 92% elapsed"]},
        ],
        "stale": {
            "count": 3,
            "ticket_ids": ["T3", "T4", "T5"],
            "nudge": "Hi, are you still seeing this?",
        },
        "batches": [
            {"driver": "refund", "open_tickets": 7, "ticket_ids": [f"R{i}" for i in range(7)]}
        ],
        "kb_candidates": [
            {
                "candidate_id": "kb-3f2a",
                "title": "Refund not showing after cancellation",
                "tickets": 6,
                "ticket_ids": [f"K{i}" for i in range(6)],
                "status": "new",
            }
        ],
        "alerts": [
            {
                "name": "inflow_above_outflow",
                "value": 4,
                "threshold": 3,
                "message": "Inflow has been above outflow for 4 days. Act now.",
            }
        ],
        "backlog_days": 7.2,
        "merge_candidates": [
            {"requester_id": "r-77", "ticket_ids": ["T8", "T9"], "reason": "same driver in 72 h"}
        ],
        "data_quality": {
            "status": "warn",
            "rows_loaded": 204,
            "rows_quarantined": 2,
            "checks_failed": ["tickets.status: unknown status (2 rows)"],
            "history_gaps": [],
        },
    }
    digest.update(overrides)
    return digest


def quiet_digest(**overrides: Any) -> dict[str, Any]:
    """The sample digest with nothing crossing an alert threshold (data quality ok, no
    crossing, reopen rate 5%, 1 day of work, no drivers); `overrides` replace sections."""
    base = make_digest()
    digest = make_digest(
        data_quality={**base["data_quality"], "status": "ok", "checks_failed": []},
        flow={**base["flow"], "inflow_above_outflow_since": None},
        rates={**base["rates"], "reopen_rate_7d": 0.05},
        backlog_days=1.0,
        drivers=[],
    )
    digest.update(overrides)
    return digest


def alert_marts(con: duckdb.DuckDBPyConnection, oldest_unreplied_hours: float = 1.0) -> None:
    """The mart figures the alerts read (`alerts_for_day`), on the sample digest's day:
    the oldest unreplied ticket's age, quiet by default (1 h, under the 24 h threshold),
    and, on a day with `history_gaps`, the open tickets and their loaded versions (none)."""
    con.execute("create schema marts")
    con.execute(
        "create table marts.fct_daily_backlog_health as select date '2026-03-03' as "
        f"report_date, {float(oldest_unreplied_hours)}::double as oldest_unreplied_age_hours"
    )
    con.execute(
        "create table marts.fct_open_tickets (report_date date, ticket_id varchar, "
        "age_days double, is_unreplied boolean, is_sla_breached boolean)"
    )
    con.execute("create schema staging")
    con.execute("create table staging.stg_ticket_versions (export_date date, ticket_id varchar)")
