"""The data-quality alert says what is true: D's own data, a gap in the history, or both.

The team (every ticket replied 30 minutes after creation): one ticket a day, T0 on 05-01
to T20 on 05-21, each solved at noon the next day. 05-05's export is missing (recorded as
`backlog backfill` records it), so T3's solve on 05-05 is never seen and T4 is first seen
solved on 05-06. 05-02 and 05-09 each carry one row with an unknown status (quarantined,
1 of 3 rows: above the 5% limit).

    day     D's own data                 history gap (14 days before D)
    05-02   1 row quarantined            none (05-01 is the first export)
    05-08   complete                     05-05 (D-3: in the 7-day window)
    05-09   1 row quarantined            05-05 (D-4)
    05-16   complete                     05-05 (D-11: in the rates' cohort D-13..D-7 only)
    05-20   complete                     none (05-05 is D-15), but T3 is still open

A gap does not leave D's figures whole: the exports hold the tickets created or updated
each day, so a ticket solved on the missing day and not updated since stays open in every
later backlog (T3: 2 open at the end of 05-08, T7 and T3, against 1 with 05-05 loaded).
The alert says so, rather than "today's numbers are complete" or "may be incomplete".

Every other alert that reads 05-05 says so in itself, and to load it before acting (read
with alert limits low enough that each fires). Hand-computed, for 05-08 (gap D-3):

- outflow 05-02..05-08: one a day but 05-05 = 6; inflow 7; so the 7-day averages are
  1.0 in vs 6/7 = 0.857 out ("0.9"). 05-01 had no solve (the first day), so inflow has been
  above outflow since 05-01: 8 days.
- open at the end of 05-08: T3 (last version in 05-04's export, before the gap) and T7:
  2 open, 2 / (6/7) = 2.3 days of work. T3 is past its resolution target (normal: 72 h
  from 05-04 09:00); T7 is not: 1 of 2 past SLA (50%). Stale (last changed before 05-05):
  T3 alone, past SLA.

05-12: the window 05-06..05-12 has 7 in and 7 out, so the run has ended; the backlog is
T3 and T11, 2 / 1.0 = 2.0 days of work, and T3 is still stale.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from tasks.quality.checks import record_missing_day
from tasks.render.blocks import build_payload
from tasks.render.markdown import render_markdown
from tasks.reports import digest
from tasks.reports.alerts import alerts_for_day
from tests.support.exports import solved, tk, write_tickets
from tests.support.impls import _load

GAP = date(2024, 5, 5)
DAYS = 21  # T0 on 05-01 to T20 on 05-21
QUARANTINED = (date(2024, 5, 2), date(2024, 5, 9))
OWN = "Today's numbers may be incomplete"


def _own_checks(day: date) -> str:
    """The two failed checks of a day with one quarantined row, as the alert joins them."""
    return (
        f"{day}/tickets.csv: status is not one of new, open, pending, hold, solved, closed, "
        f"deleted (1 row, quarantined); {day}/tickets.csv: 1 of 3 rows quarantined (33.3%), "
        "above the 5% limit"
    )


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The days of the module docstring, without 05-05's folder."""
    root = tmp_path_factory.mktemp("history-gap") / "exports"
    previous = None
    for n in range(DAYS):
        day = date(2024, 5, 1) + timedelta(days=n)
        new = tk(f"T{n}", f"{day}T09:00:00Z", None, "open", first_reply_at=f"{day}T09:30:00Z")
        rows = [new] if previous is None else [new, solved(previous, f"{day}T12:00:00Z")]
        if day in QUARANTINED:
            rows.append(tk(f"Q{n}", f"{day}T10:00:00Z", None, "bogus"))
        if day != GAP:
            write_tickets(root, day.isoformat(), rows)
        previous = new
    return root


@pytest.fixture(scope="module")
def warehouse(exports: Path) -> Iterator[tuple[Any, Any]]:
    """The module's one warehouse (05-05 recorded missing) and its settings."""
    con, settings = _load(exports, "UTC", "UTC")
    with con:
        record_missing_day(con, GAP, str(exports / GAP.isoformat()))
        yield con, settings


@pytest.fixture(scope="module")
def digest_of(warehouse) -> Callable[[date], dict[str, Any]]:
    """The warehouse's digest of a day."""
    con, settings = warehouse
    return lambda day: digest.build_digest(con, day, settings)


