"""Work next, stale nudges and batches on a hand-built day (as of 2024-05-21 00:00 UTC).

S1..S5 (billing) are pending; W1..W3 (login) are workable; W4 (login) is pending.
Every expected figure is worked out in the comments.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from tasks import ingest, models, warehouse
from tasks.config import load_settings
from tasks.reports import actions, digest

try:
    from exports import ev, tk, write_events, write_tickets
except ImportError:  # tests/ imported as a package
    from tests.support.exports import ev, tk, write_events, write_tickets

DAY = "2024-05-20"


def pending_ticket(tid: str, created: str, pending_at: str) -> tuple[dict, list[dict]]:
    ticket = tk(tid, created, pending_at, "pending", requester=f"r-{tid}", tags="billing")
    events = [
        ev(f"{tid}-1", tid, created, "status_change", None, "new", "end_user"),
        ev(f"{tid}-2", tid, pending_at, "status_change", "new", "pending", "agent"),
    ]
    return ticket, events


def digest_for(root: Path, db: Path, **overrides) -> dict:
    settings = load_settings(db_path=db, **overrides)
    with warehouse.connect(settings) as con:
        for day in ingest.discover_exports(root):
            ingest.load_day(con, day, root)
        models.build_models(con)
        return digest.build_digest(con, date.fromisoformat(DAY), settings)


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("actions") / "exports"
    tickets, events = [], []
    # S1: entered pending exactly 5 x 24 h before the end of the day -> stale
    for tid, pending_at in [
        ("S1", "2024-05-16T00:00:00Z"),
        ("S2", "2024-05-16T00:00:01Z"),  # 1 s short of 5 days -> not stale
        ("S3", "2024-05-10T10:00:00Z"),  # the customer wrote since -> not stale
        ("S4", "2024-05-10T10:00:00Z"),  # only an agent's private note since -> stale
        ("S5", "2024-05-10T11:00:00Z"),  # the customer wrote before entering pending -> stale
    ]:
        ticket, history = pending_ticket(tid, "2024-05-10T09:00:00Z", pending_at)
        tickets.append(ticket)
        events += history
    events += [
        ev(
            "S3-3",
            "S3",
            "2024-05-12T08:00:00Z",
            "comment",
            role="end_user",
            public=True,
            body="Any news?",
        ),
        ev(
            "S4-3",
            "S4",
            "2024-05-12T08:00:00Z",
            "comment",
            role="agent",
            public=False,
            body="Waiting on the customer.",
        ),
        ev(
            "S5-3",
            "S5",
            "2024-05-10T10:30:00Z",
            "comment",
            role="end_user",
            public=True,
            body="Here is the invoice.",
        ),
    ]
    tickets += [
        # W1: urgent enterprise, 1 h old, unreplied: 60 min > 10 min -> SLA breached,
        # risk capped at 1; login is the week's largest driver (4 tickets) -> impact 1;
        # "Thanks!" -> lexicon +1 -> sentiment 0.5 - 0.125 = 0.375
        # score = 100 * (0.35 + 0.25 * 1 + 0.20 * 1 + 0.10 * 1 + 0.10 * 0.375) = 93.75
        tk(
            "W1",
            "2024-05-20T23:00:00Z",
            None,
            "new",
            requester="r-w1",
            priority="urgent",
            customer_tier="enterprise",
            tags="login",
            description="Thanks!",
        ),
        # W2: low / free, 12 h old: first reply 720 of 1440 min -> risk 0.5;
        # the customer's latest text: unacceptable (-2), not working (-1), still not (-1)
        # -> 0.5 + 0.5 = 1.0 (+ "!!" capped at 1)
        # score = 100 * (0.35 + 0.25 * 0.1 + 0.20 * 0.1 + 0.10 * 0.5 + 0.10 * 1) = 54.5
        tk(
            "W2",
            "2024-05-20T12:00:00Z",
            "2024-05-20T13:00:00Z",
            "open",
            requester="r-w2",
            priority="low",
            customer_tier="free",
            tags="login",
            description="Login fails.",
        ),
        # W3: normal, no tier, on hold, 4 h old: first reply 240 of 240 min elapsed, not
        # past it -> not breached, risk 1.0; neutral text -> 0.5
        # score = 100 * (0.35 + 0.25 * 0.4 + 0 + 0.10 * 1 + 0.10 * 0.5) = 60.0
        tk(
            "W3",
            "2024-05-20T20:00:00Z",
            "2024-05-20T20:30:00Z",
            "hold",
            requester="r-w3",
            tags="login",
            description="Question about invoices",
        ),
        # W4: pending -> not workable; 4th login ticket in the backlog -> no login batch
        tk(
            "W4",
            "2024-05-19T10:00:00Z",
            "2024-05-19T11:00:00Z",
            "pending",
            requester="r-w4",
            priority="high",
            tags="login",
        ),
    ]
    events += [
        ev("W2-1", "W2", "2024-05-20T12:00:00Z", "status_change", None, "new", "end_user"),
        ev(
            "W2-2",
            "W2",
            "2024-05-20T13:00:00Z",
            "comment",
            role="end_user",
            public=True,
            body="This is unacceptable, still not working!!",
        ),
        ev("W2-3", "W2", "2024-05-20T13:00:00Z", "status_change", "new", "open", "end_user"),
        ev("W3-1", "W3", "2024-05-20T20:30:00Z", "status_change", "new", "hold", "agent"),
        ev("W4-1", "W4", "2024-05-19T11:00:00Z", "status_change", "new", "pending", "agent"),
    ]
    write_tickets(root, DAY, tickets)
    write_events(root, DAY, events)
    return root


@pytest.fixture(scope="module")
def result(scenario: Path) -> dict:
    return digest_for(scenario, scenario.parent / "default.duckdb")


def test_stale_list_is_exact(result):
    # ordered by when they entered pending, then id
    assert result["stale"]["ticket_ids"] == ["S4", "S5", "S1"]
    assert result["stale"]["count"] == 3
    assert "still seeing this" in result["stale"]["nudge"]


def test_batches_need_five(result):
    assert result["batches"] == [
        {"driver": "billing", "open_tickets": 5, "ticket_ids": ["S1", "S2", "S3", "S4", "S5"]}
    ]


def test_work_next_scores_order_and_reasons(result):
    assert result["work_next"] == [
        {
            "ticket_id": "W1",
            "score": 93.75,
            "reasons": [
                "urgent priority",
                "enterprise customer",
                "driver login: 4 tickets this week",
                "SLA breached",
            ],
            "driver": "login",
            "driver_tickets_7d": 4,
        },
        {
            "ticket_id": "W3",
            "score": 60.0,
            "reasons": ["driver login: 4 tickets this week", "SLA 100% elapsed"],
            "driver": "login",
            "driver_tickets_7d": 4,
        },
        {
            "ticket_id": "W2",
            "score": 54.5,
            "reasons": [
                "driver login: 4 tickets this week",
                "customer sounds upset (unacceptable, not working, still not)",
            ],
            "driver": "login",
            "driver_tickets_7d": 4,
        },
    ]


@pytest.mark.usefixtures("result")  # it builds the warehouse read here
def test_the_mart_keeps_the_driver_s_size_a_number_and_the_digest_words_it(scenario: Path):
    """fct_work_next stores the driver reason without its count and the count in its own
    column; the digest's reason says the count as every count is shown (1,234)."""
    with duckdb.connect(str(scenario.parent / "default.duckdb"), read_only=True) as con:
        stored = con.execute(
            "select reasons, driver, driver_tickets_7d from marts.fct_work_next "
            "where report_date = ? and ticket_id = 'W3'",
            [date.fromisoformat(DAY)],
        ).fetchone()
    assert stored == (["driver login", "SLA 100% elapsed"], "login", 4)
    assert actions._worded("driver refund", "refund", 12042) == (
        "driver refund: 12,042 tickets this week"
    )
    assert actions._worded("SLA breached", "refund", 12042) == "SLA breached"


def test_weights_and_thresholds_are_configurable(scenario: Path, tmp_path: Path):
    # all weight on urgency: W1 urgent 1.0 -> 100, W3 normal 0.4 -> 40, W2 low 0.1 -> 10
    result = digest_for(
        scenario,
        tmp_path / "b.duckdb",
        work={
            "weights": {
                "impact": 0,
                "urgency": 1,
                "customer_value": 0,
                "sla_risk": 0,
                "sentiment": 0,
            },
            "stale_days": 10,
            "batch_min_size": 4,
        },
    )
    assert [(item["ticket_id"], item["score"]) for item in result["work_next"]] == [
        ("W1", 100.0),
        ("W3", 40.0),
        ("W2", 10.0),
    ]
    # pending since 05-10 10:00 / 11:00: 10.58 and 10.54 days >= 10; S1 only 5 days
    assert result["stale"]["ticket_ids"] == ["S4", "S5"]
    assert [(b["driver"], b["open_tickets"]) for b in result["batches"]] == [
        ("billing", 5),
        ("login", 4),
    ]
