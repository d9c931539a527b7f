"""The morning digest as a Slack Block Kit message, and an HTML preview of it.

`build_payload` turns `digest-<D>.json` into `{"text": ..., "blocks": [...]}` that a
support lead reads in 30 seconds: alerts first, then where the backlog stands, what
is slipping, what to do this morning. It stays inside Slack's limits whatever the
digest holds (long lists end with "and N more") and every value taken from the
data passes through `tasks.redact.redact`, so no personal data is posted.
`render_preview_html` shows the blocks roughly as Slack draws them, so the message
can be checked by eye without a workspace.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

from tasks.redact import redact

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_CONTEXT_ELEMENTS = 10
MAX_FALLBACK_TEXT = 3000

_PLAIN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,63}$")
_ORDER_OF_STATUS = ("new", "open", "pending", "hold")
_STATUS_LABEL = {"new": "new", "open": "open", "pending": "pending", "hold": "on hold"}


def build_payload(
    digest: dict[str, Any],
    *,
    ticket_url_template: str | None = None,
    max_list_items: int = 5,
) -> dict[str, Any]:
    """The Slack message of a digest: a `text` fallback and Block Kit blocks.

    Args:
        digest: the dict of `digest-<D>.json` (SPEC section 8); missing keys are skipped.
        ticket_url_template: e.g. `https://acme.zendesk.com/agent/tickets/{ticket_id}`;
            ticket ids become links through it when given.
        max_list_items: how many items each list shows before "and N more".
    """
    r = _Renderer(ticket_url_template, max(1, max_list_items))
    blocks: list[dict[str, Any]] = [r.header(digest), r.subtitle(digest)]
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
    blocks.append(r.data_quality(digest.get("data_quality") or {}))
    return {"text": r.fallback(digest), "blocks": _within_block_limit(blocks)}


def write_payload(payload: dict[str, Any], out_dir: Path, day: date | str) -> list[Path]:
    """Write `digest-<D>.blocks.json` and its preview `digest-<D>.blocks.html`; the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"digest-{day.isoformat() if isinstance(day, date) else day}.blocks"
    json_path, html_path = out_dir / f"{stem}.json", out_dir / f"{stem}.html"
    json_path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    html_path.write_text(render_preview_html(payload), encoding="utf-8")
    return [json_path, html_path]


# --------------------------------------------------------------------------- rendering


