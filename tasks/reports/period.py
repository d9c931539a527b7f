"""The days the warehouse holds: ISO weeks, the loaded period and a week's loaded span."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import duckdb

from tasks.errors import BacklogError

WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def loaded_period(con: duckdb.DuckDBPyConnection) -> tuple[date, date] | None:
    """First and last export day the warehouse knows (loaded or failed), or None.

    A day whose only file failed to load is a day of the period: its export arrived and its
    data quality is `fail`, not "before the first export".
    """
    row = con.execute(
        "select min(export_date), max(export_date) from ("
        "select export_date from ops.loads union all select export_date from ops.load_failures)"
    ).fetchone()
    return None if row is None or row[0] is None else (row[0], row[1])


def parse_week(week: str) -> tuple[date, date]:
    """Monday and Sunday of an ISO week written `YYYY-Www` (e.g. `2026-W13`)."""
    match = WEEK.match(week.strip()) if isinstance(week, str) else None
    if match is None:
        raise BacklogError(f"{week!r} is not an ISO week; write it as YYYY-Www, e.g. 2026-W13.")
    year, number = int(match[1]), int(match[2])
    try:
        monday = date.fromisocalendar(year, number, 1)
    except ValueError as exc:
        raise BacklogError(
            f"{week!r} is not an ISO week: {year} has no week {number:02d}; "
            "weeks run from W01 to W52 (W53 in some years)."
        ) from exc
    return monday, monday + timedelta(days=6)


def week_name(day: date) -> str:
    """The ISO week of a day, as `YYYY-Www`."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def last_complete_week(today: date) -> str:
    """The ISO week before the one holding `today`."""
    return week_name(today - timedelta(days=today.weekday() + 7))


@dataclass(frozen=True)
class Span:
    """The days of one ISO week that the warehouse holds (first..last), if any."""

    monday: date
    first: date | None
    last: date | None

    @property
    def sunday(self) -> date:
        """The week's last day."""
        return self.monday + timedelta(days=6)

    @property
    def days(self) -> int:
        """How many of the week's days the warehouse holds."""
        return 0 if self.first is None else (self.last - self.first).days + 1

    @property
    def status(self) -> str:
        """`no_data`, `partial` or `complete`."""
        return "no_data" if self.first is None else "complete" if self.days == 7 else "partial"


def week_span(monday: date, period: tuple[date, date] | None) -> Span:
    """The days of the ISO week starting `monday` that lie in the loaded `period`."""
    sunday = monday + timedelta(days=6)
    if period is None or period[1] < monday or period[0] > sunday:
        return Span(monday, None, None)
    return Span(monday, max(monday, period[0]), min(sunday, period[1]))
