"""The same-issue recontact and SLA alerts: crossed above their thresholds, not at them."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest

from tasks.config import load_settings
from tasks.reports.alerts import alerts_for_day
from tests.support.digests import alert_marts, quiet_digest


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect() as connection:
        alert_marts(connection)
        yield connection


def named(alerts: list[dict], name: str) -> list[dict]:
    return [a for a in alerts if a["name"] == name]


def test_same_issue_recontact_alerts_above_ten_percent(tmp_path, con):
    settings = load_settings(db_path=tmp_path / "b.duckdb")
    base = quiet_digest()["rates"]
    # 21 of 200 = 10.5% > 10% -> alert; 20 of 200 = 10% exactly -> none
    crossed = {**base, "same_issue_recontact_rate_7d": 21 / 200, "same_issue_recontacted": 21}
    crossed["recontact_cohort"] = 200
    [alert] = named(
        alerts_for_day(con, quiet_digest(rates=crossed), settings), "same_issue_recontact_rate"
    )
    assert (alert["value"], alert["threshold"]) == (21 / 200, 0.10)
    assert alert["message"].startswith("Recontact (same issue) 10%: 21 of 200 solved tickets")
    at = {**crossed, "same_issue_recontact_rate_7d": 20 / 200, "same_issue_recontacted": 20}
    assert (
        named(alerts_for_day(con, quiet_digest(rates=at), settings), "same_issue_recontact_rate")
        == []
    )
    # the threshold is a setting: 5% makes 20 of 200 an alert
    stricter = load_settings(
        db_path=tmp_path / "b.duckdb", alerts={"same_issue_recontact_rate": 0.05}
    )
    assert named(alerts_for_day(con, quiet_digest(rates=at), stricter), "same_issue_recontact_rate")


def test_sla_alert_on_the_share_of_the_backlog_past_target(tmp_path, con):
    settings = load_settings(db_path=tmp_path / "b.duckdb")
    backlog = {**quiet_digest()["backlog"], "open_total": 80}
    # 21 of 80 = 26.25% > 25% -> alert; 20 of 80 = 25% exactly -> none
    digest = quiet_digest(backlog=backlog, sla={"breached_open": 21, "at_risk_open": 3})
    [alert] = named(alerts_for_day(con, digest, settings), "sla_breached")
    assert (alert["value"], alert["threshold"]) == (21 / 80, 0.25)
    assert alert["message"] == (
        "26% of the backlog is past its SLA target (21 of 80 tickets; above 25%)."
    )
    digest = quiet_digest(backlog=backlog, sla={"breached_open": 20, "at_risk_open": 3})
    assert named(alerts_for_day(con, digest, settings), "sla_breached") == []
    empty = quiet_digest(
        backlog={**backlog, "open_total": 0}, sla={"breached_open": 0, "at_risk_open": 0}
    )
    assert named(alerts_for_day(con, empty, settings), "sla_breached") == []


def test_a_reopen_hot_spot_is_flagged_only_from_three_reopens():
    from datetime import date

    from tasks.render.charts import Hotspot
    from tasks.reports.period import Span
    from tasks.reports.review_drivers import hotspots

    monday = date(2026, 10, 19)
    span = Span(monday, monday, date(2026, 10, 25))
    spots = [
        Hotspot("integration", 5, 1),  # 1 / 5 = 20% > 15%, but one reopen: not flagged
        Hotspot("refund", 12, 3),  # 3 / 12 = 25% > 15% with 3 reopens: flagged
        Hotspot("known-issue", 3, 3),  # 3 / 3 = 100%, but 3 solved (< 5): not flagged
        Hotspot("billing", 40, 4),  # 4 / 40 = 10% <= 15%: not flagged
    ]
    rows = {r["driver"]: r for r in hotspots(spots, span, 0.15)["rows"]}
    assert {d for d, r in rows.items() if r["flagged"]} == {"refund"}
    assert rows["integration"]["above_warning"]
    assert rows["known-issue"]["small_sample"]


def test_thresholds_read_as_written_in_the_config(tmp_path):
    """24 and 5 in backlog.toml read "24 h" and "5 days", not "24.0 h" / "5.0 days"."""
    with duckdb.connect() as con:
        alert_marts(con, oldest_unreplied_hours=80.0)
        # 14 days of history: the days-of-work alert waits for 7, the reopen alert for 14
        flow = {**quiet_digest()["flow"], "history_days": 14}
        digest = quiet_digest(
            flow=flow, backlog_days=7.2, rates={**quiet_digest()["rates"], "reopen_rate_7d": 0.2}
        )
        (tmp_path / "backlog.toml").write_text(
            "[alerts]\noldest_unreplied_hours = 24\nbacklog_days = 5\n"
        )
        written = load_settings(tmp_path / "backlog.toml", db_path=tmp_path / "b.duckdb")
        alerts = alerts_for_day(con, digest, written)
        [oldest] = named(alerts, "oldest_unreplied")
        assert oldest["message"] == (
            "The oldest unreplied ticket has waited 3.3 days (above 24 h)."  # 80 h / 24
        )
        [level] = named(alerts, "backlog_days")
        assert level["message"] == "The backlog is 7.2 days of work (above 5 days)."
        [reopen] = named(alerts, "reopen_rate")
        assert reopen["message"].endswith("is above 15%: solutions are not sticking.")
        # 2.5 h stays 2.5 h; a share written 0.155 reads 15.5% (not rounded to 16%)
        finer = load_settings(
            db_path=tmp_path / "b.duckdb",
            alerts={"oldest_unreplied_hours": 2.5, "reopen_rate": 0.155},
        )
        alerts = alerts_for_day(con, digest, finer)
        assert named(alerts, "oldest_unreplied")[0]["message"].endswith("(above 2.5 h).")
        assert "is above 15.5%:" in named(alerts, "reopen_rate")[0]["message"]


def test_data_quality_alert_ends_each_check_once(tmp_path, con):
    """A check that is a whole sentence (the history-gap warning) is not followed by a
    second full stop; with `history_gaps` the gap is said from the field, once."""
    from datetime import date

    from tasks.quality import gap_sentence

    settings = load_settings(db_path=tmp_path / "b.duckdb")
    day = date.fromisoformat(quiet_digest()["date"])
    gaps = [date(2026, 2, 26), date(2026, 3, 1)]
    quality = {
        **quiet_digest()["data_quality"],
        "status": "warn",
        "rows_quarantined": 0,
        "checks_failed": [gap_sentence(day, gaps)],
        "history_gaps": [d.isoformat() for d in gaps],
    }

    def message(data_quality: dict) -> str:
        digest = quiet_digest(data_quality=data_quality)
        [alert] = named(alerts_for_day(con, digest, settings), "data_quality")
        return alert["message"]

    assert message(quality) == (
        "Data quality is WARN: the history has a gap (no complete export for 2026-02-26, "
        "2026-03-01). Today's export loaded in full, but the 7-day averages and rates miss "
        "those days, and the backlog counts tickets that changed on those days, and not "
        "since, as they stood before them."
    )
    # rows quarantined as well: today's numbers may be incomplete, and the gap is named once
    assert message({**quality, "rows_quarantined": 2}) == (
        "Data quality is WARN: 2 rows quarantined. Today's numbers may be incomplete; the "
        "history also has a gap (no complete export for 2026-02-26, 2026-03-01), which the "
        "7-day averages and rates miss."
    )
    # a digest written before `history_gaps` existed: the sentence is a check like any other
    del quality["history_gaps"]
    old = message(quality)
    assert ".." not in old
    assert "to complete the history. Today's numbers may be incomplete." in old
