"""The morning digest as a Slack Block Kit message, within Slack's limits.

`build_payload` turns `digest-<D>.json` into `{"text": ..., "blocks": [...]}` that a
support lead reads in 30 seconds: alerts first, then where the backlog stands, what
is slipping, what to do this morning. It stays inside Slack's limits whatever the
digest holds (long lists end with "and N more") and every value taken from the
data passes through `tasks.redact.redact`, so no personal data is posted (the blocks,
the clipping and the escaping are `tasks.render.mrkdwn`'s). `write_payload` writes the
message and its HTML preview (`tasks.render.preview`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from tasks.render import failed, worklist
from tasks.render import format as fmt
from tasks.render.mrkdwn import (
    MAX_BLOCKS,
    MAX_FALLBACK_TEXT,
    MAX_FIELD_TEXT,
    MAX_FIELDS,
    MAX_HEADER_TEXT,
    MAX_SECTION_TEXT,
    clip,
    clip_plain,
    context,
    divider,
    esc,
    escape,
    fit,
    join_fit,
    section,
    ticket_text,
    within_block_limit,
)
from tasks.render.preview import render_preview_html

MAX_MAIN_BLOCKS = 10  # the top-level message: a phone screen
LISTS_BLOCK_ID = "lists"


def build_payload(
    digest: dict[str, Any],
    *,
    ticket_url_template: str | None = None,
    max_list_items: int = 5,
) -> dict[str, Any]:
    """The Slack message of a digest: a short top-level message and one reply in its thread.

    The top-level message fits a phone screen (at most `MAX_MAIN_BLOCKS` blocks): the
    headline (backlog, direction, the one number to act on), the alerts and the few figures
    a lead reads. The lists (drivers, work next, stale, batches, merge and KB candidates,
    aging) go in `thread`, posted as a reply to it.

    Args:
        digest: the dict of `digest-<D>.json`; missing keys are skipped.
        ticket_url_template: e.g. `https://acme.zendesk.com/agent/tickets/{ticket_id}`;
            ticket ids become links through it when given.
        max_list_items: how many items each list shows before "and N more".

    Returns:
        `{"text", "blocks", "thread": {"text", "blocks"}}`.
    """
    r = _Renderer(ticket_url_template, max(1, max_list_items))
    blocks: list[dict[str, Any]] = [r.header(digest)]
    if failed.is_failed_day(digest):  # the failure first, once (tasks/render/failed.py)
        blocks.append(section(f":x: *{esc(failed.first_line(digest))}*"))
    if not failed.has_figures(digest):
        blocks += [section(failed.NO_FIGURES), r.data_quality(digest)]
        return {"text": r.fallback(digest), "blocks": blocks}
    blocks.append(r.headline(digest))
    alerts = digest.get("alerts") or []
    if len(alerts) > 1:  # the first is the headline's "act on"
        blocks.append(r.alerts(alerts[1:]))
    blocks.append(divider())
    blocks.append(r.figures(digest))
    blocks.append(r.lists_pointer(digest))
    blocks.append(r.data_quality(digest))
    return {
        "text": r.fallback(digest),
        "blocks": blocks[:MAX_MAIN_BLOCKS],
        "thread": r.thread(digest),
    }


def webhook_payload(payload: dict[str, Any], lists_path: str) -> dict[str, Any]:
    """The message an incoming webhook sends: no thread, and where the lists are instead.

    A webhook cannot reply in a thread, so the pointer to the thread says which file holds
    the lists.
    """
    note = context(
        [
            ":page_facing_up: The lists (work next, stale, batches, merge and KB candidates, "
            f"drivers) are in `{escape(lists_path)}` (a webhook cannot post a thread)."
        ]
    )
    note["block_id"] = LISTS_BLOCK_ID
    blocks = [note if b.get("block_id") == LISTS_BLOCK_ID else b for b in payload["blocks"]]
    return {"text": payload["text"], "blocks": blocks}


def write_payload(payload: dict[str, Any], out_dir: Path, day: date | str) -> list[Path]:
    """Write `digest-<D>.blocks.json` and its preview `digest-<D>.blocks.html`; the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"digest-{day.isoformat() if isinstance(day, date) else day}.blocks"
    json_path, html_path = out_dir / f"{stem}.json", out_dir / f"{stem}.html"
    json_path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    html_path.write_text(render_preview_html(payload, limits_note(payload)), encoding="utf-8")
    return [json_path, html_path]


