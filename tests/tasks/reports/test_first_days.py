"""A new team's first days: no spike without a baseline, no rate alert on a few tickets,
and the drivers list knows what it leaves out."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import duckdb
import pytest

from tasks.config import load_settings
from tasks.reports.alerts import alerts_for_day
from tasks.reports.digest import drivers_for_day, drivers_not_listed
from tasks.reports.review_drivers import driver_rows
from tests.support.digests import alert_marts, quiet_digest

DAY = date(2026, 3, 3)

# driver, tickets_7d, baseline_weekly, is_spike, is_baseline_complete (on DAY)
DRIVERS = [
    ("bug", 41, 3.5, True, False),
    ("billing", 39, 3.0, True, False),
    ("login", 34, 0.75, True, False),
    ("how-to", 31, 1.5, True, False),
    ("shipping", 25, 1.25, True, False),
    ("vip", 24, 2.0, True, False),
    ("mobile", 15, 0.75, True, False),
    ("refund", 12, 1.5, True, False),
    ("api", 0, 2.0, False, False),  # no ticket this week: not a driver of the list
]


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect() as connection:
        alert_marts(connection)
        connection.execute(
            "create table marts.fct_drivers_daily (report_date date, driver varchar, "
            "tickets_7d bigint, baseline_weekly double, share_7d double, growth double, "
            "is_spike boolean, is_baseline_complete boolean)"
        )
        yield connection


def load(con: duckdb.DuckDBPyConnection, rows: list[tuple], complete: bool) -> None:
    """The drivers of DAY, their baseline complete or not (growth = tickets / baseline)."""
    con.execute("delete from marts.fct_drivers_daily")
    for driver, tickets, base, spike, _ in rows:
        con.execute(
            "insert into marts.fct_drivers_daily values (?, ?, ?, ?, ?, ?, ?, ?)",
            [DAY, driver, tickets, base, tickets / 170, tickets / base, spike, complete],
        )


def test_no_spike_before_the_baseline_is_complete(con):
    """Day 1: all 8 drivers with tickets "spike" by the formula against a baseline of the
    few tickets the first export shows; none is a spike, the top 5 are listed and the 3
    others (vip 24, mobile 15, refund 12) are counted, the largest 24."""
    load(con, DRIVERS, complete=False)
    listed = drivers_for_day(con, DAY, top_n=5)
    assert [d["driver"] for d in listed] == ["bug", "billing", "login", "how-to", "shipping"]
    assert not any(d["spike"] for d in listed)
    assert not any(d["baseline_complete"] for d in listed)
    assert drivers_not_listed(con, DAY, listed) == {"count": 3, "largest_tickets_7d": 24}
    rows = driver_rows(con, DAY, None)
    assert not any(row["spike"] for row in rows)
    # with a complete baseline the same rows are spikes: all 8 listed, none left out
    load(con, DRIVERS, complete=True)
    listed = drivers_for_day(con, DAY, top_n=5)
    assert len(listed) == 8
    assert all(d["spike"] for d in listed)
    assert drivers_not_listed(con, DAY, listed) == {"count": 0, "largest_tickets_7d": None}
    assert all(row["spike"] for row in driver_rows(con, DAY, None) if row["tickets"])


def test_ties_in_the_list_go_by_name(con):
    """48 and 48: how-to before login; the list is largest first."""
    rows = [
        ("login", 48, 40.0, False, True),
        ("how-to", 48, 40.0, False, True),
        ("billing", 53, 40.0, False, True),
    ]
    load(con, rows, complete=True)
    listed = drivers_for_day(con, DAY, top_n=2)
    assert [d["driver"] for d in listed] == ["billing", "how-to"]
    assert drivers_not_listed(con, DAY, listed) == {"count": 1, "largest_tickets_7d": 48}


def rates(cohort: int, reopened: int, recontacted: int) -> dict:
    """The rates section of a cohort of `cohort` tickets."""
    return {
        "reopen_rate_7d": reopened / cohort,
        "reopen_cohort": cohort,
        "recontact_rate_7d": recontacted / cohort,
        "recontact_cohort": cohort,
        "same_issue_recontact_rate_7d": recontacted / cohort,
        "same_issue_recontacted": recontacted,
    }


def rate_alerts(con, tmp_path, history: int, cohort: int, reopened: int, again: int) -> set:
    """The names of the rate alerts raised on a digest with this history and cohort."""
    flow = {**quiet_digest()["flow"], "history_days": history}
    digest = quiet_digest(flow=flow, rates=rates(cohort, reopened, again))
    settings = load_settings(db_path=tmp_path / "b.duckdb")
    names = {a["name"] for a in alerts_for_day(con, digest, settings)}
    return names & {"reopen_rate", "same_issue_recontact_rate"}


def test_rate_alerts_wait_for_14_days_of_history_and_30_tickets(con, tmp_path):
    """1 of 4 reopened (25% > 15%) and 3 of 23 back (13% > 10%) raise nothing on day 1,
    nor with 14 days and 29 tickets (8 of 29 = 28%, 4 of 29 = 14%); 30 tickets on day 14
    (9 of 30 = 30%, 4 of 30 = 13%) raise both; 30 tickets on day 13 raise none."""
    assert rate_alerts(con, tmp_path, 1, 4, 1, 0) == set()
    assert rate_alerts(con, tmp_path, 1, 23, 0, 3) == set()
    assert rate_alerts(con, tmp_path, 14, 29, 8, 4) == set()
    assert rate_alerts(con, tmp_path, 13, 30, 9, 4) == set()
    both = {"reopen_rate", "same_issue_recontact_rate"}
    assert rate_alerts(con, tmp_path, 14, 30, 9, 4) == both
