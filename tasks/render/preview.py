"""A Block Kit message as a self-contained HTML page, roughly as Slack draws it.

The page lets a lead check the morning's message by eye without a Slack workspace;
`mrkdwn_to_html` turns Slack's markup (bold, italic, strike, code, links, quotes,
emoji codes) into HTML and never lets a non-web link through.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

_LINK = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")
_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])")
_STRIKE = re.compile(r"(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])")
_CODE = re.compile(r"`([^`\n]+)`")

_EMOJI: Mapping[str, str] = MappingProxyType(
    {
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
        "thread": "🧵",
        "page_facing_up": "📄",
    }
)

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
.thread{border-left:3px solid #e0e0e0;max-width:740px;margin:0 auto;padding-left:16px}
.thread .msg{margin-top:0}
"""


def render_preview_html(payload: dict[str, Any], note: str = "Slack preview") -> str:
    """A self-contained HTML page showing the blocks roughly as Slack draws them.

    Args:
        payload: `{"text": ..., "blocks": [...]}` as `tasks.render.blocks.build_payload` made it.
        note: the grey line above the message (the builder says how close it is to Slack's
            limits there).
    """
    blocks = payload.get("blocks") or []
    title = next((b["text"]["text"] for b in blocks if b.get("type") == "header"), "Slack message")
    page = (
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_PREVIEW_CSS}</style></head><body>\n"
        f"<div class='note'>{html.escape(note)}</div>\n"
        f"{_message_html(blocks, '9:00 AM')}"
        f"<div class='fallback'>Notification text: {html.escape(str(payload.get('text', '')))}"
        "</div>\n"
    )
    thread = payload.get("thread")
    if thread:
        page += (
            "<div class='note'>Thread · 1 reply</div>\n<div class='thread'>"
            f"{_message_html(thread.get('blocks') or [], '9:00 AM')}</div>\n"
        )
    return page + "</body></html>\n"


def _message_html(blocks: list[dict[str, Any]], time: str) -> str:
    """One message (the bot's avatar, name and its blocks) as HTML."""
    body = "\n".join(_block_html(block) for block in blocks)
    return (
        "<div class='msg'><div class='avatar'>B</div><div class='body'>"
        "<div><span class='who'>Backlog digest</span><span class='app'>APP</span>"
        f"<span class='time'>{html.escape(time)}</span></div>\n"
        f"{body}\n</div></div>\n"
    )


def _block_html(block: dict[str, Any]) -> str:
    """One block as HTML; a kind the preview does not know is shown as its JSON."""
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
    """A text object (plain or mrkdwn) as HTML."""
    if obj.get("type") == "plain_text":
        return _emoji(html.escape(obj.get("text", "")))
    return mrkdwn_to_html(obj.get("text", ""))


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
    """Slack's emoji codes that the digest uses as the characters they draw."""
    return re.sub(r":([a-z0-9_+-]+):", lambda m: _EMOJI.get(m.group(1), m.group(0)), text)
