"""What the digest shows adds up, says what its lists leave out, and waits on short history.

Markdown, Slack and the alert text render the same figures; these tests read all three.
"""

from __future__ import annotations

import duckdb

from tasks.config import load_settings
from tasks.render import format as fmt
from tasks.render import worklist
from tasks.render.blocks import build_payload
from tasks.render.markdown import render_markdown
from tasks.reports.alerts import alerts_for_day
from tests.support.digests import alert_marts, make_digest


def slack_texts(payload: dict) -> list[str]:
    """Every text of the top-level message and its thread."""
    out = []
    for block in [*payload["blocks"], *payload["thread"]["blocks"]]:
        if "text" in block:
            out.append(block["text"]["text"])
        out += [f["text"] for f in block.get("fields", [])]
        out += [e["text"] for e in block.get("elements", []) if "text" in e]
    return out


# ---- 1. the figures on screen add up


def test_the_inflow_total_is_the_sum_of_its_shown_parts(tmp_path):
    """36.14 new + 3.14 reopened: shown 36.1 + 3.1, so the total shown is 39.2 (not 39.3, the
    rounding of 39.28), in the Markdown line, the Slack field and the crossing alert alike."""
    flow = {
        **make_digest()["flow"],
        "inflow_7d_avg": 36.14,
        "reopened_7d_avg": 3.14,
        "outflow_7d_avg": 38.9,
        "history_days": 7,
        "inflow_above_outflow_since": "2026-02-27",  # 5 days to 2026-03-03, >= 3
    }
    expected = "36.1 in + 3.1 reopened = 39.2 vs 38.9 out"  # 36.1 + 3.1 = 39.2
    settings = load_settings(db_path=tmp_path / "b.duckdb")
    with duckdb.connect() as con:
        alert_marts(con)
        [crossing] = [
            a
            for a in alerts_for_day(con, make_digest(flow=flow, drivers=[]), settings)
            if a["name"] == "inflow_above_outflow"
        ]
    assert crossing["message"] == (
        f"Inflow has been above outflow for 5 days (since 2026-02-27): {expected} per day. Act now."
    )
    digest = make_digest(flow=flow, alerts=[crossing])
    assert f"- 7-day average: {expected} per day" in render_markdown(digest).splitlines()
    fields = [t for t in slack_texts(build_payload(digest)) if t.startswith("*Flow")]
    assert fields == [f"*Flow, 7-day average*\n{expected} a day"]
    assert "39.3" not in render_markdown(digest)


def test_a_tie_in_one_decimal_keeps_two():
    """34.92 + 4.32 = 39.24 against 39.16: with one decimal both sides read 39.2, so two are
    kept; a true tie (39.2 + 0 vs 39.2) stays at one."""
    assert fmt.flow_balance(34.92, 4.32, 39.16) == "34.92 in + 4.32 reopened = 39.24 vs 39.16 out"
    assert fmt.flow_balance(39.2, 0.0, 39.2) == "39.2 in + 0.0 reopened = 39.2 vs 39.2 out"
    assert fmt.flow_balance(None, 1.0, 2.0) == "n/a in + 1.0 reopened vs 2.0 out"


# ---- 2. a new team's first days


def short_flow(days: int, inflow: int, reopened: int, outflow: int) -> dict:
    """The flow section after `days` days of history with these sums over them."""
    return {
        **make_digest()["flow"],
        "history_days": days,
        "inflow_7d_avg": inflow / days,
        "reopened_7d_avg": reopened / days,
        "outflow_7d_avg": outflow / days,
    }


def test_the_backlog_change_says_over_how_many_days():
    """Day 1: no 7-day change (the day's own change is "today"); day 3 with 100 in, 10
    reopened and 95 out: +15 in 3 days (100 + 10 - 95); day 7 on: change_7d in 7 days."""
    backlog = {**make_digest()["backlog"], "change_1d": -6, "change_7d": 104}
    day1 = make_digest(backlog=backlog, flow=short_flow(1, 47, 8, 61))
    text = render_markdown(day1)
    assert "- **296 open** (-6 today): 115 new" in text
    assert "in 7 days" not in text
    assert "in 7 days" not in " ".join(slack_texts(build_payload(day1)))
    day3 = make_digest(backlog=backlog, flow=short_flow(3, 100, 10, 95))
    assert "- **296 open** (-6 today, +15 in 3 days): 115 new" in render_markdown(day3)
    headline = slack_texts(build_payload(day3))[1]
    assert ":arrow_up: +15 in 3 days" in headline
    week = make_digest(backlog=backlog, flow={**short_flow(7, 7, 0, 7)})
    assert "- **296 open** (-6 today, +104 in 7 days): 115 new" in render_markdown(week)


