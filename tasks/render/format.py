"""The one formatter set every renderer uses: durations, numbers, percentages, days, id lists.

Every function takes a figure as the digest holds it (a number, or None when there is
no value) and returns the text a support lead reads; a missing value reads "n/a".
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

NA = "n/a"


def is_number(value: Any) -> bool:
    """Whether a value is a figure that can be formatted (an int or a float)."""
    return isinstance(value, int | float)


def minutes(value: Any) -> str:
    """A duration given in minutes, read by the one duration rule (see `hours`)."""
    if not is_number(value):
        return NA
    return _duration(value, value / 60, value / 1440)


def hours(value: Any) -> str:
    """A duration given in hours: "45 min" under an hour, "3.2 h" under 48 h, "2.1 d" above.

    Minutes need no decimal; hours and days keep one. The unit follows the rounded
    text, so 59.6 minutes reads "1.0 h" (never "60 min") and 47.96 h reads "2.0 d".
    """
    if not is_number(value):
        return NA
    return _duration(value * 60, value, value / 24)


def _duration(in_minutes: float, in_hours: float, in_days: float) -> str:
    """One duration given in all three units, each computed from the unit it is stored in."""
    if round(in_minutes) < 60:
        return f"{in_minutes:.0f} min"
    if round(in_hours, 1) < 48:
        return f"{in_hours:.1f} h"
    return f"{in_days:.1f} d"


def number(value: Any, digits: int = 1, *, grouped: bool = True) -> str:
    """A figure with `digits` decimals, thousands grouped ("1,234.5") unless told not to."""
    if not is_number(value):
        return NA
    return f"{value:,.{digits}f}" if grouped else f"{value:.{digits}f}"


def integer(value: Any) -> str:
    """A count, rounded and grouped ("1,234")."""
    return f"{round(value):,}" if is_number(value) else NA


def signed(value: Any, *, grouped: bool = True) -> str:
    """A change with its sign ("+17", "-11", "+0")."""
    if not is_number(value):
        return NA
    return f"{round(value):+,}" if grouped else f"{round(value):+d}"


def pct(value: Any) -> str:
    """A share as a whole percentage ("18%")."""
    return f"{value:.0%}" if is_number(value) else NA


def day_label(value: Any) -> str:
    """An ISO date as a heading reads it ("Tue 3 Mar 2026"); other text as it is."""
    try:
        day = date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return f"{day:%a} {day.day} {day:%b %Y}"


def and_more(count: int) -> str:
    """The tail of a cut list ("and 3 more")."""
    return f"and {count} more"


def ticket_ids(ids: Sequence[Any], limit: int = 8) -> str:
    """Ticket ids as "#1, #2 and N more", at most `limit` shown."""
    shown = ", ".join(f"#{t}" for t in ids[:limit])
    rest = len(ids) - limit
    return f"{shown} {and_more(rest)}" if rest > 0 else shown
