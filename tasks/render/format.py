"""The one formatter set every renderer uses: durations, numbers, percentages, days, id lists.

The digest's Markdown, its Slack message and the weekly review pack (HTML and Markdown)
all format through these functions, so a figure reads the same wherever it is shown.

Every function takes a figure as the digest holds it (a number, or None when there is
no value) and returns the text a support lead reads; a missing value reads "n/a".
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from numbers import Integral
from typing import Any
from urllib.parse import quote

NA = "n/a"
# a change resting on fewer tickets than this is shown without a percentage or a colour
SMALL_BASE = 30
# the rate alerts (reopen, same-issue recontact) read a cohort first solved in D-13..D-7 and
# followed for 7 days: they wait until those 14 days are loaded (before, the cohort is only
# the tickets the first export happened to show, biased towards the reopened ones) and for
# a cohort of SMALL_BASE tickets (1 reopen of 4 tickets is 25% and says nothing yet)
RATE_HISTORY_DAYS = 14


def is_number(value: Any) -> bool:
    """Whether a value is a figure that can be formatted (an int or a float)."""
    return isinstance(value, int | float)


def minutes(value: Any) -> str:
    """A duration given in minutes, read by the one duration rule (see `hours`)."""
    if not is_number(value):
        return NA
    return _duration(value * 60, value, value / 60, value / 1440)


def hours(value: Any) -> str:
    """A duration given in hours: "40 s" under a minute, "45 min" under an hour, "3.2 h"
    under 48 h, then days: "2.1 days" under 10 days, "30 days" from there.

    Seconds, minutes and ten days or more need no decimal; hours and shorter day counts
    keep one. The unit follows the rounded text, so 59.6 minutes reads "1.0 h" (never
    "60 min"), 47.96 h reads "2.0 days" and 9.96 days "10 days".
    """
    if not is_number(value):
        return NA
    return _duration(value * 3600, value * 60, value, value / 24)


def days(value: Any) -> str:
    """A duration given in days, by the one duration rule ("2.1 days", "30 days", "5.0 h")."""
    if not is_number(value):
        return NA
    return _duration(value * 86400, value * 1440, value * 24, value)


def _duration(in_seconds: float, in_minutes: float, in_hours: float, in_days: float) -> str:
    """One duration given in all four units, each computed from the unit it is stored in."""
    if round(in_seconds) < 60:
        return f"{in_seconds:.0f} s"
    if round(in_minutes) < 60:
        return f"{in_minutes:.0f} min"
    if round(in_hours, 1) < 48:
        return f"{in_hours:.1f} h"
    if round(in_days, 1) < 10:
        return f"{in_days:.1f} days"
    return f"{in_days:.0f} days"


def threshold(value: Any, unit: str) -> str:
    """A configured threshold as the user wrote it: "24 h", "2.5 h", "5 days", "1 day",
    "15%", "15.5%" (a share). Unlike a measured figure it is not rounded to the duration
    rule's one decimal, nor moved to another unit: the digest repeats the setting.
    """
    if not is_number(value):
        return NA
    # repr is the shortest text that reads back as the float: what the config file held
    written = Decimal(repr(float(value)))
    if unit == "share":
        return f"{_plain(written * 100)}%"
    if unit == "days":
        return f"{_plain(written)} day{'' if written == 1 else 's'}"
    if unit == "hours":
        return f"{_plain(written)} h"
    raise ValueError(f"no threshold unit {unit!r}")


def _plain(number: Decimal) -> str:
    """A decimal without trailing zeros or exponent, thousands grouped ("24", "2.5")."""
    return f"{number.normalize():,f}"


def number(value: Any, digits: int = 1) -> str:
    """A figure with `digits` decimals, thousands grouped ("1,234.5")."""
    return f"{value:,.{digits}f}" if is_number(value) else NA


def integer(value: Any) -> str:
    """A count, rounded and grouped ("1,234")."""
    return f"{round(value):,}" if is_number(value) else NA


def count(value: Any) -> str:
    """A count as it is stored, thousands grouped ("1,234"; a NumPy integer too; a float
    keeps its decimals: "1,234.5"); a value that is not a number as its text."""
    if value is None:
        return NA
    if isinstance(value, Integral):
        return f"{int(value):,}"
    return f"{value:,}" if isinstance(value, float) else str(value)


def signed(value: Any) -> str:
    """A change with its sign ("+17", "-11", "+0", "+1,500")."""
    return f"{round(value):+,}" if is_number(value) else NA


def pct(value: Any, digits: int = 0) -> str:
    """A share as a percentage ("18%"; "18.4%" with one digit)."""
    return f"{value:.{digits}%}" if is_number(value) else NA


def growth(value: Any) -> str:
    """A growth factor ("1.5x"); "new" without a baseline."""
    return f"{value:.1f}x" if is_number(value) else "new"


def value(figure: Any, unit: str) -> str:
    """A registered metric's value by its unit: shares as %, minutes and hours as durations."""
    if figure is None:
        return NA
    if unit == "share":
        return pct(figure, 1)
    if unit == "minutes":
        return minutes(figure)
    if unit == "hours":
        return hours(figure)
    return number(figure) if isinstance(figure, float) else count(figure)