def test_a_driver_without_a_full_baseline_shows_no_baseline_growth_or_spike():
    """A baseline reaching before the first export is left out, said once under the list."""
    drivers = [
        {
            "driver": "bug",
            "tickets_7d": 41,
            "baseline_weekly": 3.5,
            "share_7d": 0.24,
            "growth": 11.71,
            "spike": False,
            "baseline_complete": False,
        }
    ]
    digest = make_digest(drivers=drivers, flow=short_flow(1, 47, 8, 61))
    text = render_markdown(digest)
    assert "- bug: 41 tickets (24%)\n" in text
    assert "x11.7" not in text
    assert "3.5/week" not in text
    assert "**spike**" not in text
    assert "- Baselines and spikes wait for 35 days of history" in text
    [drivers_block] = [t for t in slack_texts(build_payload(digest)) if "*Drivers" in t]
    assert "• *bug*: 41 tickets (24% of inflow), no baseline yet" in drivers_block
    assert "x11.7" not in drivers_block


def test_rate_alerts_wait_for_14_days_and_30_tickets_and_say_so():
    """25% of 4 (1 reopen) on day 1 is no alert; the Markdown and Slack say what it waits
    for: 14 days of history, then a cohort of 30 (29 is too few, 30 is enough)."""
    rates = {
        **make_digest()["rates"],
        "reopen_rate_7d": 0.25,
        "reopen_cohort": 4,
        "recontact_cohort": 4,
        "same_issue_recontact_rate_7d": 0.75,
        "same_issue_recontacted": 3,
    }
    day1 = make_digest(rates=rates, flow=short_flow(1, 47, 8, 61), alerts=[])
    text = render_markdown(day1)
    assert "- Alerts on these rates wait for 14 days of history" in text
    assert "_(alerts wait for 14 days of history)_" in " ".join(slack_texts(build_payload(day1)))
    later = {**short_flow(7, 7, 0, 7), "history_days": 20}
    assert "wait for a cohort of 30 solved tickets" in render_markdown(
        make_digest(rates=rates, flow=later, alerts=[])
    )
    enough = {**rates, "reopen_cohort": 30, "recontact_cohort": 30}
    assert "Alerts on these rates wait" not in render_markdown(
        make_digest(rates=enough, flow=later, alerts=[])
    )
    assert fmt.rate_alert_wait(later, 29) == "a cohort of 30 solved tickets"
    assert fmt.rate_alert_wait(later, 30) == ""
    assert fmt.rate_alert_wait({"history_days": 13}, 500) == "14 days of history"


# ---- 3. lists say what they leave out, sorted by size


def test_the_drivers_list_says_what_it_leaves_out():
    """5 listed, 8 more of at most 24 tickets each: said in Markdown and in the Slack thread;
    one more reads in the singular; none more says nothing."""
    digest = make_digest(drivers_not_listed={"count": 8, "largest_tickets_7d": 24})
    assert "- and 8 more drivers (at most 24 tickets each)" in render_markdown(digest)
    [block] = [t for t in slack_texts(build_payload(digest)) if "*Drivers" in t]
    assert block.endswith("\n_and 8 more drivers (at most 24 tickets each)_")
    one = make_digest(drivers_not_listed={"count": 1, "largest_tickets_7d": 1})
    assert "- and 1 more driver (1 ticket)" in render_markdown(one)
    none = make_digest(drivers_not_listed={"count": 0, "largest_tickets_7d": None})
    assert "more driver" not in render_markdown(none)


def test_the_slack_drivers_cut_counts_both_what_it_cuts_and_what_the_list_left_out():
    """7 listed drivers shown 5 at a time: 2 cut + 3 left out = "and 5 more"."""
    drivers = [
        {
            "driver": f"d{i}",
            "tickets_7d": 50 - i,
            "baseline_weekly": 40.0,
            "share_7d": 0.1,
            "growth": 1.0,
            "spike": False,
        }
        for i in range(7)
    ]
    digest = make_digest(drivers=drivers, drivers_not_listed={"count": 3, "largest_tickets_7d": 9})
    [block] = [t for t in slack_texts(build_payload(digest)) if "*Drivers" in t]
    assert block.endswith("\n_and 5 more_")  # 7 - 5 shown + 3


def test_drivers_this_week_are_largest_first_ties_by_name():
    """Reasons met in the order bug 47, login 48, billing 53, vip 34, how-to 48 read
    billing 53, how-to 48, login 48, bug 47, vip 34 (48 = 48: how-to before login)."""
    items = [
        {
            "ticket_id": str(i),
            "score": 90 - i,
            "reasons": [worklist.driver_reason(d, n)],
            "driver": d,
            "driver_tickets_7d": n,
        }
        for i, (d, n) in enumerate(
            [("bug", 47), ("login", 48), ("billing", 53), ("vip", 34), ("how-to", 48)]
        )
    ]
    assert worklist.summary(worklist.split_reasons(items)) == (
        "drivers this week: billing 53, how-to 48, login 48, bug 47, vip 34 tickets"
    )