def limits_note(payload: dict[str, Any]) -> str:
    """How close a payload comes to Slack's limits, said above its preview."""
    blocks = payload.get("blocks") or []
    thread = (payload.get("thread") or {}).get("blocks") or []
    longest = max(
        (
            len(b.get("text", {}).get("text", ""))
            for b in [*blocks, *thread]
            if b.get("type") == "section"
        ),
        default=0,
    )
    return (
        f"Slack preview · message {len(blocks)}/{MAX_MAIN_BLOCKS} blocks · thread reply "
        f"{len(thread)}/{MAX_BLOCKS} blocks · longest section {longest}/{MAX_SECTION_TEXT} "
        "characters"
    )


# --------------------------------------------------------------------------- rendering


class _Renderer:
    """Turns digest sections into blocks; holds the link template and list size."""

    def __init__(self, ticket_url_template: str | None, max_items: int) -> None:
        """Keep the ticket link template (None: plain ids) and the list length."""
        self.template = ticket_url_template or None
        self.max_items = max_items

    # ---- pieces

    def ticket(self, ticket_id: Any) -> str:
        """A ticket id as `#id`, linked through the template when there is one."""
        text = ticket_text(ticket_id)
        label = "#" + escape(text)
        if self.template is None or text != str(ticket_id):
            return label
        url = fmt.ticket_url(self.template, ticket_id)
        return f"<{esc(url).replace('|', '%7C')}|{label}>"

    def tickets(self, ticket_ids: Sequence[Any], total: int | None = None) -> str:
        """A few ticket links, then "and N more"."""
        total = len(ticket_ids) if total is None else max(total, len(ticket_ids))
        shown = [self.ticket(t) for t in list(ticket_ids)[: self.max_items]]
        return join_fit(shown, self.max_items, MAX_SECTION_TEXT // 2, total=total, sep=", ")

    # ---- blocks

    def header(self, d: dict[str, Any]) -> dict[str, Any]:
        """The message's title: the day as a lead reads it."""
        day = fmt.day_label(d.get("date"))
        text = f"Support backlog · {day}"
        return {
            "type": "header",
            "text": {"type": "plain_text", "text": clip_plain(text, MAX_HEADER_TEXT)},
        }

    def headline(self, d: dict[str, Any]) -> dict[str, Any]:
        """The state in three lines: the backlog, its direction, the one number to act on."""
        b, f = d.get("backlog") or {}, d.get("flow") or {}
        size = (
            f"*Backlog: {_int(b.get('open_total'))} open*{esc(failed.figures_label(d))}   "
            f"{_arrow(b.get('change_1d'))} *{fmt.signed(b.get('change_1d'))}* "
            f"{failed.day_word(d)}"
        )
        week = fmt.backlog_change(b.get("change_7d"), f)
        if week:
            size += f" · {_arrow(fmt.backlog_change_value(b.get('change_7d'), f))} {week}"
        since = fmt.since_last_digest(d.get("since_last_digest"))
        if since:
            size += f"\n{esc(since)}"
        projected = _int(f.get("projected_backlog_14d"))
        short = fmt.history(f.get("history_days"))
        if f.get("inflow_above_outflow_since") and fmt.growth_alerted(d):
            # the alert (Act on, or the alerts under it) says since when and by how much
            direction = f"*Growing*: {projected} projected in 14 days"
        elif f.get("inflow_above_outflow_since") and short:
            direction = (
                f"*Growing*: inflow above outflow since "
                f"{esc(f['inflow_above_outflow_since'])} ({short}), "
                f"{projected} projected in 14 days"
            )
        elif f.get("inflow_above_outflow_since"):
            direction = (
                f":warning: *Growing*: inflow above outflow since "
                f"{esc(f['inflow_above_outflow_since'])}, {projected} projected in 14 days"
            )
        elif f.get("days_to_drain") is None:
            direction = (
                "*Not draining*" + (f" ({short})" if short else "") + f": {projected} "
                "projected in 14 days"
            )
        else:
            direction = (
                f"*Draining*: about {fmt.days(f['days_to_drain'])} to empty"
                + (f" ({short})" if short else "")
                + f", {projected} projected in 14 days"
            )
        alerts = d.get("alerts") or []
        icon = ":rotating_light:" if alerts else ":dart:"
        return section(f"{size}\n{direction}\n{icon} *Act on:* {esc(act_on(d))}")

    def figures(self, d: dict[str, Any]) -> dict[str, Any]:
        """The few figures a lead reads, as two-column fields."""
        f, rates = d.get("flow") or {}, d.get("rates") or {}
        resp, sla = d.get("response") or {}, d.get("sla") or {}
        reopen = rates.get("reopen_rate_7d")
        # flagged against the configured limit: the digest carries its reopen-rate alert
        alerted = {alert.get("name") for alert in d.get("alerts") or []}
        reopen_flag = " :warning:" if "reopen_rate" in alerted else ""
        open_total = (d.get("backlog") or {}).get("open_total")
        breached = sla.get("breached_open")
        share = (
            f" ({fmt.pct(breached / open_total)} of open)"
            if fmt.is_number(breached) and fmt.is_number(open_total) and open_total
            else ""
        )
        fields = [
            f"*Flow, {fmt.average_label(f.get('history_days')).lower()}*\n"
            + fmt.flow_balance(
                f.get("inflow_7d_avg"), f.get("reopened_7d_avg"), f.get("outflow_7d_avg")
            )
            + " a day"
            + (" _(alerts on it wait for 7 days)_" if fmt.history(f.get("history_days")) else ""),
            f"*Water level*\n{fmt.days(d.get('backlog_days'))} of work",
            f"*First meaningful response*\nmedian {fmt.minutes(resp.get('ttfmr_p50_minutes'))}"
            f" · p90 {fmt.minutes(resp.get('ttfmr_p90_minutes'))}\n"
            f"_first reply {fmt.minutes(resp.get('first_reply_p50_minutes'))} "
            "(auto-replies count)_",
            f"*Resolution*\nmedian {fmt.hours(resp.get('resolution_p50_hours'))} · "
            f"{_int(resp.get('unreplied_open'))} open without a reply",
            f"*SLA*\n{_int(breached)} breached{share} · {_int(sla.get('at_risk_open'))} at risk",
            f"*Reopen rate (7 d)*{reopen_flag}\n{fmt.pct(reopen)} of "
            f"{_int(rates.get('reopen_cohort'))} solved"
            + _waits(fmt.rate_alert_wait(f, rates.get("reopen_cohort"))),
            f"*Recontact (same issue)*\n"
            f"{fmt.pct(rates.get('same_issue_recontact_rate_7d'))} of "
            f"{_int(rates.get('recontact_cohort'))} solved\n"
            f"_any ticket {fmt.pct(rates.get('recontact_rate_7d'))}_"
            + _waits(fmt.rate_alert_wait(f, rates.get("recontact_cohort"))),
        ]
        if fmt.has_business_hours(resp):
            fields[3:3] = [
                "*First meaningful response (business hours)*\nmedian "
                f"{fmt.minutes(resp.get('ttfmr_business_p50_minutes'))} · p90 "
                f"{fmt.minutes(resp.get('ttfmr_business_p90_minutes'))}\n"
                f"_first reply {fmt.minutes(resp.get('first_reply_business_p50_minutes'))}_",
            ]
            fields[5:5] = [
                "*Resolution (business hours)*\nmedian "
                f"{fmt.hours(resp.get('resolution_business_p50_hours'))}",
            ]
        return {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": clip(text, MAX_FIELD_TEXT)}
                for text in fields[:MAX_FIELDS]
            ],
        }

    def lists_pointer(self, d: dict[str, Any]) -> dict[str, Any]:
        """What the thread holds, counted: the lists are one click away."""
        counts = [
            (len(d.get("work_next") or []), "to work next"),
            (_int_or_zero((d.get("stale") or {}).get("count")), "stale to nudge"),
            (len(d.get("batches") or []), "batches"),
            (len(d.get("merge_candidates") or []), "merge candidates"),
            (len(d.get("kb_candidates") or []), "KB candidates"),
            (len(d.get("drivers") or []), "drivers"),
        ]
        listed = " · ".join(f"{fmt.count(n)} {label}" for n, label in counts if n)
        block = context([f":thread: In the thread: {listed or 'nothing to list today'}"])
        block["block_id"] = LISTS_BLOCK_ID
        return block

    def thread(self, d: dict[str, Any]) -> dict[str, Any]:
        """The reply in the message's thread: every list, then aging."""
        title = context([f"The lists of {esc(fmt.day_label(d.get('date')))}"])
        sections = [
            self.work_next(d.get("work_next") or []),
            self.stale(d.get("stale") or {}),
            self.batches(d.get("batches") or []),
            self.merge_candidates(d.get("merge_candidates") or []),
            self.kb_candidates(d.get("kb_candidates") or []),
            self.drivers(d.get("drivers") or [], d.get("drivers_not_listed") or {}),
            self.aging(d),
        ]
        blocks = [title, *(block for block in sections if block is not None)]
        text = f"The lists of the backlog digest of {esc(d.get('date'))}"
        return {"text": text, "blocks": within_block_limit(blocks)}

    def alerts(self, alerts: list[dict[str, Any]]) -> dict[str, Any]:
        """The alerts after the first (the headline's "act on"), as many as the space allows."""
        lines = [f"• {esc(a.get('message') or a.get('name'))}" for a in alerts]
        plural = "s" if len(alerts) != 1 else ""
        title = f":rotating_light: *{fmt.count(len(alerts))} more alert{plural}*"
        # alerts are few and all matter: show every one the space allows
        return section(fit(title, lines, max_items=max(self.max_items, 10)))

    def aging(self, d: dict[str, Any]) -> dict[str, Any]:
        """The age buckets, old ones in bold, and the oldest open ticket."""
        a = d.get("aging") or {}
        buckets = a.get("buckets") or {}
        old = {"14-30d", "30d+"}
        line = " · ".join(
            (f"*{esc(k)}: {_int(v)}*" if k in old and v else f"{esc(k)}: {_int(v)}")
            for k, v in buckets.items()
        )
        text = f"*Aging*   {line}"
        if a.get("oldest_ticket_id") is not None:
            text += (
                f"\nOldest: {self.ticket(a['oldest_ticket_id'])}, "
                f"{fmt.days(a.get('oldest_age_days'))} old"
            )
        return section(text)

    def drivers(
        self, drivers: list[dict[str, Any]], rest: dict[str, Any] | None = None
    ) -> dict[str, Any] | None:
        """The top drivers of the last 7 days, spikes first, then what the list leaves out;
        None without drivers."""
        if not drivers:
            return None
        # spikes first: a spike far down the ranking must not hide behind "and N more"
        ordered = [x for x in drivers if x.get("spike")] + [
            x for x in drivers if not x.get("spike")
        ]
        lines = []
        for drv in ordered:
            growth = drv.get("growth")
            if not drv.get("baseline_complete", True):
                versus = "no baseline yet"
            elif growth is None:
                versus = "new this week"
            else:
                versus = f"x{fmt.number(growth)} vs {fmt.number(drv.get('baseline_weekly'))}/week"
            spike = ":chart_with_upwards_trend: " if drv.get("spike") else ""
            tail = " — *spike*" if drv.get("spike") else ""
            lines.append(
                f"• {spike}*{esc(drv.get('driver'))}*: {fmt.count_tickets(drv.get('tickets_7d'))}"
                f" ({fmt.pct(drv.get('share_7d'))} of inflow), {versus}{tail}"
            )
        spikes = sum(1 for x in drivers if x.get("spike"))
        title = "*Drivers (last 7 days)*" + (
            f"   :chart_with_upwards_trend: {fmt.count(spikes)} spiking" if spikes else ""
        )
        rest = rest or {}
        left_out = (_int_or_zero(rest.get("count")), fmt.drivers_left_out(rest))
        return section(fit(title, lines, max_items=self.max_items, left_out=left_out))

    def work_next(self, items: list[dict[str, Any]]) -> dict[str, Any] | None:
        """The ranked tickets to work next, with why; None when there are none."""
        if not items:
            return None
        work = worklist.split_reasons(items)
        lines = []
        for rank, (item, own) in enumerate(zip(items, work.reasons, strict=True), start=1):
            why = "; ".join(esc(r) for r in own)
            lines.append(
                f"{rank}. {self.ticket(item.get('ticket_id'))} · "
                f"score {fmt.number(item.get('score'), 0)}" + (f" — {why}" if why else "")
            )
        title = ":dart: *Work next*"
        if worklist.summary(work):
            title += f"\n_{esc(worklist.summary(work))}_"
        return section(fit(title, lines, max_items=self.max_items))

    def stale(self, stale: dict[str, Any]) -> dict[str, Any] | None:
        """The pending tickets to nudge and the nudge; None when there are none."""
        ids = stale.get("ticket_ids") or []
        count = max(_int_or_zero(stale.get("count")), len(ids))
        if not count:
            return None
        days = stale.get("min_pending_days")
        since = f"pending {fmt.number(days, 0)}+ days" if days is not None else "pending for days"
        title = (
            f":hourglass: *Stale: nudge {fmt.count_tickets(count)}* "
            f"({since}, no word from the customer)"
        )
        text = f"{title}\n{self.tickets(ids, count)}"
        if stale.get("nudge"):
            nudge = " ".join(str(stale["nudge"]).split())
            text += f"\n> _{esc(clip_plain(nudge, 600))}_"
        return section(text)

    def batches(self, batches: list[dict[str, Any]]) -> dict[str, Any] | None:
        """Tickets to batch by driver; None when there are none."""
        if not batches:
            return None
        lines = [
            f"• *{esc(b.get('driver'))}*: {_int(b.get('open_tickets'))} open — "
            + self.tickets(b.get("ticket_ids") or [], _int_or_zero(b.get("open_tickets")))
            for b in batches
        ]
        title = ":package: *Batch these* (one person, one sitting, one saved reply)"
        return section(fit(title, lines, max_items=self.max_items))

    def merge_candidates(self, merges: list[dict[str, Any]]) -> dict[str, Any] | None:
        """Possible duplicates to merge; None when there are none."""
        if not merges:
            return None
        lines = []
        for m in merges:
            ids = m.get("ticket_ids") or []
            reason = f" — {esc(m['reason'])}" if m.get("reason") else ""
            requester = m.get("requester_id")
            who = f" (requester {esc(requester)})" if requester is not None else ""
            lines.append(f"• {' + '.join(self.ticket(t) for t in ids[:6])}{who}{reason}")
        return section(fit(":link: *Possible duplicates to merge*", lines, self.max_items))

    def kb_candidates(self, candidates: list[dict[str, Any]]) -> dict[str, Any] | None:
        """Knowledge-base candidates with their tickets; None when there are none."""
        if not candidates:
            return None
        lines = []
        for c in candidates:
            ids = c.get("ticket_ids") or []
            count = max(_int_or_zero(c.get("tickets")), len(ids))
            status = f", {esc(c['status'])}" if c.get("status") else ""
            lines.append(
                f"• *{esc(c.get('title') or c.get('candidate_id'))}* "
                f"({fmt.count_tickets(count)}{status}; `{esc(c.get('candidate_id'))}`): "
                + self.tickets(ids, count)
            )
        title = ":books: *Knowledge-base candidates* (repeated answers worth an article)"
        return section(fit(title, lines, max_items=self.max_items))

    def data_quality(self, d: dict[str, Any]) -> dict[str, Any]:
        """The day's data-quality status and the checks that failed (a failed day's
        failure is said once, at the top)."""
        dq = d.get("data_quality") or {}
        status = str(dq.get("status") or "unknown")
        icon = {"ok": ":white_check_mark:", "warn": ":warning:", "fail": ":x:"}.get(
            status, ":grey_question:"
        )
        text = (
            f"{icon} Data quality *{esc(status)}*: {_int(dq.get('rows_loaded'))} rows loaded, "
            f"{_int(dq.get('rows_quarantined'))} quarantined"
        )
        if failed.is_failed_day(d):
            text += f" · {esc(failed.quality_note(d))}"
        checks = failed.other_checks(d)
        if checks:
            items = [esc(clip_plain(str(c), 200)) for c in checks]
            text += " · " + join_fit(items, self.max_items, MAX_SECTION_TEXT - len(text) - 10)
        return context([clip(text, MAX_SECTION_TEXT)])

    def fallback(self, d: dict[str, Any]) -> str:
        """The notification text: one plain paragraph, no links."""
        b, f = d.get("backlog") or {}, d.get("flow") or {}
        if failed.is_failed_day(d):
            head = esc(failed.first_line(d))
            if not failed.has_figures(d):
                return clip_plain(f"{head} {failed.NO_FIGURES}", MAX_FALLBACK_TEXT)
            shown = {k: v for k, v in d.items() if k != "figures_as_of"}
            shown["date"] = f"{d['date']}{failed.figures_label(d)}"
            return clip_plain(f"{head} {self.fallback(shown)}", MAX_FALLBACK_TEXT)
        week = fmt.backlog_change(b.get("change_7d"), f)
        text = (
            f"Support backlog {esc(d.get('date'))}: {_int(b.get('open_total'))} open "
            f"({fmt.signed(b.get('change_1d'))} today" + (f", {week}" if week else "") + "); "
            f"today {_int(f.get('inflow'))} in, {_int(f.get('outflow'))} out, "
            f"{_int(f.get('reopened'))} reopened."
        )
        since = fmt.since_last_digest(d.get("since_last_digest"))
        if since:
            text += f" {esc(since)}."
        if f.get("inflow_above_outflow_since") and not fmt.growth_alerted(d):
            text += f" Inflow above outflow since {esc(f['inflow_above_outflow_since'])}."
        alerts = d.get("alerts") or []
        if alerts:
            messages = " ".join(esc(a.get("message") or a.get("name")) for a in alerts[:3])
            more = f" (+{len(alerts) - 3} more)" if len(alerts) > 3 else ""
            text += f" {len(alerts)} alert{'s' if len(alerts) != 1 else ''}: {messages}{more}"
        return clip_plain(text, MAX_FALLBACK_TEXT)


def act_on(d: dict[str, Any]) -> str:
    """The one number to act on: the most pressing alert, else the water level."""
    alerts = d.get("alerts") or []
    if alerts:
        return str(alerts[0].get("message") or alerts[0].get("name"))
    return f"nothing crossed a threshold; the backlog is {fmt.days(d.get('backlog_days'))} of work"


# --------------------------------------------------------------------------- value helpers


def _waits(wait: str) -> str:
    """The note under a figure whose alert waits ("alerts wait for 14 days of history")."""
    return f"\n_(alerts wait for {wait})_" if wait else ""


def _int_or_zero(value: Any) -> int:
    """A count to compare; a missing one counts as 0."""
    return int(value) if fmt.is_number(value) else 0


def _int(value: Any) -> str:
    """A count; a value that is not a number is shown as text, escaped."""
    return fmt.integer(value) if value is None or fmt.is_number(value) else esc(value)


def _arrow(value: Any) -> str:
    """The emoji of a change's direction."""
    if not fmt.is_number(value) or value == 0:
        return ":left_right_arrow:"
    return ":arrow_up:" if value > 0 else ":arrow_down:"