class _Renderer:
    """Turns digest sections into blocks; holds the link template and list size."""

    def __init__(self, ticket_url_template: str | None, max_items: int) -> None:
        self.template = ticket_url_template or None
        self.max_items = max_items

    # ---- pieces

    def ticket(self, ticket_id: Any) -> str:
        """A ticket id as `#id`, linked through the template when there is one."""
        text = _ticket_text(ticket_id)
        label = "#" + _escape(text)
        if self.template is None or text != str(ticket_id):
            return label
        url = self.template.replace("{ticket_id}", quote(str(ticket_id), safe=""))
        return f"<{_esc(url).replace('|', '%7C')}|{label}>"

    def tickets(self, ticket_ids: Sequence[Any], total: int | None = None) -> str:
        """A few ticket links, then "and N more"."""
        total = len(ticket_ids) if total is None else max(total, len(ticket_ids))
        shown = [self.ticket(t) for t in list(ticket_ids)[: self.max_items]]
        return _join_fit(shown, self.max_items, MAX_SECTION_TEXT // 2, total=total, sep=", ")

    # ---- blocks

    def header(self, d: dict[str, Any]) -> dict[str, Any]:
        day = _day_label(d.get("date"))
        text = f"Support backlog · {day}"
        return {
            "type": "header",
            "text": {"type": "plain_text", "text": _clip_plain(text, MAX_HEADER_TEXT)},
        }

    def subtitle(self, d: dict[str, Any]) -> dict[str, Any]:
        alerts = d.get("alerts") or []
        quality = (d.get("data_quality") or {}).get("status")
        parts = [f"Morning standup digest for {_esc(d.get('date'))} ({_esc(d.get('timezone'))})"]
        parts.append(
            f":rotating_light: {len(alerts)} alert{'s' if len(alerts) != 1 else ''}"
            if alerts
            else ":white_check_mark: no alerts"
        )
        if quality and quality != "ok":
            parts.append(f":warning: data quality {_esc(str(quality).upper())}")
        return _context([" · ".join(parts)])

    def alerts(self, alerts: list[dict[str, Any]]) -> dict[str, Any]:
        lines = [f"• {_esc(a.get('message') or a.get('name'))}" for a in alerts]
        title = f":rotating_light: *{len(alerts)} alert{'s' if len(alerts) != 1 else ''}*"
        # alerts are few and all matter: show every one the space allows
        return _section(_fit(title, lines, max_items=max(self.max_items, 10)))

    def backlog(self, d: dict[str, Any]) -> dict[str, Any]:
        b = d.get("backlog") or {}
        by_status = b.get("by_status") or {}
        change = (
            f"{_arrow(b.get('change_1d'))} *{_signed(b.get('change_1d'))}* today · "
            f"{_arrow(b.get('change_7d'))} {_signed(b.get('change_7d'))} in 7 days"
        )
        split = " · ".join(f"{_int(by_status.get(s))} {_STATUS_LABEL[s]}" for s in _ORDER_OF_STATUS)
        level = d.get("backlog_days")
        if level is not None:
            split += f" · *{_num(level)} days of work*"
        return _section(f"*Backlog: {_int(b.get('open_total'))} open*   {change}\n{split}")

    def flow(self, d: dict[str, Any]) -> dict[str, Any]:
        f = d.get("flow") or {}
        inflow_avg = _float(f.get("inflow_7d_avg")) + _float(f.get("reopened_7d_avg"))
        outflow_avg = _float(f.get("outflow_7d_avg"))
        today = (
            f"*Inflow vs outflow*: today {_int(f.get('inflow'))} in, {_int(f.get('outflow'))} "
            f"out, {_int(f.get('reopened'))} reopened (net {_signed(f.get('net'))})"
        )
        avg = (
            f"7-day average: *{_num(inflow_avg)} in* ({_num(f.get('inflow_7d_avg'))} new + "
            f"{_num(f.get('reopened_7d_avg'))} reopened) vs *{_num(outflow_avg)} out* per day"
        )
        projected = f.get("projected_backlog_14d")
        if f.get("inflow_above_outflow_since"):
            trend = (
                f":warning: *Inflow above outflow since {_esc(f['inflow_above_outflow_since'])}*"
                f": the backlog is growing, {_int(projected)} projected in 14 days"
            )
        elif f.get("days_to_drain") is None:
            trend = f"Not draining: {_int(projected)} projected in 14 days"
        else:
            trend = (
                f"Draining: about {_num(f['days_to_drain'], 0)} days to empty, "
                f"{_int(projected)} projected in 14 days"
            )
        return _section(f"{today}\n{avg}\n{trend}")

    def aging(self, d: dict[str, Any]) -> dict[str, Any]:
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
                f"{_num(a.get('oldest_age_days'))} days old"
            )
        return _section(text)

    def quality_and_speed(self, d: dict[str, Any]) -> dict[str, Any]:
        rates = d.get("rates") or {}
        resp = d.get("response") or {}
        sla = d.get("sla") or {}
        reopen = rates.get("reopen_rate_7d")
        reopen_flag = " :warning:" if reopen is not None and reopen > 0.15 else ""
        fields = [
            f"*Reopen rate (7 d)*{reopen_flag}\n{_pct(reopen)} of "
            f"{_int(rates.get('reopen_cohort'))} solved",
            f"*Recontact rate (7 d)*\n{_pct(rates.get('recontact_rate_7d'))} of "
            f"{_int(rates.get('recontact_cohort'))} solved",
            f"*First reply*\nmedian {_minutes(resp.get('first_reply_p50_minutes'))} · "
            f"p90 {_minutes(resp.get('first_reply_p90_minutes'))}",
            f"*First meaningful response*\nmedian {_minutes(resp.get('ttfmr_p50_minutes'))} · "
            f"p90 {_minutes(resp.get('ttfmr_p90_minutes'))}",
            f"*Resolution*\nmedian {_hours(resp.get('resolution_p50_hours'))} · "
            f"{_int(resp.get('unreplied_open'))} open without a reply",
            f"*SLA*\n{_int(sla.get('breached_open'))} breached · "
            f"{_int(sla.get('at_risk_open'))} at risk",
        ]
        return {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": _clip(text, MAX_FIELD_TEXT)}
                for text in fields[:MAX_FIELDS]
            ],
        }

    def drivers(self, drivers: list[dict[str, Any]]) -> dict[str, Any] | None:
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
                else f"x{_num(growth)} vs {_num(drv.get('baseline_weekly'))}/week"
            )
            spike = ":chart_with_upwards_trend: " if drv.get("spike") else ""
            tail = " — *spike*" if drv.get("spike") else ""
            lines.append(
                f"• {spike}*{_esc(drv.get('driver'))}*: {_int(drv.get('tickets_7d'))} tickets "
                f"({_pct(drv.get('share_7d'))} of inflow), {versus}{tail}"
            )
        spikes = sum(1 for x in drivers if x.get("spike"))
        title = "*Drivers (last 7 days)*" + (
            f"   :chart_with_upwards_trend: {spikes} spiking" if spikes else ""
        )
        return _section(_fit(title, lines, max_items=self.max_items))

    def work_next(self, items: list[dict[str, Any]]) -> dict[str, Any] | None:
        if not items:
            return None
        lines = []
        for rank, item in enumerate(items, start=1):
            reasons = item.get("reasons") or []
            if isinstance(reasons, str):
                reasons = [reasons]
            why = "; ".join(_esc(r) for r in reasons if r)
            lines.append(
                f"{rank}. {self.ticket(item.get('ticket_id'))} · score {_num(item.get('score'), 0)}"
                + (f" — {why}" if why else "")
            )
        return _section(_fit(":dart: *Work next*", lines, max_items=self.max_items))

    def stale(self, stale: dict[str, Any]) -> dict[str, Any] | None:
        ids = stale.get("ticket_ids") or []
        count = max(_int_or_zero(stale.get("count")), len(ids))
        if not count:
            return None
        days = stale.get("min_pending_days")
        since = f"pending {_num(days, 0)}+ days" if days is not None else "pending for days"
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

    def data_quality(self, dq: dict[str, Any]) -> dict[str, Any]:
        status = str(dq.get("status") or "unknown")
        icon = {"ok": ":white_check_mark:", "warn": ":warning:", "fail": ":x:"}.get(
            status, ":grey_question:"
        )
        text = (
            f"{icon} Data quality *{_esc(status)}*: {_int(dq.get('rows_loaded'))} rows loaded, "
            f"{_int(dq.get('rows_quarantined'))} quarantined"
        )
        checks = dq.get("checks_failed") or []
        if checks:
            items = [_esc(_clip_plain(str(c), 200)) for c in checks]
            text += " · " + _join_fit(items, self.max_items, MAX_SECTION_TEXT - len(text) - 10)
        return _context([_clip(text, MAX_SECTION_TEXT)])

    def fallback(self, d: dict[str, Any]) -> str:
        """The notification text: one plain paragraph, no links."""
        b, f = d.get("backlog") or {}, d.get("flow") or {}
        text = (
            f"Support backlog {_esc(d.get('date'))}: {_int(b.get('open_total'))} open "
            f"({_signed(b.get('change_1d'))} today, {_signed(b.get('change_7d'))} in 7 days); "
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
    return {"type": "section", "text": {"type": "mrkdwn", "text": _clip(text, MAX_SECTION_TEXT)}}


def _context(texts: Iterable[str]) -> dict[str, Any]:
    elements = [{"type": "mrkdwn", "text": _clip(t, MAX_SECTION_TEXT)} for t in texts]
    return {"type": "context", "elements": elements[:MAX_CONTEXT_ELEMENTS]}


def _divider() -> dict[str, Any]:
    return {"type": "divider"}


def _within_block_limit(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """At most 50 blocks: the last one says how many were left out."""
    if len(blocks) <= MAX_BLOCKS:
        return blocks
    kept = blocks[: MAX_BLOCKS - 1]
    return [*kept, _context([f"and {len(blocks) - len(kept)} more sections not shown"])]


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
        text += f"\n_and {rest} more_"
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
    return out + (f" and {rest} more" if rest > 0 else "")


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
    return text.startswith("+") or bool(re.fullmatch(r"0\d{8,14}", text))


def _day_label(value: Any) -> str:
    try:
        day = date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return f"{day:%a} {day.day} {day:%b %Y}"


def _float(value: Any) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def _int_or_zero(value: Any) -> int:
    return int(value) if isinstance(value, int | float) else 0


def _int(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, int | float):
        return f"{round(value):,}"
    return _esc(value)


def _signed(value: Any) -> str:
    return f"{round(value):+,}" if isinstance(value, int | float) else "n/a"


def _arrow(value: Any) -> str:
    if not isinstance(value, int | float) or value == 0:
        return ":left_right_arrow:"
    return ":arrow_up:" if value > 0 else ":arrow_down:"


def _num(value: Any, digits: int = 1) -> str:
    return f"{value:,.{digits}f}" if isinstance(value, int | float) else "n/a"


def _pct(value: Any) -> str:
    return f"{value:.0%}" if isinstance(value, int | float) else "n/a"


def _minutes(value: Any) -> str:
    if not isinstance(value, int | float):
        return "n/a"
    if value < 120:
        return f"{value:.0f} min"
    return f"{value / 60:.1f} h" if value < 48 * 60 else f"{value / 1440:.1f} d"


def _hours(value: Any) -> str:
    if not isinstance(value, int | float):
        return "n/a"
    return f"{value:.1f} h" if value < 48 else f"{value / 24:.1f} d"


# --------------------------------------------------------------------------- HTML preview

_EMOJI = {
    "rotating_light": "🚨",
    "warning": "⚠️",
    "white_check_mark": "✅",
    "x": "❌",
    "grey_question": "❔",
    "chart_with_upwards_trend": "📈",
    "arrow_up": "⬆️",
    "arrow_down": "⬇️",
    "left_right_arrow": "↔️",
    "hourglass": "⏳",
    "package": "📦",
    "books": "📚",
    "link": "🔗",
    "dart": "🎯",
}

_PREVIEW_CSS = """
body{margin:0;background:#f8f8f8;font:15px/1.46668 -apple-system,BlinkMacSystemFont,"Segoe UI",
Lato,Helvetica,Arial,sans-serif;color:#1d1c1d}
.note{max-width:760px;margin:16px auto 0;color:#616061;font-size:12px}
.msg{max-width:760px;margin:8px auto 24px;background:#fff;border:1px solid #e0e0e0;
border-radius:8px;padding:16px 20px;display:flex;gap:10px}
.avatar{width:36px;height:36px;border-radius:6px;background:#4a154b;color:#fff;flex:none;
display:flex;align-items:center;justify-content:center;font-weight:700}
.body{flex:1;min-width:0}.who{font-weight:900}.app{font-size:10px;background:#ddd;color:#555;
border-radius:2px;padding:1px 3px;margin-left:4px;font-weight:700}.time{color:#616061;
font-size:12px;margin-left:6px}
.h{font-size:18px;font-weight:900;margin:6px 0 4px}
.s{margin:8px 0;overflow-wrap:anywhere}
.f{display:grid;grid-template-columns:1fr 1fr;gap:8px 24px;margin:8px 0}
.c{color:#616061;font-size:13px;margin:6px 0}
hr{border:0;border-top:1px solid #e8e8e8;margin:10px 0}
a{color:#1264a3;text-decoration:none}a:hover{text-decoration:underline}
code{font:12px Monaco,Menlo,Consolas,monospace;background:#f6f6f6;border:1px solid #e0e0e0;
border-radius:3px;padding:1px 3px;color:#e01e5a}
.q{border-left:4px solid #ddd;padding-left:10px;color:#454245;display:block}
img{max-width:100%}
.fallback{max-width:760px;margin:0 auto 24px;color:#616061;font-size:12px}
"""


def render_preview_html(payload: dict[str, Any]) -> str:
    """A self-contained HTML page showing the blocks roughly as Slack draws them."""
    blocks = payload.get("blocks") or []
    body = "\n".join(_block_html(block) for block in blocks)
    longest = max(
        (len(b.get("text", {}).get("text", "")) for b in blocks if b.get("type") == "section"),
        default=0,
    )
    note = (
        f"Slack preview · {len(blocks)}/{MAX_BLOCKS} blocks · longest section "
        f"{longest}/{MAX_SECTION_TEXT} characters"
    )
    title = next((b["text"]["text"] for b in blocks if b.get("type") == "header"), "Slack message")
    return (
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_PREVIEW_CSS}</style></head><body>\n"
        f"<div class='note'>{html.escape(note)}</div>\n"
        "<div class='msg'><div class='avatar'>B</div><div class='body'>"
        "<div><span class='who'>Backlog digest</span><span class='app'>APP</span>"
        "<span class='time'>9:00 AM</span></div>\n"
        f"{body}\n</div></div>\n"
        f"<div class='fallback'>Notification text: {html.escape(str(payload.get('text', '')))}"
        "</div>\n</body></html>\n"
    )


def _block_html(block: dict[str, Any]) -> str:
    kind = block.get("type")
    if kind == "header":
        return f"<div class='h'>{_emoji(html.escape(block['text']['text']))}</div>"
    if kind == "divider":
        return "<hr>"
    if kind == "context":
        parts = [_text_html(e) for e in block.get("elements", [])]
        return f"<div class='c'>{' '.join(parts)}</div>"
    if kind == "image":
        return (
            f"<img src='{html.escape(block.get('image_url', ''), quote=True)}' "
            f"alt='{html.escape(block.get('alt_text', ''), quote=True)}'>"
        )
    if kind == "section":
        out = ""
        if block.get("text"):
            out += f"<div class='s'>{_text_html(block['text'])}</div>"
        if block.get("fields"):
            cells = "".join(f"<div>{_text_html(f)}</div>" for f in block["fields"])
            out += f"<div class='f'>{cells}</div>"
        return out
    return f"<pre>{html.escape(json.dumps(block))}</pre>"


def _text_html(obj: dict[str, Any]) -> str:
    if obj.get("type") == "plain_text":
        return _emoji(html.escape(obj.get("text", "")))
    return mrkdwn_to_html(obj.get("text", ""))


_LINK = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")
_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])")
_STRIKE = re.compile(r"(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])")
_CODE = re.compile(r"`([^`\n]+)`")


