"""Materialise each business-hours schedule's open intervals in UTC (`ops.business_intervals`).

Built in Python from the `config.business_*` tables (weekly wall-clock hours, versions,
holidays) for whole years around the loaded range, so the SQL models count business time
as the overlap of [start, end) with these rows, never by looping. An interval is the set
of instants whose local wall-clock time, on that local date, lies in [opens, closes): on a
DST day a 09:00-17:00 day is 8 real hours, and an interval that spans the changed hour
counts the real elapsed time (01:00-05:00 is 3 h on the spring change, 5 h in autumn).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import duckdb

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class Version:
    """One version of a schedule: its zone and (ISO weekday -> wall intervals in minutes)."""

    valid_from: date
    timezone: str
    hours: dict[int, list[tuple[int, int]]] = field(default_factory=dict)


@dataclass(frozen=True)
class Schedule:
    """A schedule's versions (oldest first), holiday dates and holiday country."""

    name: str
    versions: list[Version]
    holidays: frozenset[date] = frozenset()
    holiday_country: str | None = None
    holiday_subdivision: str | None = None

    def closed_days(self, first: date, last: date) -> set[date]:
        """The listed holidays plus the country's (and subdivision's) in these years."""
        days = set(self.holidays)
        if self.holiday_country:
            import holidays  # only a schedule with a country needs the package

            years = range(first.year, last.year + 1)
            days |= set(
                holidays.country_holidays(
                    self.holiday_country, subdiv=self.holiday_subdivision, years=years
                )
            )
        return days


def open_intervals(schedule: Schedule, first: date, last: date) -> list[Interval]:
    """The schedule's open intervals in UTC for the local dates first..last, in order."""
    closed = schedule.closed_days(first, last)
    found: list[Interval] = []
    versions = schedule.versions
    index = 0
    day = first
    while day <= last:
        while index + 1 < len(versions) and versions[index + 1].valid_from <= day:
            index += 1
        version = versions[index]
        if version.valid_from <= day and day not in closed:
            zone = ZoneInfo(version.timezone)
            for opens, closes in version.hours.get(day.isoweekday(), []):
                found.extend(wall_interval(day, opens, closes, zone))
        day += timedelta(days=1)
    return found


def wall_interval(day: date, opens: int, closes: int, zone: ZoneInfo) -> list[Interval]:
    """The UTC instants whose wall-clock time in `zone` lies in [day+opens, day+closes).

    The offset is constant on each side of a DST change; on each side the wall interval
    shifted by that offset, cut to that side, is open. Touching pieces are joined; an
    autumn interval that opens inside the repeated hour gives two pieces.
    """
    midnight = datetime.combine(day, time(), tzinfo=UTC)
    wall_start = midnight + timedelta(minutes=opens)
    wall_end = midnight + timedelta(minutes=closes)
    pieces = []
    for seg_start, seg_end, offset in _segments(
        wall_start - timedelta(hours=15), wall_end + timedelta(hours=15), zone
    ):
        start = max(wall_start - offset, seg_start)
        end = min(wall_end - offset, seg_end)
        if start < end:
            pieces.append((start, end))
    joined: list[Interval] = []
    for start, end in sorted(pieces):
        if joined and joined[-1][1] >= start:
            joined[-1] = (joined[-1][0], max(joined[-1][1], end))
        else:
            joined.append((start, end))
    return joined


def _segments(
    start: datetime, end: datetime, zone: ZoneInfo
) -> list[tuple[datetime, datetime, timedelta]]:
    """[start, end) cut where the zone's UTC offset changes (at most once in 2 days)."""
    first, last = _offset(start, zone), _offset(end, zone)
    if first == last:
        return [(start, end, first)]
    low, high = start, end
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        middle = middle.replace(microsecond=0)
        if _offset(middle, zone) == first:
            low = middle
        else:
            high = middle
    return [(start, high, first), (high, end, last)]


def _offset(instant: datetime, zone: ZoneInfo) -> timedelta:
    offset = instant.astimezone(zone).utcoffset()
    return offset if offset is not None else timedelta(0)