def change(figure: Any, previous: Any, unit: str, *, small_base: bool = False) -> str:
    """The change from a previous value: points for shares, % for durations, +n for counts.

    On a small base (fewer than `SMALL_BASE` tickets behind it) no percentage is given: a
    count reads "+5", a duration its difference ("+12 min"), so a move from 1 to 17
    tickets never reads "+1600%".
    """
    if figure is None or previous is None:
        return NA
    if unit == "share":
        return f"{(figure - previous) * 100:+.1f} pp"
    if unit in ("minutes", "hours"):
        if figure == previous:
            return "±0%"
        if small_base:
            sign = "+" if figure > previous else "-"
            delta = abs(figure - previous)
            return sign + (minutes(delta) if unit == "minutes" else hours(delta))
        return _ratio(figure, previous)
    delta = figure - previous
    text = f"{delta:+,.1f}" if isinstance(delta, float) else f"{delta:+,}"
    return f"{text} ({_ratio(figure, previous)})" if previous and not small_base else text


def _ratio(figure: float, previous: float) -> str:
    return f"{(figure - previous) / abs(previous):+.0%}" if previous else NA


def day_label(value: Any) -> str:
    """A date (or ISO date text) as a heading reads it ("Tue 3 Mar 2026"); other text as it
    is; nothing for None."""
    if value is None:
        return ""
    try:
        day = date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return f"{day:%a} {day.day} {day:%b %Y}"


def and_more(rest: int) -> str:
    """The tail of a cut list ("and 3 more", "and 1,204 more")."""
    return f"and {count(rest)} more"


def ticket_ids(ids: Sequence[Any], limit: int = 8) -> str:
    """Ticket ids as "#1, #2 and N more", at most `limit` shown."""
    shown = ", ".join(f"#{t}" for t in ids[:limit])
    rest = len(ids) - limit
    return f"{shown} {and_more(rest)}" if rest > 0 else shown


def ticket_url(template: str | None, ticket_id: Any) -> str | None:
    """The link to a ticket in the helpdesk through a URL template (None without one)."""
    return template.replace("{ticket_id}", quote(str(ticket_id), safe="")) if template else None


BUSINESS_FIGURES = (
    "first_reply_business_p50_minutes",
    "first_reply_business_p90_minutes",
    "ttfmr_business_p50_minutes",
    "ttfmr_business_p90_minutes",
    "resolution_business_p50_hours",
)


def has_business_hours(response: dict[str, Any]) -> bool:
    """True when the digest's response section holds a business-hours figure: a schedule is
    configured (without one they are all null, and nothing business is shown)."""
    return any(response.get(key) is not None for key in BUSINESS_FIGURES)


def history(days: Any) -> str:
    """The days of history behind the 7-day figures while there are fewer than 7 ("3 days
    of history"); empty from the 7th day on (or without a figure)."""
    if not isinstance(days, int) or days >= 7:
        return ""
    return f"{days} day{'' if days == 1 else 's'} of history"


def average_label(days: Any) -> str:
    """What the daily averages are over: "7-day average", or "Average over the 3 days of
    history" while there are fewer than 7."""
    short = history(days)
    return f"Average over the {short}" if short else "7-day average"


def flow_balance(inflow_avg: Any, reopened_avg: Any, outflow_avg: Any) -> str:
    """The daily averages as one sum a reader can check: "36.1 in + 3.1 reopened = 39.2 vs
    38.9 out".

    The total is the sum of the two parts as shown (36.14 + 3.14 reads 36.1 + 3.1 = 39.2,
    not 39.3), so the figures on screen add up. When one decimal would show both sides
    equal while they differ, two are kept ("39.24 vs 39.16"), so "above" never reads as a tie.
    """
    if not (is_number(inflow_avg) and is_number(reopened_avg) and is_number(outflow_avg)):
        parts = f"{number(inflow_avg)} in + {number(reopened_avg)} reopened"
        return f"{parts} vs {number(outflow_avg)} out"
    digits = 1
    if _shown_sum(inflow_avg, reopened_avg, 1) == _shown(outflow_avg, 1) and (
        inflow_avg + reopened_avg != outflow_avg
    ):
        digits = 2
    total = _shown_sum(inflow_avg, reopened_avg, digits)
    return (
        f"{number(inflow_avg, digits)} in + {number(reopened_avg, digits)} reopened = "
        f"{number(float(total), digits)} vs {number(outflow_avg, digits)} out"
    )


