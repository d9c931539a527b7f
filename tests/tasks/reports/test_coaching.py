"""Coaching signals on hand-built histories with known answers.

A crossover that lasts 2 vs 3 days; a follow-up opened at 71 h vs 73 h; a security word
in a quoted reply vs in the customer's own text; a ticket passed through three groups.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from tasks import models, warehouse
from tasks.config import load_settings
from tasks.reports import digest, series
from tasks.reports.coaching import automation_candidates_for_day
from tests.support.loading import load_exports

try:
    from exports import ev, tk, write_events, write_tickets
except ImportError:  # tests/ imported as a package
    from tests.support.exports import ev, tk, write_events, write_tickets


def digests(root: Path, db: Path, days: list[str], **overrides) -> dict[str, dict]:
    settings = load_settings(db_path=db, **overrides)
    with warehouse.connect(settings) as con:
        load_exports(con, root)
        models.build_models(con)
        return {d: digest.build_digest(con, date.fromisoformat(d), settings) for d in days}


def test_inflow_above_outflow_alert_needs_a_run_of_three_days(tmp_path):
    root = tmp_path / "exports"
    # 06-28..06-30: T0 created solved on 06-28 (inflow 1, outflow 1), so 07-04 has the 7 days
    # of history the crossing alert waits for
    t0 = tk("T0", "2024-06-28T09:00:00Z", None, "solved", solved_at="2024-06-28T09:00:00Z")
    for day in ("2024-06-28", "2024-06-29", "2024-06-30"):
        write_tickets(root, day, [t0])
    # 07-01: T1, T2 created already solved: 7-day sums 3 in vs 3 out -> not above
    write_tickets(
        root,
        "2024-07-01",
        [
            tk("T1", "2024-07-01T09:00:00Z", None, "solved", solved_at="2024-07-01T09:00:00Z"),
            tk(
                "T2",
                "2024-07-01T10:00:00Z",
                None,
                "solved",
                requester="r2",
                solved_at="2024-07-01T10:00:00Z",
            ),
        ],
    )
    # 07-02: T3 opens: 7-day sums 4 in vs 3 out -> above; the run starts 07-02
    t3 = tk("T3", "2024-07-02T09:00:00Z", None, "open", requester="r3")
    for day in ("2024-07-02", "2024-07-03", "2024-07-04"):
        write_tickets(root, day, [t3])
    result = digests(root, tmp_path / "b.duckdb", ["2024-07-01", "2024-07-03", "2024-07-04"])
    assert result["2024-07-01"]["flow"]["inflow_above_outflow_since"] is None
    # 07-03: a run of 2 days -> no alert yet
    assert result["2024-07-03"]["flow"]["inflow_above_outflow_since"] == "2024-07-02"
    assert "inflow_above_outflow" not in [a["name"] for a in result["2024-07-03"]["alerts"]]
    # 07-04: 3 days -> the alert, with the number that crossed
    (alert,) = [a for a in result["2024-07-04"]["alerts"] if a["name"] == "inflow_above_outflow"]
    assert (alert["value"], alert["threshold"]) == (3, 3)
    assert "since 2024-07-02" in alert["message"]


@pytest.fixture(scope="module")
def coaching(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("coaching") / "exports"
    write_tickets(
        root,
        "2024-07-01",
        [
            # merge: M2 71 h after M1 ("Any update?") -> offered; N2 73 h after N1 -> not
            tk(
                "M1",
                "2024-07-01T00:00:00Z",
                None,
                "open",
                requester="rm",
                subject="Cannot pay my invoice",
            ),
            tk(
                "N1",
                "2024-07-01T00:00:00Z",
                None,
                "open",
                requester="rn",
                subject="Cannot pay my invoice",
            ),
            # escalation
            tk(
                "E1",
                "2024-07-01T08:00:00Z",
                None,
                "open",
                requester="re1",
                priority="low",
                description="My card was charged twice.",
            ),
            tk(
                "E2",
                "2024-07-01T08:00:00Z",
                None,
                "open",
                requester="re2",
                priority="low",
                description="Odd emails from you.",
            ),
            tk(
                "E3",
                "2024-07-01T08:00:00Z",
                None,
                "open",
                requester="re3",
                priority="normal",
                customer_tier="enterprise",
                tags="failed-payment",
            ),
            # effort: three groups, two assignees
            {
                **tk("G1", "2024-07-01T09:00:00Z", None, "open", requester="rg"),
                "group_name": "Tier 1",
                "assignee_id": "a1",
            },
        ],
    )
    write_tickets(
        root,
        "2024-07-02",
        [
            {
                **tk("G1", "2024-07-01T09:00:00Z", "2024-07-02T09:00:00Z", "open", requester="rg"),
                "group_name": "Tier 2",
                "assignee_id": "a2",
            },
        ],
    )
    write_tickets(
        root,
        "2024-07-03",
        [
            {
                **tk(
                    "G1",
                    "2024-07-01T09:00:00Z",
                    "2024-07-03T12:00:00Z",
                    "solved",
                    requester="rg",
                    solved_at="2024-07-03T12:00:00Z",
                ),
                "group_name": "Billing",
                "assignee_id": "a2",
            },
            tk("M2", "2024-07-03T23:00:00Z", None, "open", requester="rm", subject="Any update?"),
        ],
    )
    write_tickets(
        root,
        "2024-07-04",
        [
            tk("N2", "2024-07-04T01:00:00Z", None, "open", requester="rn", subject="Any update?"),
        ],
    )
    write_events(
        root,
        "2024-07-01",
        [
            ev(
                "e1",
                "E1",
                "2024-07-01T09:00:00Z",
                "comment",
                role="agent",
                public=True,
                body="Our security team will review the charge.",
            ),
            ev(
                "g1",
                "G1",
                "2024-07-01T09:30:00Z",
                "comment",
                role="agent",
                public=True,
                body="We have received your request.",
            ),  # an auto-acknowledgement: not a turn
            ev(
                "g2",
                "G1",
                "2024-07-01T10:00:00Z",
                "comment",
                role="agent",
                public=True,
                body="Could you send the invoice number?",
            ),
        ],
    )
    write_events(
        root,
        "2024-07-02",
        [
            ev(
                "e2",
                "E1",
                "2024-07-02T09:00:00Z",
                "comment",
                role="end_user",
                public=True,
                body="Still waiting.\n> Our security team will review the charge.",
            ),
            ev(
                "e3",
                "E2",
                "2024-07-02T09:00:00Z",
                "comment",
                role="end_user",
                public=True,
                body="I think this is a data breach.",
            ),
            ev(
                "g3",
                "G1",
                "2024-07-02T08:00:00Z",
                "comment",
                role="end_user",
                public=True,
                body="It is 4711.",
            ),
            ev(
                "g4",
                "G1",
                "2024-07-02T08:30:00Z",
                "comment",
                role="agent",
                public=False,
                body="Passing to tier 2.",
            ),
        ],
    )
    write_events(
        root,
        "2024-07-03",
        [
            ev(
                "g5",
                "G1",
                "2024-07-03T11:00:00Z",
                "comment",
                role="agent",
                public=True,
                body="Refunded, sorry for the trouble.",
            ),
        ],
    )
    settings = load_settings(db_path=root.parent / "b.duckdb")
    with warehouse.connect(settings) as con:
        load_exports(con, root)
        models.build_models(con)
        return {
            "digest": digest.build_digest(con, date(2024, 7, 4), settings),
            "work": {
                row[0]: row[1:]
                for row in con.execute(
                    "select ticket_id, own_priority, priority, reasons from marts.fct_work_next "
                    "where report_date = '2024-07-04'"
                ).fetchall()
            },
            "effort": con.execute(
                "select exchanges, handoffs, group_changes from marts.fct_ticket_effort "
                "where ticket_id = 'G1'"
            ).fetchone(),
        }


def test_follow_up_at_71_hours_is_a_merge_candidate_and_at_73_is_not(coaching):
    assert coaching["digest"]["merge_candidates"] == [
        {
            "requester_id": "rm",
            "ticket_ids": ["M1", "M2"],
            "reason": "a follow-up, opened 71 h apart",
        }
    ]


def test_security_word_counts_in_the_customers_words_not_in_a_quoted_reply(coaching):
    work = coaching["work"]
    assert work["E1"][:2] == ("low", "low")
    assert work["E2"][:2] == ("low", "urgent")
    assert work["E2"][2][0] == 'escalated to urgent: "breach" in the customer\'s words'
    assert work["E3"][:2] == ("normal", "high")
    assert work["E3"][2][0] == "escalated to high: enterprise tier with tag failed-payment"


def test_a_ticket_passed_through_three_groups(coaching):
    # customer opens; agent asks (the acknowledgement is not a turn); customer answers;
    # agent refunds: customer -> agent twice = 2 exchanges. Groups Tier 1 -> Tier 2 ->
    # Billing: 2 group changes; assignees a1 -> a2: 1 -> 3 handoffs
    assert coaching["effort"] == (2, 3, 2)
    effort = coaching["digest"]["effort"]
    assert effort["tickets"] == 1
    assert effort["handoffs_p50"] == 3
    assert effort["share_over_2_handoffs"] == 1.0
    assert effort["share_over_3_exchanges"] == 0.0


def test_a_linked_follow_up_is_a_recontact_whoever_opened_it(tmp_path):
    # F1 (requester r1) is solved on 07-01 10:00; F2 is opened on 07-03 by a colleague (r2)
    # and the helpdesk links it as F1's follow-up (Zendesk followup_ids, kept in extra);
    # F3 (r3) is opened the same day without a link. Cohort on 07-10: F1 only (first solved
    # 07-01 = D-9), recontacted by F2 -> 1 of 1.
    root = tmp_path / "exports"
    rows = [
        {
            **tk(
                "F1",
                "2024-07-01T09:00:00Z",
                "2024-07-01T10:00:00Z",
                "solved",
                solved_at="2024-07-01T10:00:00Z",
            ),
            "followup_ids": '["F2"]',
        },
        {**tk("F2", "2024-07-03T09:00:00Z", None, "open", requester="r2"), "followup_ids": "[]"},
        {**tk("F3", "2024-07-03T09:00:00Z", None, "open", requester="r3"), "followup_ids": "[]"},
    ]
    path = root / "2024-07-03" / "tickets.csv"
    path.parent.mkdir(parents=True)
    import csv

    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    write_tickets(
        root, "2024-07-10", [tk("F3", "2024-07-03T09:00:00Z", None, "open", requester="r3")]
    )
    result = digests(root, tmp_path / "b.duckdb", ["2024-07-10"])["2024-07-10"]
    assert (result["rates"]["recontact_cohort"], result["rates"]["recontact_rate_7d"]) == (1, 1.0)


def test_automation_candidates_have_one_reader_and_one_order():
    """Two drivers with as many automatable tickets: the higher share comes first in the
    digest's coaching list as in the review's chart (issue 15: the readers disagreed)."""
    with duckdb.connect() as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.fct_automation_candidates as select * from (values "
            "(date '2024-07-01', 'api', 10, 2, 0.2), "
            "(date '2024-07-01', 'billing', 4, 2, 0.5), "
            "(date '2024-07-01', 'login', 6, 0, 0.0)) "
            "as t(report_date, driver, solved_tickets, automatable_tickets, automatable_share)"
        )
        listed = automation_candidates_for_day(con, date(2024, 7, 1))
        charted = series.automation_candidates(con, date(2024, 7, 1))
    assert [row["driver"] for row in listed] == ["billing", "api"]
    assert [c.driver for c in charted] == ["billing", "api", "login"]
    assert listed[0] == {
        "driver": "billing",
        "solved_tickets": 4,
        "automatable_tickets": 2,
        "automatable_share": 0.5,
    }
