"""The morning digest as Markdown a support lead reads in 30 seconds (`digest-<D>.md`)."""

from __future__ import annotations

from typing import Any

from tasks.render import failed, worklist
from tasks.render import format as fmt

# lists in the text rendering stop here; digest-<D>.json keeps every item
LIST_LIMIT = 5
# a driver's baseline (D-34..D-7) lies in loaded exports from this many days of history on
BASELINE_DAYS = 35


def render_markdown(d: dict[str, Any]) -> str:
    """The digest (the dict of `digest-<D>.json`) as Markdown, sections in reading order.

    A failed day's digest opens with the failure and labels whose figures it shows
    (tasks/render/failed.py).
    """
    lines = [f"**{failed.first_line(d)}**", ""] if failed.is_failed_day(d) else []
    lines += [f"# Backlog digest, {d['date']} ({d['timezone']}){failed.figures_label(d)}", ""]
    if not failed.has_figures(d):
        return "\n".join([*lines, failed.NO_FIGURES, "", _data_quality(d)]) + "\n"
    if d["alerts"]:
        lines += ["## Alerts", *[f"- {alert['message']}" for alert in d["alerts"]], ""]
    lines += _backlog(d)
    lines += _aging(d["aging"])
    lines += _quality_and_speed(d)
    lines += _drivers(d["drivers"], d.get("drivers_not_listed") or {})
    lines += _work_next(d["work_next"])
    lines += _stale(d["stale"])
    lines += _lists(d)
    lines.append(_data_quality(d))
    return "\n".join(lines) + "\n"


def _backlog(d: dict[str, Any]) -> list[str]:
    """Where the backlog stands: size, status split, flow, drain."""
    b, f = d["backlog"], d["flow"]
    status = b["by_status"]
    week = fmt.backlog_change(b["change_7d"], f)
    lines = [
        "## Where the backlog stands",
        f"- **{fmt.count(b['open_total'])} open** "
        f"({fmt.signed(b['change_1d'])} {failed.day_word(d)}"
        f"{', ' + week if week else ''}): {fmt.count(status['new'])} new, "
        f"{fmt.count(status['open'])} open, {fmt.count(status['pending'])} pending, "
        f"{fmt.count(status['hold'])} on hold",
        *_since_last_digest(d),
        f"- {failed.day_word(d).capitalize()}: {fmt.count(f['inflow'])} in, "
        f"{fmt.count(f['outflow'])} out, {fmt.count(f['reopened'])} reopened "
        f"(net {fmt.signed(f['net'])})",
        f"- {fmt.average_label(f.get('history_days'))}: "
        f"{fmt.flow_balance(f['inflow_7d_avg'], f['reopened_7d_avg'], f['outflow_7d_avg'])} "
        "per day",
    ]
    short = fmt.history(f.get("history_days"))
    if short:
        lines.append(
            "- Alerts on these averages (inflow above outflow, days of work) wait for 7 days "
            "of history"
        )
    if f["inflow_above_outflow_since"] and short:
        lines.append(f"- Inflow above outflow since {f['inflow_above_outflow_since']} ({short})")
    elif f["inflow_above_outflow_since"] and not fmt.growth_alerted(d):
        # else the alert at the top says it, with its days and averages
        lines.append(f"- **Inflow above outflow since {f['inflow_above_outflow_since']}**")
    drain = "growing" if f["days_to_drain"] is None else fmt.days(f["days_to_drain"])
    lines += [
        f"- Days to drain: {drain}; projected in 14 days: {fmt.count(f['projected_backlog_14d'])}; "
        f"water level: {fmt.days(d['backlog_days'])} of work"
        + (f" (from the averages over {short})" if short else ""),
        "",
    ]
    return lines


def _since_last_digest(d: dict[str, Any]) -> list[str]:
    """The days since the previous digest, on a morning that follows more than one day."""
    line = fmt.since_last_digest(d.get("since_last_digest"))
    return [f"- **{line}**"] if line else []


