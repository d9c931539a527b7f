"""The mart readers behind the charts and the review's tables, and the flow chart from them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import duckdb

from tasks.render import charts


def flow_series(con: duckdb.DuckDBPyConnection, start: date, end: date) -> list[charts.FlowDay]:
    """The daily flow rows of `start..end` that the marts hold."""
    rows = con.execute(
        """
        select
            report_date, inflow, outflow, reopened, backlog,
            inflow_7d_avg, outflow_7d_avg, reopened_7d_avg, is_inflow_above_outflow
        from marts.fct_daily_flow
        where report_date between ? and ?
        order by report_date
        """,
        [start, end],
    ).fetchall()
    return [charts.FlowDay(*row) for row in rows]


def aging_counts(con: duckdb.DuckDBPyConnection, day: date) -> dict[str, int] | None:
    """Backlog tickets per age bucket at the end of `day`; None when the mart has no row."""
    row = con.execute(
        f"select {', '.join(charts.AGE_COLUMNS)} from marts.fct_daily_backlog_health "
        "where report_date = ?",
        [day],
    ).fetchone()
    return None if row is None else dict(zip(charts.AGE_BUCKETS, map(int, row), strict=True))


def driver_weekly_counts(
    con: duckdb.DuckDBPyConnection, drivers: Sequence[str], week_ends: Sequence[date]
) -> dict[str, list[int | None]]:
    """Tickets created in the 7 days ending on each day of `week_ends`, per driver.

    The figure is `tickets_7d` of `marts.fct_drivers_daily`; a driver without a row on a
    day the marts cover had no tickets (0); a day the marts do not cover is None.
    """
    if not drivers or not week_ends:
        return {driver: [None] * len(week_ends) for driver in drivers}
    covered = {
        row[0]
        for row in con.execute(
            "select report_date from marts.fct_daily_flow where report_date in "
            "(select unnest(?::date[]))",
            [list(week_ends)],
        ).fetchall()
    }
    found = {
        (driver, day): int(count)
        for driver, day, count in con.execute(
            """
            select driver, report_date, tickets_7d
            from marts.fct_drivers_daily
            where driver in (select unnest(?::varchar[]))
                and report_date in (select unnest(?::date[]))
            """,
            [list(drivers), list(week_ends)],
        ).fetchall()
    }
    return {
        driver: [found.get((driver, day), 0) if day in covered else None for day in week_ends]
        for driver in drivers
    }


def reopen_hotspots(con: duckdb.DuckDBPyConnection, week_start: date) -> list[charts.Hotspot]:
    """Per driver: tickets first solved in the ISO week of `week_start`, and reopens within 7 days.

    From `marts.fct_reopen_hotspots` (the week's loaded days; a ticket with two drivers
    counts for both). Sorted by reopen share, then count, then name; drivers with fewer
    than `charts.HOTSPOT_MIN_SOLVED` solved tickets last.
    """
    rows = con.execute(
        """
        select driver, solved_tickets, reopened_tickets
        from marts.fct_reopen_hotspots
        where week_start = ?
        """,
        [week_start],
    ).fetchall()
    spots = [
        charts.Hotspot(driver, int(solved), int(reopened)) for driver, solved, reopened in rows
    ]
    return sorted(
        spots,
        key=lambda s: (s.solved < charts.HOTSPOT_MIN_SOLVED, -s.share, -s.reopened, s.driver),
    )


def inflow_heatmap(con: duckdb.DuckDBPyConnection, start: date, end: date) -> list[list[int]]:
    """Tickets created in `start..end` per weekday (rows Monday..Sunday) and hour (0..23).

    From `marts.fct_inflow_by_hour` (report time zone), whose `weekday` is DuckDB's
    `dayofweek` (0 = Sunday).
    """
    cells = [[0] * 24 for _ in charts.WEEKDAYS]
    for weekday, hour, count in con.execute(
        """
        select weekday, hour_of_day, sum(tickets_created)
        from marts.fct_inflow_by_hour
        where report_date between ? and ?
        group by all
        """,
        [start, end],
    ).fetchall():
        cells[(int(weekday) + 6) % 7][int(hour)] = int(count)
    return cells


def effort_distribution(
    con: duckdb.DuckDBPyConnection, start: date, end: date
) -> dict[str, dict[int, int]]:
    """Tickets last solved in `start..end` per number of exchanges and of handoffs.

    From `marts.fct_ticket_effort`; keys are the counts seen, values the tickets.
    """
    out: dict[str, dict[int, int]] = {"exchanges": {}, "handoffs": {}}
    for measure in out:
        rows = con.execute(
            f"""
            select {measure}, count(*)
            from marts.fct_ticket_effort
            where last_solved_date between ? and ?
            group by all
            order by 1
            """,
            [start, end],
        ).fetchall()
        out[measure] = {int(value): int(count) for value, count in rows}
    return out


def automation_candidates(
    con: duckdb.DuckDBPyConnection, day: date
) -> list[charts.AutomationCandidate]:
    """`marts.fct_automation_candidates` on `day`, most automatable tickets first.

    The one reader of that mart: the review's chart and the digest's coaching list. Ties on
    automatable tickets go to the higher share (the better candidate), then the name.
    """
    rows = con.execute(
        """
        select driver, solved_tickets, automatable_tickets
        from marts.fct_automation_candidates
        where report_date = ?
        order by automatable_tickets desc, automatable_share desc, driver
        """,
        [day],
    ).fetchall()
    return [charts.AutomationCandidate(driver, int(s), int(a)) for driver, s, a in rows]


def flow_chart_png(
    con: duckdb.DuckDBPyConnection,
    end_day: date,
    days: int = 56,
    highlight: tuple[date, date] | None = None,
) -> bytes:
    """The flow chart of the `days` days ending on `end_day`, read from `marts.fct_daily_flow`.

    The Slack digest's chart (28 days) and the review's (up to 56, its week highlighted).
    """
    rows = flow_series(con, end_day - timedelta(days=days - 1), end_day)
    return charts.flow_chart_png(rows, end_day, days=days, highlight=highlight)
