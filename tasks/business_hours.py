"""The `[business_hours]` settings: schedules, their weekly hours, versions and holidays.

A schedule is an IANA time zone, open intervals per weekday in local wall time
(`mon = ["09:00-12:30", "13:30-18:00"]`; an absent day is closed), holidays (dates, and/or
a country and subdivision of the `holidays` package) and changes of hours from a date on
(`[[business_hours.changes]]` with `valid_from`). `[business_hours]` itself is the default
schedule; `[business_hours.schedules.<name>]` adds schedules for the tickets whose latest
group is one of its `groups`. Validation here; the open intervals in UTC are built from
the config tables by tasks/models/open_intervals.py.
"""

from __future__ import annotations

import re
from datetime import date
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_SCHEDULE = "default"
INTERVAL = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


def parse_interval(text: str) -> tuple[int, int]:
    """`"09:00-17:30"` as minutes of the day (540, 1050); `24:00` closes at midnight.

    Raises ValueError with the reason when the text is not HH:MM-HH:MM, a time is not a
    clock time, or the interval does not open before it closes.
    """
    found = INTERVAL.match(text.strip())
    if found is None:
        raise ValueError(f'{text!r} is not an interval; write "HH:MM-HH:MM", e.g. "09:00-17:00"')
    oh, om, ch, cm = (int(part) for part in found.groups())
    if oh > 23 or om > 59 or cm > 59 or ch > 24 or (ch == 24 and cm):
        raise ValueError(f"{text!r} has a time that is not on the clock (00:00 to 24:00)")
    opens, closes = oh * 60 + om, ch * 60 + cm
    if opens >= closes:
        raise ValueError(f"{text!r} does not open before it closes")
    return opens, closes


class WeeklyHours(BaseModel):
    """Open intervals per weekday, local wall time; an absent or empty day is closed."""

    model_config = ConfigDict(extra="forbid")

    mon: list[str] = Field(default_factory=list)
    tue: list[str] = Field(default_factory=list)
    wed: list[str] = Field(default_factory=list)
    thu: list[str] = Field(default_factory=list)
    fri: list[str] = Field(default_factory=list)
    sat: list[str] = Field(default_factory=list)
    sun: list[str] = Field(default_factory=list)

    @field_validator(*WEEKDAYS)
    @classmethod
    def _intervals(cls, value: list[str], info: Any) -> list[str]:
        spans = sorted(parse_interval(text) for text in value)
        for (_, closes), (opens, _) in pairwise(spans):
            if opens < closes:
                raise ValueError(f"{info.field_name} has overlapping intervals {value}")
        return value

    def intervals(self) -> list[tuple[int, int, int]]:
        """(ISO weekday 1-7, opens minute, closes minute) of every interval, in order."""
        return [
            (number, *parse_interval(text))
            for number, day in enumerate(WEEKDAYS, start=1)
            for text in sorted(getattr(self, day), key=parse_interval)
        ]


def _known_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown time zone {value!r}; use an IANA name such as Europe/Berlin"
        ) from exc
    return value


class HoursChange(WeeklyHours):
    """New weekly hours from `valid_from` (a local date) on: the whole week as it is then."""

    valid_from: date
    timezone: str | None = Field(default=None, description="the zone from then on, if it moves")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return None if value is None else _known_zone(value)


class BusinessSchedule(WeeklyHours):
    """One schedule: zone, weekly hours, holidays, changes of hours, and its groups."""

    timezone: str
    holidays: list[date] = Field(default_factory=list)
    holiday_country: str | None = None
    holiday_subdivision: str | None = None
    changes: list[HoursChange] = Field(default_factory=list)
    groups: list[str] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return _known_zone(value)

    @model_validator(mode="after")
    def _holidays_and_changes(self) -> BusinessSchedule:
        if self.holiday_subdivision and not self.holiday_country:
            raise ValueError("holiday_subdivision needs holiday_country")
        if self.holiday_country:
            import holidays  # imported here: only a schedule with a country needs it

            try:
                holidays.country_holidays(
                    self.holiday_country, subdiv=self.holiday_subdivision, years=2025
                )
            except NotImplementedError as exc:
                raise ValueError(
                    f"holiday_country {self.holiday_country!r} / holiday_subdivision "
                    f"{self.holiday_subdivision!r} is not known to the holidays package "
                    f"({exc}); use an ISO 3166 code such as DE with a subdivision such as BE"
                ) from exc
        starts = [change.valid_from for change in self.changes]
        if len(set(starts)) != len(starts):
            raise ValueError("two changes of hours have the same valid_from")
        return self

    def versions(self) -> list[tuple[date, str, WeeklyHours]]:
        """(valid from, zone, weekly hours) of each version, oldest first; the first
        version (the schedule's own hours) is valid from 0001-01-01."""
        found: list[tuple[date, str, WeeklyHours]] = [(date.min, self.timezone, self)]
        for change in sorted(self.changes, key=lambda c: c.valid_from):
            found.append((change.valid_from, change.timezone or found[-1][1], change))
        return found


class BusinessHours(BusinessSchedule):
    """`[business_hours]`: the default schedule, plus named ones by group."""

    schedules: dict[str, BusinessSchedule] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _groups(self) -> BusinessHours:
        if self.groups:
            raise ValueError(
                "groups belong to a named schedule ([business_hours.schedules.<name>]); the "
                "default schedule applies to every other ticket"
            )
        if DEFAULT_SCHEDULE in self.schedules:
            raise ValueError(f"{DEFAULT_SCHEDULE!r} is the name of [business_hours] itself")
        owner: dict[str, str] = {}
        for name, schedule in self.schedules.items():
            for group in schedule.groups:
                if group in owner:
                    raise ValueError(
                        f"group {group!r} is in schedules {owner[group]!r} and {name!r}; "
                        "give each group one schedule"
                    )
                owner[group] = name
        return self

    def all_schedules(self) -> dict[str, BusinessSchedule]:
        """Every schedule by name, the default first."""
        return {DEFAULT_SCHEDULE: self, **self.schedules}
