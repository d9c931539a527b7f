"""Slack's mrkdwn within Slack's limits: blocks, clipping, fitting lists, safe values.

What any Slack message of this tool needs, whatever it says (`blocks.py` composes the
digest's message from these): section, context and divider blocks clipped to Slack's
limits; a list fitted into a section with "and N more"; every value taken from the data
redacted (`tasks.redact.redact`) and its mrkdwn control characters escaped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from tasks.redact import redact
from tasks.render import format as fmt

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_CONTEXT_ELEMENTS = 10
MAX_FALLBACK_TEXT = 3000

_PLAIN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,63}$")


def section(text: str) -> dict[str, Any]:
    """A mrkdwn section, clipped to Slack's limit."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, MAX_SECTION_TEXT)}}


def context(texts: Iterable[str]) -> dict[str, Any]:
    """A context block (small grey text), within Slack's limits."""
    elements = [{"type": "mrkdwn", "text": clip(t, MAX_SECTION_TEXT)} for t in texts]
    return {"type": "context", "elements": elements[:MAX_CONTEXT_ELEMENTS]}


def divider() -> dict[str, Any]:
    """A divider block."""
    return {"type": "divider"}


def within_block_limit(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """At most 50 blocks: the last one says how many were left out."""
    if len(blocks) <= MAX_BLOCKS:
        return blocks
    kept = blocks[: MAX_BLOCKS - 1]
    return [*kept, context([f"{fmt.and_more(len(blocks) - len(kept))} sections not shown"])]


def fit(
    title: str,
    lines: Sequence[str],
    max_items: int,
    limit: int = MAX_SECTION_TEXT,
    left_out: tuple[int, str] = (0, ""),
) -> str:
    """A title and as many lines as `max_items` and the character limit allow, then "and N more".

    Lines are kept whole, so a link's markup is never cut in half. `left_out` is what the
    list itself leaves out (how many, and the line that says it when every line fits).
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
        text += "\n" + clip(lines[0], limit - len(text) - reserve - 1)
        shown = 1
    rest = len(lines) - shown + left_out[0]
    if rest > 0:
        tail = left_out[1] if shown == len(lines) and left_out[1] else fmt.and_more(rest)
        text += f"\n_{tail}_"
    return text


def join_fit(
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


def clip(text: str, limit: int) -> str:
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


def clip_plain(text: str, limit: int) -> str:
    """Plain text within `limit` characters, an ellipsis where it was cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def esc(value: Any) -> str:
    """A data value made safe to post: personal data redacted, mrkdwn control chars escaped."""
    return escape(redact("" if value is None else str(value)) or "")


def escape(text: str) -> str:
    """Slack's three control characters as entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def ticket_text(ticket_id: Any) -> str:
    """A ticket id as shown: identifiers pass as they are, anything free-text is redacted."""
    text = "" if ticket_id is None else str(ticket_id)
    if _PLAIN_ID.match(text) and not looks_like_phone(text):
        return text
    return redact(text) or ""


def looks_like_phone(text: str) -> bool:
    """Whether an id reads like a phone number (redacted then, never posted)."""
    return text.startswith("+") or bool(re.fullmatch(r"0\d{8,14}", text))
