"""Coaching alerts: configurable thresholds checked every day, listed first.

Each alert carries the number that crossed its threshold. They read the digest
being built (itself read from the marts) and one mart figure, so they are as
reproducible as the digest.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb

from tasks import quality as dq
from tasks.config import Settings
from tasks.render import format as fmt
from tasks.reports import alert_gaps

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

    quality_alert = data_quality_alert(day, digest["data_quality"])
    if quality_alert is not None:
        alerts.append(quality_alert)

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
                    + fmt.flow_balance(
                        flow["inflow_7d_avg"], flow["reopened_7d_avg"], flow["outflow_7d_avg"]
                    )
                    + " per day. Act now.",
                )
            )

    rates_ready = rate_alerts_ready(digest)
    rate = digest["rates"]["reopen_rate_7d"]
    if rate is not None and rates_ready["reopen"] and rate > limits.reopen_rate:
        alerts.append(
            _alert(
                "reopen_rate",
                rate,
                limits.reopen_rate,
                f"Reopen rate {fmt.pct(rate)} of {fmt.count(digest['rates']['reopen_cohort'])} "
                f"solved tickets is above {fmt.threshold(limits.reopen_rate, 'share')}: "
                "solutions are not sticking.",
            )
        )

    same_issue = digest["rates"].get("same_issue_recontact_rate_7d")
    if (
        same_issue is not None
        and rates_ready["recontact"]
        and same_issue > limits.same_issue_recontact_rate
    ):
        rates = digest["rates"]
        alerts.append(
            _alert(
                "same_issue_recontact_rate",
                same_issue,
                limits.same_issue_recontact_rate,
                f"Recontact (same issue) {fmt.pct(same_issue)}: "
                f"{fmt.count(rates['same_issue_recontacted'])} of "
                f"{fmt.count(rates['recontact_cohort'])} solved tickets came back with the same "
                "problem within 7 days "
                f"(above {fmt.threshold(limits.same_issue_recontact_rate, 'share')}).",
            )
        )

    level = digest["backlog_days"]
    if level is not None and full_window and level > limits.backlog_days:
        alerts.append(
            _alert(
                "backlog_days",
                level,
                limits.backlog_days,
                f"The backlog is {fmt.days(level)} of work "
                f"(above {fmt.threshold(limits.backlog_days, 'days')}).",
            )
        )

    breached, open_total = digest["sla"]["breached_open"], digest["backlog"]["open_total"]
    if breached is not None and open_total:
        share = breached / open_total
        if share > limits.sla_breached_share:
            alerts.append(
                _alert(
                    "sla_breached",
                    share,
                    limits.sla_breached_share,
                    f"{fmt.pct(share)} of the backlog is past its SLA target "
                    f"({fmt.count(breached)} of {fmt.count(open_total)} tickets; "
                    f"above {fmt.threshold(limits.sla_breached_share, 'share')}).",
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
                f"The oldest unreplied ticket has waited {fmt.hours(oldest)} "
                f"(above {fmt.threshold(limits.oldest_unreplied_hours, 'hours')}).",
            )
        )

    for driver in digest["drivers"]:
        if driver["spike"] and driver.get("baseline_complete", True):
            alerts.append(
                _alert(
                    "spike",
                    driver["tickets_7d"],
                    settings.drivers.spike_min_tickets,
                    f"Spike in {driver['driver']}: {fmt.count(driver['tickets_7d'])} tickets in "
                    f"7 days against a baseline of {fmt.number(driver['baseline_weekly'])} a week.",
                    driver=driver["driver"],
                )
            )
    return alert_gaps.with_gap_caveats(con, day, digest, alerts)


def data_quality_alert(day: date, quality: dict[str, Any]) -> dict[str, Any] | None:
    """The alert on a day whose data quality is not ok, saying what is true of it.

    D's own data (failed checks, quarantined rows) may leave today's numbers incomplete;
    a gap in the history (`history_gaps`) leaves D's export whole, but the figures over
    the missing days miss them and the backlog keeps the tickets that changed on them as
    they stood before. Both: one alert, each said once.
    """
    if quality["status"] == "ok":
        return None
    gaps = [date.fromisoformat(d) for d in quality.get("history_gaps") or []]
    gap_check = dq.gap_sentence(day, gaps) if gaps else None
    own = [check.rstrip(".") for check in quality["checks_failed"] if check != gap_check]
    head = f"Data quality is {quality['status'].upper()}: "
    problems = "; ".join(own[:2]) or f"{fmt.count(quality['rows_quarantined'])} rows quarantined"
    listed = ", ".join(d.isoformat() for d in gaps)
    figures = dq.gap_figures(day, gaps)
    if not gaps:
        text = f"{head}{problems}. Today's numbers may be incomplete."
    elif own or quality["rows_quarantined"]:
        missed = f", which {figures} miss" if figures else ""
        text = (
            f"{head}{problems}. Today's numbers may be incomplete; the history also has a gap "
            f"(no complete export for {listed}){missed}."
        )
    else:
        those, it = ("that day", "it") if len(gaps) == 1 else ("those days", "them")
        missed = f"{figures} miss {those}, and " if figures else ""
        text = (
            f"{head}the history has a gap (no complete export for {listed}). Today's export "
            f"loaded in full, but {missed}the backlog counts tickets that changed on {those}, "
            f"and not since, as they stood before {it}."
        )
    return _alert("data_quality", quality["status"], "ok", text)


def rate_alerts_ready(digest: dict[str, Any]) -> dict[str, bool]:
    """Whether the reopen and the recontact alert may fire on the digest's day (the wait
    `fmt.rate_alert_wait` names): 14 days of history and a cohort of 30 tickets."""
    flow, rates = digest["flow"], digest["rates"]
    return {
        "reopen": not fmt.rate_alert_wait(flow, rates.get("reopen_cohort")),
        "recontact": not fmt.rate_alert_wait(flow, rates.get("recontact_cohort")),
    }


def _alert(name: str, value: Any, threshold: Any, message: str, **extra: Any) -> dict[str, Any]:
    """One alert as the digest holds it: the figure, its threshold and what to say."""
    return {"name": name, "value": value, "threshold": threshold, "message": message, **extra}
