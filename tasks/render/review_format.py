"""The weekly review's value formatting: figures, changes, dates and table cells for reading."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote


def format_value(value: Any, unit: str) -> str:
    """A figure for reading: rates as %, minutes and hours as durations."""
    if value is None:
        return "n/a"
    if unit == "share":
        return f"{value:.1%}"
    if unit == "minutes":
        return _duration(value * 60)
    if unit == "hours":
        return _duration(value * 3600)
    if isinstance(value, float):
        return f"{value:,.1f}"
    return f"{value:,}"


def format_change(value: Any, previous: Any, unit: str) -> str:
    """The change from the previous week: points for rates, % for durations, +n for counts."""
    if value is None or previous is None:
        return "n/a"
    if unit == "share":
        return f"{(value - previous) * 100:+.1f} pp"
    if unit in ("minutes", "hours"):
        return "±0%" if value == previous else _ratio(value, previous)
    delta = value - previous
    text = f"{delta:+,.1f}" if isinstance(delta, float) else f"{delta:+,}"
    return f"{text} ({_ratio(value, previous)})" if previous else text


def _ratio(value: float, previous: float) -> str:
    if not previous:
        return "n/a"
    return f"{(value - previous) / abs(previous):+.0%}"


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes = seconds / 60
    if minutes < 120:
        return f"{minutes:.0f} min"
    hours = minutes / 60
    return f"{hours:.1f} h" if hours < 72 else f"{hours / 24:.1f} d"


def pct(value: float | None) -> str:
    """A share as a whole percentage."""
    return "n/a" if value is None else f"{value:.0%}"


def number(value: Any) -> str:
    """A count with thousands separators; other values as they are."""
    return "n/a" if value is None else f"{value:,}" if isinstance(value, int) else str(value)


def signed(value: int | None) -> str:
    """A change with its sign."""
    return "n/a" if value is None else f"{value:+d}"


def growth(value: float | None) -> str:
    """A growth factor (`1.5x`), `new` without a baseline."""
    return "new" if value is None else f"{value:.1f}x"


def long_date(day: date | None) -> str:
    """A day as `Mon 23 Mar 2026`."""
    return "" if day is None else f"{day:%a} {day.day} {day:%b %Y}"


def cell(text: Any) -> str:
    """Text safe inside a Markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


def ticket_url(review: dict[str, Any], ticket_id: str) -> str | None:
    """The link to a ticket in the helpdesk, when a URL template is configured."""
    template = review.get("ticket_url_template")
    return template.format(ticket_id=quote(str(ticket_id), safe="")) if template else None