def _aging(a: dict[str, Any]) -> list[str]:
    """The age buckets and the oldest open ticket."""
    lines = ["## Aging", "- " + ", ".join(f"{k}: {fmt.count(v)}" for k, v in a["buckets"].items())]
    if a["oldest_ticket_id"] is not None:
        lines.append(f"- Oldest: #{a['oldest_ticket_id']}, {fmt.days(a['oldest_age_days'])}")
    return [*lines, ""]


def _quality_and_speed(d: dict[str, Any]) -> list[str]:
    """Reopen and recontact rates, reply and resolution times, SLA."""
    r, resp, sla = d["rates"], d["response"], d["sla"]
    return [
        "## Quality and speed",
        f"- Reopen rate (7 d): {fmt.pct(r['reopen_rate_7d'])} of {fmt.count(r['reopen_cohort'])}; "
        f"recontact (same issue): {fmt.pct(r.get('same_issue_recontact_rate_7d'))} of "
        f"{fmt.count(r['recontact_cohort'])} <sub>(any ticket: "
        f"{fmt.pct(r['recontact_rate_7d'])})</sub>",
        *_rate_wait(d),
        f"- First meaningful response: median {fmt.minutes(resp['ttfmr_p50_minutes'])}, "
        f"p90 {fmt.minutes(resp['ttfmr_p90_minutes'])}; first reply (auto-replies count): "
        f"median {fmt.minutes(resp['first_reply_p50_minutes'])}, "
        f"p90 {fmt.minutes(resp['first_reply_p90_minutes'])}",
        f"- Resolution: median {fmt.hours(resp['resolution_p50_hours'])}; "
        f"{fmt.count(resp['unreplied_open'])} open tickets still without a reply",
        *_business_hours(resp),
        f"- SLA: {fmt.count(sla['breached_open'])} breached, "
        f"{fmt.count(sla['at_risk_open'])} at risk",
        "",
    ]


def _rate_wait(d: dict[str, Any]) -> list[str]:
    """The line saying that the rate alerts wait (for history or for a larger cohort)."""
    wait = fmt.rate_alert_wait(d["flow"], min_cohort(d["rates"]))
    return [f"- Alerts on these rates wait for {wait}"] if wait else []


def min_cohort(rates: dict[str, Any]) -> Any:
    """The smaller of the reopen and recontact cohorts (None when either is missing)."""
    cohorts = [rates.get("reopen_cohort"), rates.get("recontact_cohort")]
    return min(cohorts) if all(fmt.is_number(c) for c in cohorts) else None


def _business_hours(resp: dict[str, Any]) -> list[str]:
    """The reply and resolution times in business hours, when a schedule gave any."""
    if not fmt.has_business_hours(resp):
        return []
    return [
        f"- Business hours: first reply median "
        f"{fmt.minutes(resp['first_reply_business_p50_minutes'])}, "
        f"p90 {fmt.minutes(resp['first_reply_business_p90_minutes'])}; first meaningful "
        f"response median {fmt.minutes(resp['ttfmr_business_p50_minutes'])}, "
        f"p90 {fmt.minutes(resp['ttfmr_business_p90_minutes'])}; resolution median "
        f"{fmt.hours(resp['resolution_business_p50_hours'])}",
    ]


def _drivers(drivers: list[dict[str, Any]], rest: dict[str, Any]) -> list[str]:
    """The top drivers of the last 7 days, largest first, spikes flagged, and what the list
    leaves out."""
    if not drivers:
        return []
    lines = ["## Drivers (last 7 days)"]
    filling = False
    for drv in drivers:
        if drv.get("baseline_complete", True):
            growth = "new" if drv["growth"] is None else f"x{fmt.number(drv['growth'])}"
            versus = f", baseline {fmt.number(drv['baseline_weekly'])}/week, {growth}"
        else:
            # the baseline (D-34..D-7) reaches before the first export: not a baseline yet
            filling, versus = True, ""
        spike = " **spike**" if drv["spike"] else ""
        lines.append(
            f"- {drv['driver']}: {fmt.count_tickets(drv['tickets_7d'])} "
            f"({fmt.pct(drv['share_7d'])}){versus}{spike}"
        )
    more = fmt.drivers_left_out(rest)
    if more:
        lines.append(f"- {more}")
    if filling:
        lines.append(
            f"- Baselines and spikes wait for {BASELINE_DAYS} days of history "
            "(a baseline is the weekly average of the 4 weeks before the last 7 days)"
        )
    return [*lines, ""]