def mrkdwn_to_html(text: str) -> str:
    """Slack mrkdwn (bold, italic, strike, code, links, quotes, emoji codes) as HTML."""
    links: list[str] = []

    def keep_link(match: re.Match[str]) -> str:
        url = html.unescape(match.group(1))
        label = match.group(2)
        if not re.match(r"(?i)^(https?:|mailto:)", url):
            links.append(html.escape(html.unescape(match.group(0))))
        else:
            shown = _inline(label) if label is not None else html.escape(url)
            links.append(f"<a href='{html.escape(url, quote=True)}'>{shown}</a>")
        return f"\x00{len(links) - 1}\x00"

    lines = []
    for line in _LINK.sub(keep_link, text).split("\n"):
        quoted = line.startswith(">")
        rendered = _inline(line[1:].lstrip() if quoted else line)
        lines.append(f"<span class='q'>{rendered}</span>" if quoted else rendered)
    out = "<br>".join(lines).replace("</span><br>", "</span>")
    return re.sub("\x00(\\d+)\x00", lambda m: links[int(m.group(1))], out)


def _inline(text: str) -> str:
    """Inline formatting of text that Slack already entity-escaped (&amp; &lt; &gt;)."""
    text = html.escape(html.unescape(text), quote=False)
    text = _CODE.sub(r"<code>\1</code>", text)
    text = _BOLD.sub(r"<b>\1</b>", text)
    text = _ITALIC.sub(r"<i>\1</i>", text)
    text = _STRIKE.sub(r"<s>\1</s>", text)
    return _emoji(text)


def _emoji(text: str) -> str:
    return re.sub(r":([a-z0-9_+-]+):", lambda m: _EMOJI.get(m.group(1), m.group(0)), text)
