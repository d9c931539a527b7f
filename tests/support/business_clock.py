"""A deliberately naive business clock, minute by minute, to check the product's against.

Independent of tasks/: it reads the `[business_hours]` dict as a user writes it, asks for
every minute of a range whether that minute's local wall-clock time (zoneinfo) lies in
one of the day's intervals of the hours valid that day, not on a holiday, and counts the
open minutes between two instants. No intervals, no offsets, no DST arithmetic.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays as holiday_package

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


class NaiveSchedule:
    """One schedule as written in the config, answering "is this minute open?"."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.versions = [("0001-01-01", spec["timezone"], {d: spec.get(d, []) for d in DAYS})]
        for change in sorted(spec.get("changes", []), key=lambda c: str(c["valid_from"])):
            zone = change.get("timezone", self.versions[-1][1])
            week = {d: change.get(d, []) for d in DAYS}  # a change states its whole week
            self.versions.append((str(change["valid_from"]), zone, week))
        self.listed = {date.fromisoformat(str(day)) for day in spec.get("holidays", [])}
        self.country = spec.get("holiday_country")
        self.subdivision = spec.get("holiday_subdivision")
        self.by_year: dict[int, set[date]] = {}

    def _is_holiday(self, day: date) -> bool:
        if day in self.listed:
            return True
        if not self.country:
            return False
        if day.year not in self.by_year:
            self.by_year[day.year] = set(
                holiday_package.country_holidays(
                    self.country, subdiv=self.subdivision, years=day.year
                )
            )
        return day in self.by_year[day.year]

    def _local_and_week(self, minute: datetime) -> tuple[datetime, dict[str, list[str]]]:
        """The minute's local time and the weekly hours valid on its local date."""
        for valid_from, zone, week in reversed(self.versions):
            local = minute.astimezone(ZoneInfo(zone))
            if local.date().isoformat() >= valid_from:
                return local, week
        raise AssertionError("the first version is valid from 0001-01-01")

    def is_open(self, minute: datetime) -> bool:
        """True when the minute starting at `minute` (UTC) is a business minute."""
        local, week = self._local_and_week(minute)
        if self._is_holiday(local.date()):
            return False
        now = local.hour * 60 + local.minute
        for text in week[DAYS[local.weekday()]]:
            opens, closes = (_minutes(part) for part in text.split("-"))
            if opens <= now < closes:
                return True
        return False


class NaiveClock:
    """Business minutes between two instants on whole minutes, counted one by one.

    `start` is the first minute of the range it answers for; each minute's answer is
    remembered, so many tickets over the same weeks stay fast.
    """

    def __init__(self, spec: Mapping[str, Any], start: datetime, end: datetime) -> None:
        self.schedule = NaiveSchedule(spec)
        self.start = start
        count = int((end - start).total_seconds() // 60)
        self.open = [
            self.schedule.is_open(start + timedelta(minutes=index)) for index in range(count)
        ]

    def minutes(self, begin: datetime, end: datetime) -> int:
        """Open minutes in [begin, end), both on whole minutes inside the range."""
        first = int((begin - self.start).total_seconds() // 60)
        last = int((end - self.start).total_seconds() // 60)
        assert (begin - self.start).total_seconds() % 60 == 0
        assert (end - self.start).total_seconds() % 60 == 0
        assert 0 <= first <= last <= len(self.open), (begin, end)
        return sum(self.open[first:last])


def utc(text: str) -> datetime:
    """An ISO instant as an aware UTC datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
