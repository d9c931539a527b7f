"""Each mart against the two-day hand-written fixture: input rows -> expected rows.

The fixture (tests/fixtures/canonical/small) after quarantine holds, in UTC:
T1 high, login+sso, events: created 03-02 09:00 (new), end-user comment 09:00,
   auto-acknowledgement 09:05, agent reply 09:20, new -> open 10:00.
T2 normal (no priority), billing, snapshots: created 10:00 (11:00+01:00), solved
   13:00 (solved_at, 14:00+01), seen open on 03-03 08:00 (a reopen).
T3 urgent, refund: created 12:00 (naive = UTC), pending 12:30.
T8 normal, no tags: created 16:00, open 17:00.
T9 low, refund, requester r2 (as T2): created 03-03 11:00, new.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tasks import models, warehouse
from tasks.config import load_settings
from tests.support.loading import load_exports

D1, D2 = date(2026, 3, 2), date(2026, 3, 3)


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    from tests.support.paths import FIXTURES

    tmp = tmp_path_factory.mktemp("marts")
    root = FIXTURES / "canonical" / "small"
    connection = warehouse.connect(load_settings(db_path=tmp / "b.duckdb"))
    load_exports(connection, root)
    models.build_models(connection)
    yield connection
    connection.close()


def rows(con, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def test_int_ticket_status_history(con):
    assert rows(
        con,
        "select ticket_id, changed_at, from_status, to_status, source "
        "from intermediate.int_ticket_status_history order by ticket_id, status_seq",
    ) == [
        ("T1", at(2, 9), None, "new", "creation"),
        ("T1", at(2, 10), "new", "open", "events"),
        ("T2", at(2, 10), None, "new", "creation"),
        ("T2", at(2, 13), "new", "solved", "snapshots"),
        ("T2", at(3, 8), "solved", "open", "snapshots"),
        ("T3", at(2, 12), None, "new", "creation"),
        ("T3", at(2, 12, 30), "new", "pending", "snapshots"),
        ("T8", at(2, 16), None, "new", "creation"),
        ("T8", at(2, 17), "new", "open", "snapshots"),
        ("T9", at(3, 11), None, "new", "creation"),
    ]


def test_fct_daily_flow(con):
    assert rows(
        con,
        "select report_date, inflow, outflow, reopened, net, backlog, backlog_new, backlog_open, "
        "backlog_pending, backlog_hold, change_1d, change_7d, inflow_7d, outflow_7d, "
        "reopened_7d, history_days, inflow_above_outflow_since, days_to_drain, "
        "projected_backlog_14d, backlog_days from marts.fct_daily_flow order by report_date",
    ) == [
        # backlog 3 = T1, T3, T8; 1 day of history: projected 3 + 14 * (4 - 1) / 1 = 45;
        # water 3 / (1/1) = 3
        (D1, 4, 1, 0, 3, 3, 0, 2, 1, 0, 3, 3, 4, 1, 0, 1, D1, None, 45, 3.0),
        # + T9 (new) + T2 reopened; 2 days: projected 5 + 14 * (5 + 1 - 1) / 2 = 40;
        # water 5 / (1/2) = 10
        (D2, 1, 0, 1, 2, 5, 1, 3, 1, 0, 2, 5, 5, 1, 1, 2, D1, None, 40, 10.0),
    ]


def test_fct_ticket_metrics(con):
    assert rows(
        con,
        "select ticket_id, current_status, first_reply_minutes, ttfmr_minutes, "
        "first_resolution_hours, full_resolution_hours, reopen_count, "
        "is_reopened_within_7d, is_recontacted_within_7d, priority, tags "
        "from marts.fct_ticket_metrics order by ticket_id",
    ) == [
        # the 09:05 auto-acknowledgement is a first reply, not a meaningful one
        ("T1", "open", 5.0, 20.0, None, None, 0, False, False, "high", ["login", "sso"]),
        # T9 by the same requester 22 h after T2's first solve: a recontact
        ("T2", "open", None, None, 3.0, None, 1, True, True, "normal", ["billing"]),
        ("T3", "pending", None, None, None, None, 0, False, False, "urgent", ["refund"]),
        ("T8", "open", None, None, None, None, 0, False, False, "normal", []),
        ("T9", "new", None, None, None, None, 0, False, False, "low", ["refund"]),
    ]


def test_fct_open_tickets_as_of_day_two(con):
    assert rows(
        con,
        "select ticket_id, status, age_days, age_bucket, is_unreplied, "
        "is_first_reply_breached, is_resolution_breached, is_sla_at_risk "
        f"from marts.fct_open_tickets where report_date = '{D2}' order by ticket_id",
    ) == [
        # as of 03-04 00:00: T1 replied in 5 min (< 30), but 39 h open (> 24 h)
        ("T1", "open", 39 / 24, "1-3d", False, False, True, False),
        ("T2", "open", 38 / 24, "1-3d", True, True, False, False),
        ("T3", "pending", 36 / 24, "1-3d", True, True, True, False),  # urgent: 2 h to resolve
        ("T8", "open", 32 / 24, "1-3d", True, True, False, False),
        # low: 13 h of a 24 h first-reply target = 0.54, under 0.75
        ("T9", "new", 13 / 24, "0-1d", True, False, False, False),
    ]


def test_fct_daily_backlog_health(con):
    assert rows(
        con,
        "select report_date, aged_0_1d, aged_1_3d, oldest_ticket_id, unreplied_open, "
        "sla_breached_open, sla_at_risk_open from marts.fct_daily_backlog_health "
        "order by report_date",
    ) == [
        # as of 03-03 00:00: T1 15 h (replied), T3 12 h (urgent, unreplied: breached),
        # T8 8 h (unreplied 480 min > 240: breached)
        (D1, 3, 0, "T1", 2, 2, 0),
        (D2, 1, 4, "T1", 4, 4, 0),
    ]


def test_fct_drivers_daily(con):
    assert rows(
        con,
        "select driver, tickets_7d, baseline_weekly, share_7d, growth, is_spike "
        f"from marts.fct_drivers_daily where report_date = '{D2}' order by driver",
    ) == [
        ("billing", 1, 0.0, 0.2, None, False),
        ("login", 1, 0.0, 0.2, None, False),
        ("refund", 2, 0.0, 0.4, None, False),
        ("sso", 1, 0.0, 0.2, None, False),
    ]
