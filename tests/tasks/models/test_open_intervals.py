"""The open intervals in UTC (tasks/models/open_intervals.py): hand-computed DST days, a
whole year against the naive minute-by-minute clock, and how ops.business_intervals is
kept (covered range widened, rebuilt on a change, emptied without a schedule)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest

from tasks import models, warehouse
from tasks.config import load_settings
from tasks.models.open_intervals import Schedule, Version, open_intervals, wall_interval
from tests.support.business_clock import NaiveSchedule
from tests.support.exports import tk, write_tickets
from tests.support.loading import load_exports

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def _z(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _minutes(pieces: list[tuple[datetime, datetime]]) -> float:
    return sum((end - start).total_seconds() for start, end in pieces) / 60


@pytest.mark.parametrize(
    ("day", "opens", "closes", "zone", "expected"),
    [
        # Berlin, spring 2025-03-30 (02:00 CET -> 03:00 CEST, at 01:00 UTC):
        # 09:00-17:00 CEST = 07:00-15:00 UTC: 8 h as any day
        (date(2025, 3, 30), "09:00", "17:00", BERLIN, [("07:00", "15:00", 0)]),
        # 01:00 CET = 00:00 UTC, 05:00 CEST = 03:00 UTC: 3 real hours for 4 on the clock
        (date(2025, 3, 30), "01:00", "05:00", BERLIN, [("00:00", "03:00", 0)]),
        # autumn 2025-10-26 (03:00 CEST -> 02:00 CET, at 01:00 UTC): 01:00 CEST = 23:00 UTC
        # the day before, 05:00 CET = 04:00 UTC: 5 real hours
        (date(2025, 10, 26), "01:00", "05:00", BERLIN, [("23:00", "04:00", -1)]),
        # 09:00-17:00 CET = 08:00-16:00 UTC: 8 h
        (date(2025, 10, 26), "09:00", "17:00", BERLIN, [("08:00", "16:00", 0)]),
        # New York, spring 2025-03-09 (02:00 EST -> 03:00 EDT, at 07:00 UTC):
        # 00:00 EST = 05:00 UTC, 04:00 EDT = 08:00 UTC: 3 h
        (date(2025, 3, 9), "00:00", "04:00", NEW_YORK, [("05:00", "08:00", 0)]),
        # autumn 2025-11-02 (02:00 EDT -> 01:00 EST, at 06:00 UTC): 00:00 EDT = 04:00 UTC,
        # 04:00 EST = 09:00 UTC: 5 h
        (date(2025, 11, 2), "00:00", "04:00", NEW_YORK, [("04:00", "09:00", 0)]),
        # 09:00-17:00 EST = 14:00-22:00 UTC: 8 h
        (date(2025, 11, 2), "09:00", "17:00", NEW_YORK, [("14:00", "22:00", 0)]),
    ],
)
def test_dst_days_hand_computed(
    day: date, opens: str, closes: str, zone: ZoneInfo, expected: list[tuple[str, str, int]]
) -> None:
    o = int(opens[:2]) * 60 + int(opens[3:])
    c = int(closes[:2]) * 60 + int(closes[3:])
    got = wall_interval(day, o, c, zone)
    want = []
    for start, end, shift in expected:
        first = datetime.combine(day + timedelta(days=shift), datetime.min.time(), UTC)
        begin = first + timedelta(hours=int(start[:2]), minutes=int(start[3:]))
        finish = datetime.combine(day, datetime.min.time(), UTC) + timedelta(
            hours=int(end[:2]), minutes=int(end[3:])
        )
        want.append((begin, finish))
    assert got == want


def test_opening_inside_the_repeated_hour_gives_two_pieces() -> None:
    # Berlin 2025-10-26, 02:30-05:00: the first 02:30 CEST = 00:30 UTC until the change at
    # 01:00 UTC (30 min); the wall clock falls back to 02:00 CET, so the second 02:00-02:30
    # (01:00-01:30 UTC) is before opening again; 02:30 CET = 01:30 UTC to 05:00 CET =
    # 04:00 UTC (150 min): 30 + 150 = 180 minutes
    got = wall_interval(date(2025, 10, 26), 150, 300, BERLIN)
    assert got == [
        (_z("2025-10-26T00:30"), _z("2025-10-26T01:00")),
        (_z("2025-10-26T01:30"), _z("2025-10-26T04:00")),
    ]
    assert _minutes(got) == 180


SPEC_BERLIN = {
    "timezone": "Europe/Berlin",
    "mon": ["09:00-12:30", "13:30-18:00"],
    "tue": ["09:00-17:00"],
    "wed": ["02:15-02:45", "09:00-17:00"],
    "fri": ["09:00-15:00"],
    "sun": ["01:00-05:00", "09:00-24:00"],
    "holidays": ["2025-03-21"],
    "holiday_country": "DE",
    "holiday_subdivision": "BE",
    "changes": [{"valid_from": "2025-10-20", "mon": ["08:00-16:00"], "sun": ["02:30-03:30"]}],
}
SPEC_NEW_YORK = {
    "timezone": "America/New_York",
    "mon": ["08:00-20:00"],
    "sat": ["00:00-24:00"],
    "sun": ["00:30-01:15", "01:30-02:30", "09:00-17:00"],
    "holiday_country": "US",
}


def _product_schedule(spec: dict) -> Schedule:
    settings = load_settings(business_hours=spec)
    assert settings.business_hours is not None
    versions = [
        Version(
            start,
            zone,
            {
                weekday: [(o, c) for w, o, c in hours.intervals() if w == weekday]
                for weekday in range(1, 8)
            },
        )
        for start, zone, hours in settings.business_hours.versions()
    ]
    return Schedule(
        "default",
        versions,
        frozenset(settings.business_hours.holidays),
        settings.business_hours.holiday_country,
        settings.business_hours.holiday_subdivision,
    )


# weeks around both DST changes of both zones, Good Friday / Easter Monday (DE-BE),
# 2025-03-21 (listed), German Unity Day, the change of hours of 2025-10-20, Thanksgiving
WEEKS = (
    "2025-03-06",
    "2025-03-18",
    "2025-03-27",
    "2025-04-16",
    "2025-10-01",
    "2025-10-17",
    "2025-10-23",
    "2025-10-30",
    "2025-11-24",
)


@pytest.mark.parametrize("spec", [SPEC_BERLIN, SPEC_NEW_YORK], ids=["berlin", "new_york"])
def test_weeks_of_2025_equal_the_naive_clock_minute_by_minute(spec: dict) -> None:
    """Every minute of those weeks (DST changes, holidays, the change of hours, intervals
    inside the changed hour, 24:00 closings) is open in the intervals iff the naive clock
    says so."""
    intervals = open_intervals(_product_schedule(spec), date(2024, 12, 31), date(2026, 1, 1))
    naive = NaiveSchedule(spec)
    open_minutes = 0
    for week in WEEKS:
        start = _z(f"{week}T00:00")
        count = 7 * 1440
        from_intervals = bytearray(count)
        for begin, end in intervals:
            first = max(0, int((begin - start).total_seconds() // 60))
            last = min(count, int((end - start).total_seconds() // 60))
            for index in range(first, last):
                from_intervals[index] = 1
        mismatched = [
            start + timedelta(minutes=index)
            for index in range(count)
            if bool(from_intervals[index]) != naive.is_open(start + timedelta(minutes=index))
        ]
        assert mismatched == [], week
        open_minutes += sum(from_intervals)
    assert open_minutes > 9 * 1000  # the weeks are not trivially closed


def _load(
    tmp_path: Path, business_hours: dict | None, days: list[str]
) -> duckdb.DuckDBPyConnection:
    settings = load_settings(
        db_path=tmp_path / "backlog.duckdb", out_dir=tmp_path / "out", business_hours=business_hours
    )
    con = warehouse.connect(settings)
    root = tmp_path / "exports"
    for day in days:
        write_tickets(root, day, [tk(f"T{day}", f"{day}T10:00:00Z", None, "open")])
    load_exports(con, root)
    models.build_models(con)
    return con


def _built(con: duckdb.DuckDBPyConnection) -> tuple:
    return con.execute(
        "select covers_from, covers_to, (select count(*) from ops.business_intervals) "
        "from ops.business_intervals_built"
    ).fetchone()


def test_intervals_cover_whole_years_and_widen_with_the_loaded_range(tmp_path: Path) -> None:
    hours = {"timezone": "Europe/Berlin", "mon": ["09:00-17:00"]}
    con = _load(tmp_path, hours, ["2025-12-29"])
    # the loaded year's local dates from the day before it, to the end of the next year
    first = _built(con)
    assert first[:2] == (date(2024, 12, 31), date(2026, 12, 31))
    con.close()
    # a ticket of 2024 widens the range back a year; an export of 2026 forward a year
    settings = load_settings(
        db_path=tmp_path / "backlog.duckdb", out_dir=tmp_path / "out", business_hours=hours
    )
    con = warehouse.connect(settings)
    root = tmp_path / "more"
    write_tickets(
        root, "2026-01-05", [tk("OLD", "2024-12-30T10:00:00Z", "2026-01-05T10:00:00Z", "open")]
    )
    load_exports(con, root)
    models.build_models(con)
    assert _built(con)[:2] == (date(2023, 12, 31), date(2027, 12, 31))
    # one interval per Monday from 2024-01-01 to 2027-12-27 (no holidays): 2024 has 53
    # Mondays (Jan 1 .. Dec 30), 2025, 2026 and 2027 52 each: 53 + 52 + 52 + 52 = 209
    assert _built(con)[2] == 209
    con.close()


def test_no_schedule_leaves_no_intervals_and_null_business_clocks(tmp_path: Path) -> None:
    con = _load(tmp_path, None, ["2025-06-02"])
    assert con.execute("select count(*) from ops.business_intervals").fetchone() == (0,)
    assert con.execute(
        "select business_schedule, first_resolution_business_minutes from marts.fct_ticket_metrics"
    ).fetchall() == [(None, None)]
    con.close()
