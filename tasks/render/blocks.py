"""The morning digest as a Slack Block Kit message, within Slack's limits.

`build_payload` turns `digest-<D>.json` into `{"text": ..., "blocks": [...]}` that a
support lead reads in 30 seconds: alerts first, then where the backlog stands, what
is slipping, what to do this morning. It stays inside Slack's limits whatever the
digest holds (long lists end with "and N more") and every value taken from the
data passes through `tasks.redact.redact`, so no personal data is posted.
`write_payload` writes the message and its HTML preview (`tasks.render.preview`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any

from tasks.redact import redact
from tasks.render import failed
from tasks.render import format as fmt
from tasks.render.preview import render_preview_html

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_CONTEXT_ELEMENTS = 10
MAX_FALLBACK_TEXT = 3000

_PLAIN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,63}$")
_ORDER_OF_STATUS = ("new", "open", "pending", "hold")
_STATUS_LABEL: Mapping[str, str] = MappingProxyType(
    {"new": "new", "open": "open", "pending": "pending", "hold": "on hold"}
)


def build_payload(
    digest: dict[str, Any],
    *,
    ticket_url_template: str | None = None,
    max_list_items: int = 5,
) -> dict[str, Any]:
    """The Slack message of a digest: a `text` fallback and Block Kit blocks.

    Args:
        digest: the dict of `digest-<D>.json`; missing keys are skipped.
        ticket_url_template: e.g. `https://acme.zendesk.com/agent/tickets/{ticket_id}`;
            ticket ids become links through it when given.
        max_list_items: how many items each list shows before "and N more".
    """
    r = _Renderer(ticket_url_template, max(1, max_list_items))
    blocks: list[dict[str, Any]] = [r.header(digest)]
    if failed.is_failed_day(digest):  # the failure first, once (tasks/render/failed.py)
        blocks.append(_section(f":x: *{_esc(failed.first_line(digest))}*"))
    blocks.append(r.subtitle(digest))
    if not failed.has_figures(digest):
        blocks += [_section(failed.NO_FIGURES), r.data_quality(digest)]
        return {"text": r.fallback(digest), "blocks": blocks}
    if digest.get("alerts"):
        blocks.append(r.alerts(digest["alerts"]))
    blocks.append(_divider())
    blocks += [r.backlog(digest), r.flow(digest), r.aging(digest)]
    blocks.append(r.quality_and_speed(digest))
    action_blocks = [
        r.drivers(digest.get("drivers") or []),
        r.work_next(digest.get("work_next") or []),
        r.stale(digest.get("stale") or {}),
        r.batches(digest.get("batches") or []),
        r.merge_candidates(digest.get("merge_candidates") or []),
        r.kb_candidates(digest.get("kb_candidates") or []),
    ]
    action_blocks = [block for block in action_blocks if block is not None]
    if action_blocks:
        blocks.append(_divider())
        blocks += action_blocks
    blocks.append(_divider())
    blocks.append(r.data_quality(digest))
    return {"text": r.fallback(digest), "blocks": _within_block_limit(blocks)}


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
    longest = max(
        (len(b.get("text", {}).get("text", "")) for b in blocks if b.get("type") == "section"),
        default=0,
    )
    return (
        f"Slack preview · {len(blocks)}/{MAX_BLOCKS} blocks · longest section "
        f"{longest}/{MAX_SECTION_TEXT} characters"
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
        text = _ticket_text(ticket_id)
        label = "#" + _escape(text)
        if self.template is None or text != str(ticket_id):
            return label
        url = fmt.ticket_url(self.template, ticket_id)
        return f"<{_esc(url).replace('|', '%7C')}|{label}>"

    def tickets(self, ticket_ids: Sequence[Any], total: int | None = None) -> str:
        """A few ticket links, then "and N more"."""
        total = len(ticket_ids) if total is None else max(total, len(ticket_ids))
        shown = [self.ticket(t) for t in list(ticket_ids)[: self.max_items]]
        return _join_fit(shown, self.max_items, MAX_SECTION_TEXT // 2, total=total, sep=", ")

    # ---- blocks

    def header(self, d: dict[str, Any]) -> dict[str, Any]:
        """The message's title: the day as a lead reads it."""
        day = fmt.day_label(d.get("date"))
        text = f"Support backlog · {day}"
        return {
            "type": "header",
            "text": {"type": "plain_text", "text": _clip_plain(text, MAX_HEADER_TEXT)},
        }

    def subtitle(self, d: dict[str, Any]) -> dict[str, Any]:
        """The line under the title: the day, the alert count, a data-quality warning."""
        alerts = d.get("alerts") or []
        quality = (d.get("data_quality") or {}).get("status")
        parts = [
            f"Morning standup digest for {_esc(d.get('date'))} ({_esc(d.get('timezone'))})"
            + _esc(failed.figures_label(d))
        ]
        parts.append(
            f":rotating_light: {len(alerts)} alert{'s' if len(alerts) != 1 else ''}"
            if alerts
            else ":white_check_mark: no alerts"
        )
        if quality and quality != "ok":
            parts.append(f":warning: data quality {_esc(str(quality).upper())}")
        short = fmt.history((d.get("flow") or {}).get("history_days"))
        if short:
            parts.append(f":hourglass_flowing_sand: {short}")
        return _context([" · ".join(parts)])

    def alerts(self, alerts: list[dict[str, Any]]) -> dict[str, Any]:
        """Every alert, as many as the space allows."""
        lines = [f"• {_esc(a.get('message') or a.get('name'))}" for a in alerts]
        title = f":rotating_light: *{len(alerts)} alert{'s' if len(alerts) != 1 else ''}*"
        # alerts are few and all matter: show every one the space allows
        return _section(_fit(title, lines, max_items=max(self.max_items, 10)))

    def backlog(self, d: dict[str, Any]) -> dict[str, Any]:
        """Where the backlog stands: size, change, status split, days of work."""
        b = d.get("backlog") or {}
        by_status = b.get("by_status") or {}
        change = (
            f"{_arrow(b.get('change_1d'))} *{fmt.signed(b.get('change_1d'))}* today · "
            f"{_arrow(b.get('change_7d'))} {fmt.signed(b.get('change_7d'))} in 7 days"
        )
        split = " · ".join(f"{_int(by_status.get(s))} {_STATUS_LABEL[s]}" for s in _ORDER_OF_STATUS)
        level = d.get("backlog_days")
        if level is not None:
            split += f" · *{fmt.number(level)} days of work*"
        return _section(f"*Backlog: {_int(b.get('open_total'))} open*   {change}\n{split}")

    def flow(self, d: dict[str, Any]) -> dict[str, Any]:
        """Inflow against outflow: today, the 7-day average and where it is heading."""
        f = d.get("flow") or {}
        inflow_avg = _float(f.get("inflow_7d_avg")) + _float(f.get("reopened_7d_avg"))
        outflow_avg = _float(f.get("outflow_7d_avg"))
        today = (
            f"*Inflow vs outflow*: today {_int(f.get('inflow'))} in, {_int(f.get('outflow'))} "
            f"out, {_int(f.get('reopened'))} reopened (net {fmt.signed(f.get('net'))})"
        )
        short = fmt.history(f.get("history_days"))
        avg = (
            f"{fmt.average_label(f.get('history_days'))}: *{fmt.number(inflow_avg)} in* "
            f"({fmt.number(f.get('inflow_7d_avg'))} new + "
            f"{fmt.number(f.get('reopened_7d_avg'))} reopened) "
            f"vs *{fmt.number(outflow_avg)} out* per day"
        )
        projected = f.get("projected_backlog_14d")
        if short:
            avg += " (alerts on these wait for 7 days of history)"
        if f.get("inflow_above_outflow_since") and short:
            trend = (
                f"Inflow above outflow since {_esc(f['inflow_above_outflow_since'])} ({short}), "
                f"{_int(projected)} projected in 14 days"
            )
        elif f.get("inflow_above_outflow_since"):
            trend = (
                f":warning: *Inflow above outflow since {_esc(f['inflow_above_outflow_since'])}*"
                f": the backlog is growing, {_int(projected)} projected in 14 days"
            )
        elif f.get("days_to_drain") is None:
            trend = f"Not draining: {_int(projected)} projected in 14 days"
        else:
            trend = (
                f"Draining: about {fmt.number(f['days_to_drain'], 0)} days to empty, "
                f"{_int(projected)} projected in 14 days"
            )
        return _section(f"{today}\n{avg}\n{trend}")

    def aging(self, d: dict[str, Any]) -> dict[str, Any]:
        """The age buckets, old ones in bold, and the oldest open ticket."""
        a = d.get("aging") or {}
        buckets = a.get("buckets") or {}
        old = {"14-30d", "30d+"}
        line = " · ".join(
            (f"*{_esc(k)}: {_int(v)}*" if k in old and v else f"{_esc(k)}: {_int(v)}")
            for k, v in buckets.items()
        )
        text = f"*Aging*   {line}"
        if a.get("oldest_ticket_id") is not None:
            text += (
                f"\nOldest: {self.ticket(a['oldest_ticket_id'])}, "
                f"{fmt.number(a.get('oldest_age_days'))} days old"
            )
        return _section(text)

    def quality_and_speed(self, d: dict[str, Any]) -> dict[str, Any]:
        """Rates, reply and resolution times and SLA, as two-column fields."""
        rates = d.get("rates") or {}
        resp = d.get("response") or {}
        sla = d.get("sla") or {}
        reopen = rates.get("reopen_rate_7d")
        reopen_flag = " :warning:" if reopen is not None and reopen > 0.15 else ""
        fields = [
            f"*Reopen rate (7 d)*{reopen_flag}\n{fmt.pct(reopen)} of "
            f"{_int(rates.get('reopen_cohort'))} solved",
            f"*Recontact rate (7 d)*\n{fmt.pct(rates.get('recontact_rate_7d'))} of "
            f"{_int(rates.get('recontact_cohort'))} solved",
            f"*First reply*\nmedian {fmt.minutes(resp.get('first_reply_p50_minutes'))} · "
            f"p90 {fmt.minutes(resp.get('first_reply_p90_minutes'))}",
            f"*First meaningful response*\nmedian {fmt.minutes(resp.get('ttfmr_p50_minutes'))} · "
            f"p90 {fmt.minutes(resp.get('ttfmr_p90_minutes'))}",
            f"*Resolution*\nmedian {fmt.hours(resp.get('resolution_p50_hours'))} · "
            f"{_int(resp.get('unreplied_open'))} open without a reply",
            f"*SLA*\n{_int(sla.get('breached_open'))} breached · "
            f"{_int(sla.get('at_risk_open'))} at risk",
        ]
        if fmt.has_business_hours(resp):
            fields[3:3] = [
                "*First reply (business hours)*\nmedian "
                f"{fmt.minutes(resp.get('first_reply_business_p50_minutes'))} · p90 "
                f"{fmt.minutes(resp.get('first_reply_business_p90_minutes'))}",
            ]
            fields[5:5] = [
                "*First meaningful response (business hours)*\nmedian "
                f"{fmt.minutes(resp.get('ttfmr_business_p50_minutes'))} · p90 "
                f"{fmt.minutes(resp.get('ttfmr_business_p90_minutes'))}",
            ]
            fields[7:7] = [
                "*Resolution (business hours)*\nmedian "
                f"{fmt.hours(resp.get('resolution_business_p50_hours'))}",
            ]
        return {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": _clip(text, MAX_FIELD_TEXT)}
                for text in fields[:MAX_FIELDS]
            ],
        }

    def drivers(self, drivers: list[dict[str, Any]]) -> dict[str, Any] | None:
        """The top drivers of the last 7 days, spikes first; None without drivers."""
        if not drivers:
            return None
        # spikes first: a spike far down the ranking must not hide behind "and N more"
        ordered = [x for x in drivers if x.get("spike")] + [
            x for x in drivers if not x.get("spike")
        ]
        lines = []
        for drv in ordered:
            growth = drv.get("growth")
            versus = (
                "new this week"
                if growth is None
                else f"x{fmt.number(growth)} vs {fmt.number(drv.get('baseline_weekly'))}/week"
            )
            spike = ":chart_with_upwards_trend: " if drv.get("spike") else ""
            tail = " — *spike*" if drv.get("spike") else ""
            lines.append(
                f"• {spike}*{_esc(drv.get('driver'))}*: {_int(drv.get('tickets_7d'))} tickets "
                f"({fmt.pct(drv.get('share_7d'))} of inflow), {versus}{tail}"
            )
        spikes = sum(1 for x in drivers if x.get("spike"))
        title = "*Drivers (last 7 days)*" + (
            f"   :chart_with_upwards_trend: {spikes} spiking" if spikes else ""
        )
        return _section(_fit(title, lines, max_items=self.max_items))

    def work_next(self, items: list[dict[str, Any]]) -> dict[str, Any] | None:
        """The ranked tickets to work next, with why; None when there are none."""
        if not items:
            return None
        lines = []
        for rank, item in enumerate(items, start=1):
            reasons = item.get("reasons") or []
            if isinstance(reasons, str):
                reasons = [reasons]
            why = "; ".join(_esc(r) for r in reasons if r)
            lines.append(
                f"{rank}. {self.ticket(item.get('ticket_id'))} · "
                f"score {fmt.number(item.get('score'), 0)}" + (f" — {why}" if why else "")
            )
        return _section(_fit(":dart: *Work next*", lines, max_items=self.max_items))

    def stale(self, stale: dict[str, Any]) -> dict[str, Any] | None:
        """The pending tickets to nudge and the nudge; None when there are none."""
        ids = stale.get("ticket_ids") or []
        count = max(_int_or_zero(stale.get("count")), len(ids))
        if not count:
            return None
        days = stale.get("min_pending_days")
        since = f"pending {fmt.number(days, 0)}+ days" if days is not None else "pending for days"
        title = (
            f":hourglass: *Stale: nudge {count} ticket{'s' if count != 1 else ''}* "
            f"({since}, no word from the customer)"
        )
        text = f"{title}\n{self.tickets(ids, count)}"
        if stale.get("nudge"):
            nudge = " ".join(str(stale["nudge"]).split())
            text += f"\n> _{_esc(_clip_plain(nudge, 600))}_"
        return _section(text)

    def batches(self, batches: list[dict[str, Any]]) -> dict[str, Any] | None:
        """Tickets to batch by driver; None when there are none."""
        if not batches:
            return None
        lines = [
            f"• *{_esc(b.get('driver'))}*: {_int(b.get('open_tickets'))} open — "
            + self.tickets(b.get("ticket_ids") or [], _int_or_zero(b.get("open_tickets")))
            for b in batches
        ]
        title = ":package: *Batch these* (one person, one sitting, one saved reply)"
        return _section(_fit(title, lines, max_items=self.max_items))

    def merge_candidates(self, merges: list[dict[str, Any]]) -> dict[str, Any] | None:
        """Possible duplicates to merge; None when there are none."""
        if not merges:
            return None
        lines = []
        for m in merges:
            ids = m.get("ticket_ids") or []
            reason = f" — {_esc(m['reason'])}" if m.get("reason") else ""
            requester = m.get("requester_id")
            who = f" (requester {_esc(requester)})" if requester is not None else ""
            lines.append(f"• {' + '.join(self.ticket(t) for t in ids[:6])}{who}{reason}")
        return _section(_fit(":link: *Possible duplicates to merge*", lines, self.max_items))

    def kb_candidates(self, candidates: list[dict[str, Any]]) -> dict[str, Any] | None:
        """Knowledge-base candidates with their tickets; None when there are none."""
        if not candidates:
            return None
        lines = []
        for c in candidates:
            ids = c.get("ticket_ids") or []
            count = max(_int_or_zero(c.get("tickets")), len(ids))
            status = f", {_esc(c['status'])}" if c.get("status") else ""
            lines.append(
                f"• *{_esc(c.get('title') or c.get('candidate_id'))}* "
                f"({count} tickets{status}; `{_esc(c.get('candidate_id'))}`): "
                + self.tickets(ids, count)
            )
        title = ":books: *Knowledge-base candidates* (repeated answers worth an article)"
        return _section(_fit(title, lines, max_items=self.max_items))

    def data_quality(self, d: dict[str, Any]) -> dict[str, Any]:
        """The day's data-quality status and the checks that failed (a failed day's
        failure is said once, at the top)."""
        dq = d.get("data_quality") or {}
        status = str(dq.get("status") or "unknown")
        icon = {"ok": ":white_check_mark:", "warn": ":warning:", "fail": ":x:"}.get(
            status, ":grey_question:"
        )
        text = (
            f"{icon} Data quality *{_esc(status)}*: {_int(dq.get('rows_loaded'))} rows loaded, "
            f"{_int(dq.get('rows_quarantined'))} quarantined"
        )
        if failed.is_failed_day(d):
            text += f" · {_esc(failed.quality_note(d))}"
        checks = failed.other_checks(d)
        if checks:
            items = [_esc(_clip_plain(str(c), 200)) for c in checks]
            text += " · " + _join_fit(items, self.max_items, MAX_SECTION_TEXT - len(text) - 10)
        return _context([_clip(text, MAX_SECTION_TEXT)])

    def fallback(self, d: dict[str, Any]) -> str:
        """The notification text: one plain paragraph, no links."""
        b, f = d.get("backlog") or {}, d.get("flow") or {}
        if failed.is_failed_day(d):
            head = _esc(failed.first_line(d))
            if not failed.has_figures(d):
                return _clip_plain(f"{head} {failed.NO_FIGURES}", MAX_FALLBACK_TEXT)
            shown = {k: v for k, v in d.items() if k != "figures_as_of"}
            shown["date"] = f"{d['date']}{failed.figures_label(d)}"
            return _clip_plain(f"{head} {self.fallback(shown)}", MAX_FALLBACK_TEXT)
        text = (
            f"Support backlog {_esc(d.get('date'))}: {_int(b.get('open_total'))} open "
            f"({fmt.signed(b.get('change_1d'))} today, "
            f"{fmt.signed(b.get('change_7d'))} in 7 days); "
            f"today {_int(f.get('inflow'))} in, {_int(f.get('outflow'))} out, "
            f"{_int(f.get('reopened'))} reopened."
        )
        if f.get("inflow_above_outflow_since"):
            text += f" Inflow above outflow since {_esc(f['inflow_above_outflow_since'])}."
        alerts = d.get("alerts") or []
        if alerts:
            messages = " ".join(_esc(a.get("message") or a.get("name")) for a in alerts[:3])
            more = f" (+{len(alerts) - 3} more)" if len(alerts) > 3 else ""
            text += f" {len(alerts)} alert{'s' if len(alerts) != 1 else ''}: {messages}{more}"
        return _clip_plain(text, MAX_FALLBACK_TEXT)