def _shown(value: float, digits: int) -> Decimal:
    """A figure as `number` shows it, as an exact decimal (round half to even, as format)."""
    return Decimal(f"{value:.{digits}f}")


def _shown_sum(first: float, second: float, digits: int) -> Decimal:
    """The sum of two figures as they are shown (exact: no float error in the sum)."""
    return _shown(first, digits) + _shown(second, digits)


def backlog_change(change_7d: Any, flow: dict[str, Any]) -> str:
    """The backlog's change over the last 7 days as the digest shows it ("+8 in 7 days").

    With fewer than 7 days of history the 7-day change would reach into days before the
    first export, which the warehouse only knows in part: the change over the days of
    history is shown instead ("+12 in 3 days", the sum of those days' net flow), and
    nothing on the first day (its change is the day's own, shown as "today").
    """
    shown = backlog_change_value(change_7d, flow)
    if shown is None:
        return ""
    days = flow.get("history_days")
    span = days if isinstance(days, int) and days < 7 else 7
    return f"{signed(shown)} in {span} days"


def backlog_change_value(change_7d: Any, flow: dict[str, Any]) -> Any:
    """The change `backlog_change` shows: change_7d from the 7th day of history, the sum of
    the net flow over the days of history before (None on the first day)."""
    days = flow.get("history_days")
    if not isinstance(days, int) or days >= 7:
        return change_7d
    parts = (flow.get("inflow_7d_avg"), flow.get("reopened_7d_avg"), flow.get("outflow_7d_avg"))
    if days <= 1 or not all(is_number(p) for p in parts):
        return None
    # the averages are sums / days while there are fewer than 7 days: back to the exact sum
    return round((parts[0] + parts[1] - parts[2]) * days)


def drivers_left_out(rest: dict[str, Any]) -> str:
    """The tail of the drivers list: "and 4 more drivers (at most 20 tickets each)"; empty
    when the list shows every driver."""
    count = rest.get("count")
    if not isinstance(count, int) or count <= 0:
        return ""
    largest = rest.get("largest_tickets_7d")
    text = f"{and_more(count)} driver{'s' if count > 1 else ''}"
    if not is_number(largest):
        return text
    if count == 1:
        return f"{text} ({count_tickets(largest)})"
    return f"{text} (at most {count_tickets(largest)} each)"


def count_tickets(value: Any) -> str:
    """A ticket count with its noun ("1 ticket", "20 tickets")."""
    return f"{count(value)} ticket{'' if value == 1 else 's'}"


def growth_alerted(d: dict[str, Any]) -> bool:
    """Whether the digest carries the inflow-above-outflow alert: its message says since
    when and by how much, so the backlog's state line does not say it again."""
    return any(alert.get("name") == "inflow_above_outflow" for alert in d.get("alerts") or [])


def rate_alert_wait(flow: dict[str, Any], cohort: Any) -> str:
    """What a rate alert (reopen, recontact) still waits for: "14 days of history" or "a
    cohort of 30 solved tickets"; empty when it may fire."""
    days = flow.get("history_days")
    if isinstance(days, int) and days < RATE_HISTORY_DAYS:
        return f"{RATE_HISTORY_DAYS} days of history"
    if not is_number(cohort) or cohort < SMALL_BASE:
        return f"a cohort of {SMALL_BASE} solved tickets"
    return ""


def since_last_digest(since: dict[str, Any] | None) -> str:
    """The days since the previous digest in one line ("Since Thursday's digest (Fri-Sun):
    120 in, 80 out, 6 reopened; backlog +46"); the days without a complete export are named,
    since the sums miss them. Empty on an ordinary day (no `since_last_digest`)."""
    if not since:
        return ""
    previous, start, end = (
        date.fromisoformat(since[key]) for key in ("previous_digest_date", "from", "to")
    )
    text = (
        f"Since {previous:%A}'s digest ({start:%a}-{end:%a}): {count(since['inflow'])} in, "
        f"{count(since['outflow'])} out, {count(since['reopened'])} reopened; "
        f"backlog {signed(since['backlog_change'])}"
    )
    missing = [date.fromisoformat(day) for day in since.get("incomplete_days") or []]
    if missing:
        listed = ", ".join(f"{day:%a} {day.isoformat()}" for day in missing)
        those = "that day" if len(missing) == 1 else "those days"
        text += f" (no complete export for {listed}, so these sums miss {those})"
    return text