def _work_next(items: list[dict[str, Any]]) -> list[str]:
    """The ranked tickets to work next, each with why."""
    if not items:
        return []
    work = worklist.split_reasons(items)
    lines = ["## Work next"]
    if worklist.summary(work):
        lines.append(f"_{worklist.summary(work)}_")
        lines.append("")
    for rank, (item, own) in enumerate(zip(items, work.reasons, strict=True), start=1):
        why = "; ".join(own) or "highest combined score"
        lines.append(f"{rank}. #{item['ticket_id']} (score {fmt.number(item['score'], 0)}): {why}")
    return [*lines, ""]


def _stale(stale: dict[str, Any]) -> list[str]:
    """The pending tickets to nudge, with the nudge to send."""
    if not stale["count"]:
        return []
    return [
        f"## Nudge {fmt.count(stale['count'])} stale tickets (pending, no reply from the customer)",
        f"- {fmt.ticket_ids(stale['ticket_ids'])}",
        f'- Send: "{stale.get("nudge", "")}"',
        "",
    ]


def _lists(d: dict[str, Any]) -> list[str]:
    """Batches, knowledge-base candidates and merges, each cut at LIST_LIMIT items."""
    lines: list[str] = []
    if d["batches"]:
        lines.append("## Batch these (one person, one sitting, one saved reply)")
        lines += [
            f"- {b['driver']}: {fmt.count(b['open_tickets'])} open tickets "
            f"({fmt.ticket_ids(b['ticket_ids'])})"
            for b in d["batches"][:LIST_LIMIT]
        ]
        lines += _more(d["batches"], d["date"])
        lines.append("")
    if d["kb_candidates"]:
        lines.append("## Knowledge-base candidates (repeated resolutions)")
        lines += [
            f"- {c['title']} ({fmt.count_tickets(c['tickets'])}, {c['status']}): `backlog kb show "
            f"{c['candidate_id']}`"
            for c in d["kb_candidates"][:LIST_LIMIT]
        ]
        lines += _more(d["kb_candidates"], d["date"])
        lines.append("")
    if d["merge_candidates"]:
        lines.append("## Merge these follow-ups")
        lines += [
            f"- {fmt.ticket_ids(m['ticket_ids'])} (requester {m['requester_id']}): {m['reason']}"
            for m in d["merge_candidates"][:LIST_LIMIT]
        ]
        lines += _more(d["merge_candidates"], d["date"])
        lines.append("")
    return lines


def _data_quality(d: dict[str, Any]) -> str:
    """The day's data-quality status, what was loaded and the failed checks (a failed
    day's failure is its first line, not repeated here)."""
    dq = d["data_quality"]
    if failed.is_failed_day(d):
        first = failed.quality_note(d)
    elif dq.get("summary"):
        first = dq["summary"]
    else:
        first = (
            f"{fmt.count(dq['rows_loaded'])} rows loaded, "
            f"{fmt.count(dq['rows_quarantined'])} quarantined"
        )
    return f"## Data quality: {dq['status']}\n- {first}" + "".join(
        f"\n- {check}" for check in failed.other_checks(d)
    )


def _more(items: list, day: str, limit: int = LIST_LIMIT) -> list[str]:
    """The "and N more" line of a list cut for reading; the JSON keeps every item."""
    if len(items) <= limit:
        return []
    return [f"- {fmt.and_more(len(items) - limit)} in digest-{day}.json"]