def read_schedules(con: duckdb.DuckDBPyConnection) -> list[Schedule]:
    """The schedules of the `config.business_*` tables; none without [business_hours]."""
    versions = con.execute(
        "select schedule_name, valid_from, timezone, holiday_country, holiday_subdivision "
        "from config.business_schedule_versions order by schedule_name, valid_from"
    ).fetchall()
    hours: dict[tuple[str, date], dict[int, list[tuple[int, int]]]] = {}
    for name, valid_from, weekday, opens, closes in con.execute(
        "select schedule_name, valid_from, iso_weekday, opens_minute, closes_minute "
        "from config.business_weekly_hours order by all"
    ).fetchall():
        hours.setdefault((name, valid_from), {}).setdefault(weekday, []).append((opens, closes))
    holidays: dict[str, set[date]] = {}
    for name, day in con.execute(
        "select schedule_name, holiday_date from config.business_holidays"
    ).fetchall():
        holidays.setdefault(name, set()).add(day)
    schedules: dict[str, Schedule] = {}
    for name, valid_from, zone, country, subdivision in versions:
        version = Version(valid_from, zone, hours.get((name, valid_from), {}))
        if name not in schedules:
            schedules[name] = Schedule(
                name, [], frozenset(holidays.get(name, set())), country, subdivision
            )
        schedules[name].versions.append(version)
    return list(schedules.values())


def ensure_open_intervals(con: duckdb.DuckDBPyConnection) -> bool:
    """Bring `ops.business_intervals` up to date in the caller's transaction; True if rebuilt.

    It covers whole years, from the year of the earliest loaded ticket or export to the
    year after the latest, so a day's run rebuilds it only when the range crosses into a
    new year or a schedule changed (a hash of the config rows and the package version).
    """
    schedules = read_schedules(con)
    fingerprint = _fingerprint(con)
    built = con.execute(
        "select fingerprint, covers_from, covers_to from ops.business_intervals_built"
    ).fetchone()
    if not schedules:
        if built is not None:
            con.execute("delete from ops.business_intervals")
            con.execute("delete from ops.business_intervals_built")
        return built is not None
    first, last = con.execute(
        "select least((select min(created_at) from staging.stg_ticket_versions)::date, "
        "(select min(export_date) from ops.loads)), "
        "greatest((select max(export_date) from ops.loads), "
        "(select max(occurred_at) from staging.stg_events)::date, "
        "(select max(updated_at) from staging.stg_ticket_versions)::date)"
    ).fetchone()
    if first is None or last is None:
        return False
    covers_from, covers_to = date(first.year - 1, 12, 31), date(last.year + 1, 12, 31)
    if built is not None and built[0] == fingerprint:
        if built[1] <= covers_from and built[2] >= covers_to:
            return False
        covers_from, covers_to = min(built[1], covers_from), max(built[2], covers_to)
    names, opens, closes = [], [], []
    for schedule in schedules:
        for start, end in open_intervals(schedule, covers_from, covers_to):
            names.append(schedule.name)
            opens.append(start)
            closes.append(end)
    con.execute("delete from ops.business_intervals")
    con.execute(
        "insert into ops.business_intervals "
        "select unnest($names), unnest($opens::timestamptz[]), unnest($closes::timestamptz[])",
        {"names": names, "opens": opens, "closes": closes},
    )
    con.execute("delete from ops.business_intervals_built")
    con.execute(
        "insert into ops.business_intervals_built values ($fingerprint, $start, $end)",
        {"fingerprint": fingerprint, "start": covers_from, "end": covers_to},
    )
    return True


def _fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    """A hash of every config.business_* row that shapes the intervals."""
    digest = hashlib.sha256()
    for table in ("business_schedule_versions", "business_weekly_hours", "business_holidays"):
        rows = con.execute(f"select * from config.{table} order by all").fetchall()
        digest.update(f"{table}\n{json.dumps(rows, default=str)}\n".encode())
    return digest.hexdigest()
