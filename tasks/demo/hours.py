"""The synthetic team's business hours: a `[business_hours]` setting the benchmarks and the
tests share (Berlin with a Monday lunch break and Berlin's public holidays; New York for
the groups it serves)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

AMERICAS_HOURS = ["08:00-20:00"]


def business_hours(americas_groups: Sequence[str]) -> dict[str, Any]:
    """The team's hours as `backlog.toml`'s `[business_hours]` holds them: Europe/Berlin by
    default (DE-BE holidays), and an `americas` schedule (America/New_York, weekdays
    08:00-20:00) for `americas_groups`. A new dict each call: callers add to it."""
    return {
        "timezone": "Europe/Berlin",
        "mon": ["09:00-12:30", "13:30-18:00"],  # a lunch break
        "tue": ["09:00-17:00"],
        "wed": ["09:00-17:00"],
        "thu": ["09:00-17:00"],
        "fri": ["09:00-15:00"],
        "holiday_country": "DE",
        "holiday_subdivision": "BE",
        "schedules": {
            "americas": {
                "timezone": "America/New_York",
                **{day: list(AMERICAS_HOURS) for day in ("mon", "tue", "wed", "thu", "fri")},
                "groups": list(americas_groups),
            }
        },
    }
