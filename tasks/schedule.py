"""Which days a scheduled morning digest covers: the daily cron read as data for the models.

A morning run reports on yesterday (in the report time zone). When the previous scheduled
morning is more than a day earlier (Monday after a weekday-only schedule), the digest also
covers the days since the previous digest's day. The cron is read with `cronsim`, the
parser Prefect's own dependencies bring, never by hand.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from cronsim import CronSim, CronSimError

from tasks.errors import BacklogError

# any Monday: the schedule repeats weekly, so one week of report days says it all
REFERENCE_MONDAY = date(2024, 1, 8)


def days_covered_by_weekday(cron: str) -> dict[int, int]:
    """For each ISO weekday of a report day D (1 = Monday), the days D's digest covers:
    D minus the report day of the previous scheduled morning (1 on an ordinary day).

    Empty when the cron is not weekly (it names days of the month, months, `L` or `#`):
    no day then covers a period. A cron that runs every day gives 1 for every weekday.
    """
    parts = cron.split()
    if len(parts) not in (5, 6):
        raise _bad(cron, "it needs 5 fields (minute hour day-of-month month day-of-week)")
    day_of_month, month, day_of_week = parts[-3:]
    if day_of_month != "*" or month != "*" or any(c in day_of_week.upper() for c in "L#"):
        return {}
    covered = {}
    for offset in range(7):
        day = REFERENCE_MONDAY + timedelta(days=offset)
        previous = previous_report_day(cron, day)
        if previous is not None:
            covered[day.isoweekday()] = (day - previous).days
    return covered


def previous_report_day(cron: str, day: date) -> date | None:
    """The report day of the last scheduled morning before day D's own morning (D + 1),
    within the 7 days before it; None when the cron does not run in that week."""
    before = datetime.combine(day + timedelta(days=1), time(0)) - timedelta(seconds=1)
    try:
        fired = next(CronSim(cron, before, reverse=True))
    except (CronSimError, ValueError) as exc:
        raise _bad(cron, str(exc)) from exc
    except StopIteration:
        return None
    previous = fired.date() - timedelta(days=1)
    return previous if (day - previous).days <= 7 else None


def _bad(cron: str, why: str) -> BacklogError:
    return BacklogError(
        f"[schedule] daily_cron = {cron!r} is not a cron expression ({why}); "
        'write it as, e.g., "30 6 * * 1-5" (06:30 on weekdays, in report_timezone).'
    )
