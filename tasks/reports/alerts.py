"""Coaching alerts: configurable thresholds checked every day, listed first.

Each alert carries the number that crossed its threshold. They read the digest
being built (itself read from the marts) and one mart figure, so they are as
reproducible as the digest.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb

from tasks.config import Settings

# the alerts on 7-day averages (inflow above outflow, days of work) wait for this many days
# of history, as the spike alert waits for its baseline
FULL_WINDOW_DAYS = 7


def alerts_for_day(
    con: duckdb.DuckDBPyConnection, digest: dict[str, Any], settings: Settings
) -> list[dict[str, Any]]:
    """Every alert whose threshold is crossed on the digest's day, most pressing first."""
    limits = settings.alerts
    day = date.fromisoformat(digest["date"])
    alerts: list[dict[str, Any]] = []

    quality = digest["data_quality"]
    if quality["status"] != "ok":
        alerts.append(
            _alert(
                "data_quality",
                quality["status"],
                "ok",
                f"Data quality is {quality['status'].upper()}: "
                + (
                    "; ".join(quality["checks_failed"][:2])
                    or f"{quality['rows_quarantined']} rows quarantined"
                )
                + ". Today's numbers may be incomplete.",
            )
        )

    history = digest["flow"].get("history_days")
    full_window = history is not None and history >= FULL_WINDOW_DAYS
    since = digest["flow"]["inflow_above_outflow_since"]
    if since is not None and full_window:
        run_days = (day - date.fromisoformat(since)).days + 1
        if run_days >= limits.inflow_above_outflow_days:
            flow = digest["flow"]
            alerts.append(
                _alert(
                    "inflow_above_outflow",
                    run_days,
                    limits.inflow_above_outflow_days,
                    f"Inflow has been above outflow for {run_days} days (since {since}): "
                    f"{flow['inflow_7d_avg'] + flow['reopened_7d_avg']:.1f} in vs "
                    f"{flow['outflow_7d_avg']:.1f} out per day. Act now.",
                )
            )

    rate = digest["rates"]["reopen_rate_7d"]
    if rate is not None and rate > limits.reopen_rate:
        alerts.append(
            _alert(
                "reopen_rate",
                rate,
                limits.reopen_rate,
                f"Reopen rate {rate:.0%} of {digest['rates']['reopen_cohort']} solved tickets "
                f"is above {limits.reopen_rate:.0%}: solutions are not sticking.",
            )
        )

    level = digest["backlog_days"]
    if level is not None and full_window and level > limits.backlog_days:
        alerts.append(
            _alert(
                "backlog_days",
                level,
                limits.backlog_days,
                f"The backlog is {level:.1f} days of work (above {limits.backlog_days:g}).",
            )
        )

    row = con.execute(
        "select oldest_unreplied_age_hours from marts.fct_daily_backlog_health "
        "where report_date = ?",
        [day],
    ).fetchone()
    oldest = row[0] if row else None
    if oldest is not None and oldest > limits.oldest_unreplied_hours:
        alerts.append(
            _alert(
                "oldest_unreplied",
                oldest,
                limits.oldest_unreplied_hours,
                f"The oldest unreplied ticket has waited {oldest:.0f} h "
                f"(above {limits.oldest_unreplied_hours:g} h).",
            )
        )

    for driver in digest["drivers"]:
        if driver["spike"] and driver.get("baseline_complete", True):
            alerts.append(
                _alert(
                    "spike",
                    driver["tickets_7d"],
                    settings.drivers.spike_min_tickets,
                    f"Spike in {driver['driver']}: {driver['tickets_7d']} tickets in 7 days "
                    f"against a baseline of {driver['baseline_weekly']:.1f} a week.",
                    driver=driver["driver"],
                )
            )
    return alerts


def _alert(name: str, value: Any, threshold: Any, message: str, **extra: Any) -> dict[str, Any]:
    """One alert as the digest holds it: the figure, its threshold and what to say."""
    return {"name": name, "value": value, "threshold": threshold, "message": message, **extra}