def _quality_alert(d: dict[str, Any]) -> str:
    [alert] = [a for a in d["alerts"] if a["name"] == "data_quality"]
    return alert["message"]


def test_quarantined_rows_without_a_gap_say_todays_numbers_may_be_incomplete(digest_of):
    got = digest_of(date(2024, 5, 2))
    assert got["data_quality"]["status"] == "warn"
    assert got["data_quality"]["history_gaps"] == []
    assert _quality_alert(got) == (f"Data quality is WARN: {_own_checks(date(2024, 5, 2))}. {OWN}.")


def test_a_pure_history_gap_names_the_day_and_the_figures_that_miss_it(digest_of):
    got = digest_of(date(2024, 5, 8))
    dq = got["data_quality"]
    assert (dq["status"], dq["rows_quarantined"], dq["history_gaps"]) == (
        "warn",
        0,
        ["2024-05-05"],
    )
    alert = _quality_alert(got)
    assert alert == (
        "Data quality is WARN: the history has a gap (no complete export for 2024-05-05). "
        "Today's export loaded in full, but the 7-day averages and rates miss that day, and "
        "the backlog counts tickets that changed on that day, and not since, as they "
        "stood before it."
    )
    # why the alert does not call today's figures complete: T3, solved on 05-05, is still open
    assert got["backlog"]["open_total"] == 2
    assert [item["ticket_id"] for item in got["work_next"]] == ["T3", "T7"]
    # no rendering says D's own numbers may be incomplete; the Markdown's summary agrees
    markdown, payload = render_markdown(got), build_payload(got)
    for text in (markdown, payload["text"], json.dumps(payload["blocks"])):
        assert OWN not in text
        assert alert in text
    assert (
        "- Data for 2024-05-08 loaded in full (2 rows, none quarantined), but the history "
        "before it has a gap." in markdown
    )


def test_a_gap_before_the_7_day_window_is_missed_by_the_rates_only(digest_of):
    got = digest_of(date(2024, 5, 16))
    assert got["data_quality"]["history_gaps"] == ["2024-05-05"]
    assert _quality_alert(got) == (
        "Data quality is WARN: the history has a gap (no complete export for 2024-05-05). "
        "Today's export loaded in full, but the 7-day rates miss that day, and the backlog "
        "counts tickets that changed on that day, and not since, as they stood before it."
    )


def test_own_problems_and_a_gap_are_said_once_each_in_one_alert(digest_of):
    got = digest_of(date(2024, 5, 9))
    assert got["data_quality"]["history_gaps"] == ["2024-05-05"]
    alert = _quality_alert(got)
    assert alert == (
        f"Data quality is WARN: {_own_checks(date(2024, 5, 9))}. {OWN}; the history also "
        "has a gap (no complete export for 2024-05-05), which the 7-day averages and rates "
        "miss."
    )
    assert ".." not in alert
    assert alert.count("2024-05-05") == 1
    # the gap's full sentence stays in the data-quality section, listed once
    assert render_markdown(got).count("The history before 2024-05-09 has a gap") == 1


def test_a_day_without_problems_has_no_gaps_and_no_alert(digest_of):
    got = digest_of(date(2024, 5, 4))
    assert (got["data_quality"]["status"], got["data_quality"]["history_gaps"]) == ("ok", [])
    assert not [a for a in got["alerts"] if a["name"] == "data_quality"]


# --- every other alert that reads the missing day says so (see the module docstring) ---

LOAD = "load it (`backlog backfill` over it) before acting."
BUT = ", but 2024-05-05 has no complete export, so "


def _low(settings: Any) -> Any:
    limits = {
        "inflow_above_outflow_days": 3,
        "backlog_days": 0.5,
        "sla_breached_share": 0.25,
        "reopen_rate": 0.15,
    }
    return settings.model_copy(update={"alerts": settings.alerts.model_copy(update=limits)})


def _messages(warehouse, day: date, **sections: Any) -> dict[str, str]:
    """The alerts of `day`'s digest (sections replaced by `sections`), under low limits."""
    con, settings = warehouse
    low = _low(settings)
    d = digest.build_digest(con, day, low)
    for key, value in sections.items():
        d[key] = {**d[key], **value} if isinstance(value, dict) else value
    return {a["name"]: a for a in alerts_for_day(con, d, low)}


