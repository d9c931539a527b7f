"""The one formatter set: each figure reads the same in the Markdown digest and in Slack."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tasks.render import format as fmt
from tasks.render.blocks import build_payload
from tasks.render.markdown import render_markdown


def full_digest(**response: Any) -> dict[str, Any]:
    """The smallest digest both renderers draw, with the given response figures."""
    return {
        "date": "2026-03-03",
        "timezone": "UTC",
        "backlog": {
            "open_total": 10,
            "by_status": {"new": 1, "open": 2, "pending": 3, "hold": 4},
            "change_1d": 1,
            "change_7d": -2,
        },
        "flow": {
            "inflow": 3,
            "outflow": 2,
            "reopened": 0,
            "net": 1,
            "inflow_7d_avg": 3.0,
            "outflow_7d_avg": 2.0,
            "reopened_7d_avg": 0.0,
            "inflow_above_outflow_since": None,
            "days_to_drain": None,
            "projected_backlog_14d": 24,
        },
        "aging": {"buckets": {"0-1d": 10}, "oldest_ticket_id": None, "oldest_age_days": None},
        "rates": {
            "reopen_rate_7d": None,
            "reopen_cohort": 0,
            "recontact_rate_7d": None,
            "recontact_cohort": 0,
        },
        "response": {
            "first_reply_p50_minutes": None,
            "first_reply_p90_minutes": None,
            "ttfmr_p50_minutes": None,
            "ttfmr_p90_minutes": None,
            "resolution_p50_hours": None,
            "unreplied_open": 0,
            **response,
        },
        "sla": {"breached_open": 0, "at_risk_open": 0},
        "drivers": [],
        "work_next": [],
        "stale": {"count": 0, "ticket_ids": []},
        "batches": [],
        "kb_candidates": [],
        "alerts": [],
        "backlog_days": None,
        "merge_candidates": [],
        "data_quality": {
            "status": "ok",
            "rows_loaded": 3,
            "rows_quarantined": 0,
            "checks_failed": [],
        },
    }


def slack_field(payload: dict[str, Any], title: str) -> str:
    """The text of the Block Kit field that starts with `*title*`."""
    fields = [f["text"] for b in payload["blocks"] for f in b.get("fields", [])]
    return next(text for text in fields if text.startswith(f"*{title}*"))


@pytest.mark.parametrize(
    ("hours", "expected"),
    [
        (50.0, "2.1 days"),
        (27.1, "27.1 h"),
        (0.75, "45 min"),
        (74.5, "3.1 days"),
        (1.0, "1.0 h"),
        (728.0, "30 days"),
    ],
)
def test_a_resolution_time_reads_the_same_in_markdown_and_slack(hours, expected):
    """The bug: 50 hours read "50.0 h" in the Markdown digest and "2.1 d" in Slack; 728 h
    reads "30 days"."""
    digest = full_digest(resolution_p50_hours=hours)
    markdown = re.search(r"- Resolution: median (.+?);", render_markdown(digest)).group(1)
    slack = re.search(r"median (.+?) ·", slack_field(build_payload(digest), "Resolution")).group(1)
    assert markdown == slack == expected


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [(3000.0, "2.1 days"), (95.0, "1.6 h"), (45.0, "45 min"), (1256.3, "20.9 h")],
)
def test_a_reply_time_reads_the_same_in_markdown_and_slack(minutes, expected):
    digest = full_digest(ttfmr_p90_minutes=minutes)
    markdown = re.search(
        r"- First meaningful response: median n/a, p90 (.+?);", render_markdown(digest)
    )
    field = slack_field(build_payload(digest), "First meaningful response")
    slack = re.search(r"p90 (.+?)\n", field)
    assert markdown.group(1) == slack.group(1) == expected


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [
        (0, "0 s"),
        (0.5, "30 s"),
        (59.6 / 60, "1 min"),  # never "60 s"
        (1, "1 min"),
        (59.4, "59 min"),
        (59.6, "1.0 h"),  # the unit follows the rounded text: never "60 min"
        (60, "1.0 h"),
        (95, "1.6 h"),
        (47.9 * 60, "47.9 h"),
        (47.96 * 60, "2.0 days"),  # never "48.0 h"
        (48 * 60, "2.0 days"),
        (3000, "2.1 days"),
        (9.94 * 1440, "9.9 days"),
        (9.96 * 1440, "10 days"),  # never "10.0 days"
        (728 * 60, "30 days"),  # never "728 h"
        (None, "n/a"),
        ("x", "n/a"),
    ],
)
def test_one_duration_rule_seconds_minutes_hours_days(minutes, expected):
    assert fmt.minutes(minutes) == expected
    if isinstance(minutes, int | float):
        assert fmt.hours(minutes / 60) == expected


def test_durations_stored_in_hours_keep_their_figures():
    assert fmt.hours(29.8) == "29.8 h"
    assert fmt.hours(74.5) == "3.1 days"
    assert fmt.days(30.33) == "30 days"
    assert fmt.days(0.5) == "12.0 h"
    assert fmt.days(None) == "n/a"
    assert fmt.hours(0.5) == "30 min"
    assert fmt.hours(None) == "n/a"


def test_numbers_counts_changes_and_shares():
    assert fmt.number(1234.56) == "1,234.6"
    assert fmt.number(42.4, 0) == "42"
    assert fmt.number(None) == "n/a"
    assert fmt.integer(1234.4) == "1,234"
    assert fmt.integer(None) == "n/a"
    assert fmt.signed(17) == "+17"
    assert fmt.signed(-11) == "-11"
    assert fmt.signed(0) == "+0"
    assert fmt.signed(1500) == "+1,500"
    assert fmt.signed(None) == "n/a"
    assert fmt.pct(0.18) == "18%"
    assert fmt.pct(None) == "n/a"


def test_day_labels_and_ticket_lists():
    assert fmt.day_label("2026-03-03") == "Tue 3 Mar 2026"
    assert fmt.day_label("not a date") == "not a date"
    assert fmt.and_more(3) == "and 3 more"
    assert fmt.ticket_ids(["1", "2"]) == "#1, #2"
    assert fmt.ticket_ids([str(i) for i in range(10)], limit=3) == "#0, #1, #2 and 7 more"


def test_registered_values_and_their_changes_read_like_the_digest():
    # the review's KPI table: a duration reads by the digest's one rule, not its own
    assert fmt.value(89.8, "hours") == fmt.hours(89.8) == "3.7 days"
    assert fmt.value(45.0, "minutes") == "45 min"
    assert fmt.value(0.184, "share") == "18.4%"
    assert fmt.value(1234, "tickets") == "1,234"
    assert fmt.value(12.25, "tickets") == "12.2"
    assert fmt.value(None, "hours") == "n/a"
    assert fmt.change(0.2, 0.15, "share") == "+5.0 pp"
    assert fmt.change(90.0, 60.0, "minutes") == "+50%"
    assert fmt.change(60.0, 60.0, "hours") == "±0%"
    assert fmt.change(120, 100, "tickets") == "+20 (+20%)"
    assert fmt.change(5, 0, "tickets") == "+5"
    assert fmt.change(None, 3, "tickets") == "n/a"
    assert fmt.growth(1.5) == "1.5x"
    assert fmt.growth(None) == "new"
    assert fmt.count(1500) == "1,500"
    assert fmt.day_label(None) == ""


def test_ticket_links_use_the_template_and_escape_the_id():
    template = "https://acme.zendesk.com/agent/tickets/{ticket_id}"
    assert fmt.ticket_url(template, "A B/1") == "https://acme.zendesk.com/agent/tickets/A%20B%2F1"
    assert fmt.ticket_url(None, "1") is None


def test_a_change_on_a_small_base_has_no_percentage():
    # 1 -> 17 tickets: "+16", never "+16 (+1600%)"; 29 is small, 30 is not
    assert fmt.change(17, 1, "tickets", small_base=True) == "+16"
    assert fmt.change(17, 1, "tickets") == "+16 (+1600%)"
    # a duration on few tickets reads its difference: 90 - 60 min = "+30 min"; 3 - 5 h = "-2.0 h"
    assert fmt.change(90.0, 60.0, "minutes", small_base=True) == "+30 min"
    assert fmt.change(3.0, 5.0, "hours", small_base=True) == "-2.0 h"
    assert fmt.change(0.2, 0.15, "share", small_base=True) == "+5.0 pp"


def test_which_review_changes_rest_on_a_small_base():
    from tasks.reports.review_kpis import _small_base

    assert _small_base("tickets", 29, None, None)  # last week's count is the base
    assert not _small_base("tickets", 30, None, None)
    assert _small_base("share", 0.1, 120, 29)  # a rate on 29 tickets last week
    assert not _small_base("minutes", 60.0, 30, 45)
    assert not _small_base("minutes", 60.0, None, None)


def test_a_threshold_reads_as_the_user_wrote_it():
    # backlog.toml's 24 and 5 are floats once read (24.0, 5.0): no ".0", no other unit
    assert fmt.threshold(24.0, "hours") == "24 h"
    assert fmt.threshold(2.5, "hours") == "2.5 h"
    assert fmt.threshold(72, "hours") == "72 h"  # never "3.0 days"
    assert fmt.threshold(5.0, "days") == "5 days"
    assert fmt.threshold(1, "days") == "1 day"
    assert fmt.threshold(0.5, "days") == "0.5 days"  # never "12.0 h"
    # shares: 0.155 is 15.5%, not rounded to "16%"; 0.1 is 10%
    assert fmt.threshold(0.155, "share") == "15.5%"
    assert fmt.threshold(0.1, "share") == "10%"
    assert fmt.threshold(0.25, "share") == "25%"
    assert fmt.threshold(1000.0, "hours") == "1,000 h"
    assert fmt.threshold(None, "hours") == "n/a"