# --------------------------------------------------------------------------- block helpers


def _section(text: str) -> dict[str, Any]:
    """A mrkdwn section, clipped to Slack's limit."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": _clip(text, MAX_SECTION_TEXT)}}


def _context(texts: Iterable[str]) -> dict[str, Any]:
    """A context block (small grey text), within Slack's limits."""
    elements = [{"type": "mrkdwn", "text": _clip(t, MAX_SECTION_TEXT)} for t in texts]
    return {"type": "context", "elements": elements[:MAX_CONTEXT_ELEMENTS]}


def _divider() -> dict[str, Any]:
    """A divider block."""
    return {"type": "divider"}


def _within_block_limit(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """At most 50 blocks: the last one says how many were left out."""
    if len(blocks) <= MAX_BLOCKS:
        return blocks
    kept = blocks[: MAX_BLOCKS - 1]
    return [*kept, _context([f"{fmt.and_more(len(blocks) - len(kept))} sections not shown"])]


def _fit(title: str, lines: Sequence[str], max_items: int, limit: int = MAX_SECTION_TEXT) -> str:
    """A title and as many lines as `max_items` and the character limit allow, then "and N more".

    Lines are kept whole, so a link's markup is never cut in half.
    """
    reserve = 40  # room for the "and N more" line
    text = title
    shown = 0
    for line in lines:
        if shown >= max_items or len(text) + 1 + len(line) > limit - reserve:
            break
        text += "\n" + line
        shown += 1
    if shown == 0 and lines:
        text += "\n" + _clip(lines[0], limit - len(text) - reserve - 1)
        shown = 1
    rest = len(lines) - shown
    if rest > 0:
        text += f"\n_{fmt.and_more(rest)}_"
    return text


def _join_fit(
    items: Sequence[str], max_items: int, limit: int, *, total: int | None = None, sep: str = "; "
) -> str:
    """Items joined while `max_items` and `limit` characters allow, then "and N more"."""
    total = len(items) if total is None else total
    out = ""
    shown = 0
    for item in items[:max_items]:
        piece = item if not out else sep + item
        if shown and len(out) + len(piece) > limit - 20:
            break
        out += piece
        shown += 1
    rest = total - shown
    return out + (f" {fmt.and_more(rest)}" if rest > 0 else "")


def _clip(text: str, limit: int) -> str:
    """Text within `limit` characters, cut at a line end when it must be cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if "\n" in cut:
        cut = cut[: cut.rindex("\n")]
    else:
        # one over-long line: drop a trailing partial link rather than break its markup
        cut = cut[: cut.rindex("<")] if cut.count("<") > cut.count(">") else cut
    return cut + "…"


def _clip_plain(text: str, limit: int) -> str:
    """Plain text within `limit` characters, an ellipsis where it was cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --------------------------------------------------------------------------- value helpers


def _esc(value: Any) -> str:
    """A data value made safe to post: personal data redacted, mrkdwn control chars escaped."""
    return _escape(redact("" if value is None else str(value)) or "")


def _escape(text: str) -> str:
    """Slack's three control characters as entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _ticket_text(ticket_id: Any) -> str:
    """A ticket id as shown: identifiers pass as they are, anything free-text is redacted."""
    text = "" if ticket_id is None else str(ticket_id)
    if _PLAIN_ID.match(text) and not _looks_like_phone(text):
        return text
    return redact(text) or ""


def _looks_like_phone(text: str) -> bool:
    """Whether an id reads like a phone number (redacted then, never posted)."""
    return text.startswith("+") or bool(re.fullmatch(r"0\d{8,14}", text))


def _float(value: Any) -> float:
    """A figure to add up; a missing one counts as 0."""
    return float(value) if fmt.is_number(value) else 0.0


def _int_or_zero(value: Any) -> int:
    """A count to compare; a missing one counts as 0."""
    return int(value) if fmt.is_number(value) else 0


def _int(value: Any) -> str:
    """A count; a value that is not a number is shown as text, escaped."""
    return fmt.integer(value) if value is None or fmt.is_number(value) else _esc(value)


def _arrow(value: Any) -> str:
    """The emoji of a change's direction."""
    if not fmt.is_number(value) or value == 0:
        return ":left_right_arrow:"
    return ":arrow_up:" if value > 0 else ":arrow_down:"