def test_inflow_above_outflow_over_a_gap_names_it_instead_of_act_now(warehouse):
    alerts = _messages(warehouse, date(2024, 5, 8))
    alert = alerts["inflow_above_outflow"]
    assert alert["message"] == (
        "Inflow has been above outflow for 8 days (since 2024-05-01): 1.0 in + 0.0 reopened "
        f"= 1.0 vs 0.9 out per day{BUT}its solves are not counted: {LOAD}"
    )
    assert "Act now" not in alert["message"]
    assert (alert["value"], alert["gap_days"]) == (8, ["2024-05-05"])


def test_the_backlog_alerts_count_the_open_tickets_last_changed_before_the_gap(warehouse):
    alerts = _messages(warehouse, date(2024, 5, 8))
    assert alerts["sla_breached"]["message"] == (
        "50% of the backlog is past its SLA target (1 of 2 tickets; above 25%)"
        f"{BUT}1 of those tickets (1 past SLA) last changed before it and may have been "
        f"solved on it: {LOAD}"
    )
    assert alerts["backlog_days"]["message"] == (
        f"The backlog is 2.3 days of work (above 0.5 days){BUT}its solves are not counted "
        f"and 1 open ticket, last changed before it, may have been solved on it: {LOAD}"
    )


def test_a_gap_out_of_the_week_still_holds_tickets_in_the_backlog(warehouse):
    alerts = _messages(warehouse, date(2024, 5, 12))
    assert "inflow_above_outflow" not in alerts  # the run ended: 7 in, 7 out
    # the 7-day outflow no longer reads 05-05; T3, open since, still may have been solved
    assert alerts["backlog_days"]["message"] == (
        f"The backlog is 2.0 days of work (above 0.5 days){BUT}1 open ticket, last changed "
        f"before it, may have been solved on it: {LOAD}"
    )
    assert alerts["backlog_days"]["gap_days"] == ["2024-05-05"]


def test_rates_read_the_gap_through_their_cohort_and_spikes_through_their_baseline(warehouse):
    spike = {
        "driver": "billing",
        "spike": True,
        "baseline_complete": True,
        "tickets_7d": 12,
        "baseline_weekly": 3.5,
    }
    rates = {"reopen_rate_7d": 0.2, "reopen_cohort": 40}
    # 05-16: 05-05 is D-11, in the reopen cohort (solved D-13..D-7) and the spike's baseline
    alerts = _messages(warehouse, date(2024, 5, 16), rates=rates, drivers=[spike])
    assert alerts["reopen_rate"]["message"] == (
        "Reopen rate 20% of 40 solved tickets is above 15%: solutions are not sticking"
        f"{BUT}its solves and reopens are not counted: {LOAD}"
    )
    assert alerts["spike"]["message"] == (
        "Spike in billing: 12 tickets in 7 days against a baseline of 3.5 a week"
        f"{BUT}its tickets are missing from the baseline: {LOAD}"
    )
    # 05-08: 05-05 is in the spike's own week, which it can only lower: the spike stands
    alerts = _messages(warehouse, date(2024, 5, 8), drivers=[spike])
    assert alerts["spike"]["message"] == (
        "Spike in billing: 12 tickets in 7 days against a baseline of 3.5 a week."
    )
    assert "gap_days" not in alerts["spike"]


def test_a_gap_older_than_the_look_back_is_said_while_a_ticket_waits_on_it(digest_of):
    # 05-20: 05-05 is D-15, outside the 14 days; T3, last in 05-04's export, is still open
    # beside T19, created that day (T18 and older are solved)
    got = digest_of(date(2024, 5, 20))
    dq = got["data_quality"]
    sentence = (
        "1 open ticket last changed before 2024-05-05, a day without a complete export, and "
        "may have been solved on it, unseen: load it (`backlog backfill` over it)."
    )
    # a note in the data-quality section, not a warning: D's figures read no missing day
    assert (dq["status"], dq["history_gaps"], dq["checks_failed"]) == ("ok", [], [sentence])
    assert got["backlog"]["open_total"] == 2  # T3 and T19
    assert not [a for a in got["alerts"] if a["name"] == "data_quality"]
    markdown, payload = render_markdown(got), build_payload(got)
    assert markdown.count(sentence) == 1
    assert (
        "- Data for 2024-05-20 loaded in full (2 rows, none quarantined), but the history "
        "before it has a gap." in markdown
    )
    assert json.dumps(payload["blocks"]).count("1 open ticket last changed before") == 1
