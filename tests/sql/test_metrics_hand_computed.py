"""Hand-computed checks of the reference oracle (tests/support/oracle.py).

Every expected figure below was worked out by hand from docs/metrics.md and
DECISIONLOG.md; the arithmetic is in the comments. None of them came from
running the oracle. Every case runs against both implementations in tests/support/impls.py.

All instants are UTC unless a test says otherwise. "as of D" = D+1 00:00.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

try:
    from exports import ev, tk, utc, write_events, write_tickets
    from impls import IMPLEMENTATIONS
    from oracle import quantile_cont
except ImportError:  # tests/ imported as a package
    from tests.support.exports import ev, tk, utc, write_events, write_tickets
    from tests.support.impls import IMPLEMENTATIONS
    from tests.support.oracle import quantile_cont


@pytest.fixture(params=IMPLEMENTATIONS, ids=lambda impl: impl.name)
def impl(request: pytest.FixtureRequest) -> Any:
    """Every case runs against the oracle and against the warehouse."""
    return request.param


def assert_close(actual: Any, expected: Any, path: str = "") -> None:
    """Exact for ints, strings, None and bools; 1e-9 relative for floats; dict keys of
    ``expected`` only (extra keys in ``actual`` are allowed)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path}: {actual!r} is not a dict"
        for k, v in expected.items():
            assert k in actual, f"{path}.{k} missing"
            assert_close(actual[k], v, f"{path}.{k}")
    elif isinstance(expected, list):
        assert isinstance(actual, list), f"{path}: {actual!r} is not a list"
        assert len(actual) == len(expected), f"{path}: {actual!r} != {expected!r}"
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            assert_close(a, e, f"{path}[{i}]")
    elif expected is None or isinstance(expected, bool | str):
        assert (actual == expected and type(actual) is type(expected)) or (
            isinstance(expected, str) and str(actual) == expected
        ), f"{path}: {actual!r} != {expected!r}"
    elif isinstance(expected, float):
        assert actual is not None, f"{path}: None != {expected!r}"
        assert math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-9), (
            f"{path}: {actual!r} != {expected!r}"
        )
    else:
        assert actual == expected, f"{path}: {actual!r} != {expected!r}"


# --------------------------------------------------------------------------
# scenario 1: snapshots only, three days, every figure
# --------------------------------------------------------------------------


@pytest.fixture
def scenario1(tmp_path: Path) -> Path:
    root = tmp_path / "exports"
    write_tickets(
        root,
        "2024-03-01",
        [
            tk(
                "T1",
                "2024-03-01T09:00:00Z",
                "2024-03-01T10:00:00Z",
                "open",
                "r1",
                priority="high",
                tags="billing;refund",
                first_reply_at="2024-03-01T09:20:00Z",
            ),
            # created already solved (updated_at == solved_at == created_at)
            tk(
                "T2",
                "2024-03-01T12:00:00Z",
                "2024-03-01T12:00:00Z",
                "solved",
                "r2",
                tags="billing",
                solved_at="2024-03-01T12:00:00Z",
            ),
        ],
    )
    write_tickets(
        root,
        "2024-03-02",
        [
            tk(
                "T1",
                "2024-03-01T09:00:00Z",
                "2024-03-02T12:00:00Z",
                "solved",
                "r1",
                priority="high",
                tags="billing;refund",
                solved_at="2024-03-02T11:00:00Z",
                first_reply_at="2024-03-01T09:20:00Z",
            ),
            tk(
                "T3",
                "2024-03-02T15:00:00Z",
                "2024-03-02T15:00:00Z",
                "new",
                "r1",
                priority="urgent",
                tags="login",
            ),
            tk("T5", "2024-03-02T10:00:00Z", "2024-03-02T10:00:00Z", "open", "r4", tags="billing"),
        ],
    )
    write_tickets(
        root,
        "2024-03-03",
        [
            tk(
                "T1",
                "2024-03-01T09:00:00Z",
                "2024-03-03T08:00:00Z",
                "open",
                "r1",
                priority="high",
                tags="billing;refund",
                solved_at="2024-03-02T11:00:00Z",
                first_reply_at="2024-03-01T09:20:00Z",
            ),
            tk(
                "T3",
                "2024-03-02T15:00:00Z",
                "2024-03-03T09:00:00Z",
                "pending",
                "r1",
                priority="urgent",
                tags="login",
                first_reply_at="2024-03-03T09:00:00Z",
            ),
            # created at exactly midnight: belongs to 03-03; tag needs lower+trim, "" dropped
            tk(
                "T4",
                "2024-03-03T00:00:00Z",
                "2024-03-03T00:00:00Z",
                "new",
                "r5",
                priority="low",
                tags="Login ; ",
            ),
            # latest version deleted: out of every metric
            tk(
                "T5",
                "2024-03-02T10:00:00Z",
                "2024-03-03T09:30:00Z",
                "deleted",
                "r4",
                tags="billing",
            ),
            # naive timestamps, source_timezone UTC; no priority -> normal
            tk("T6", "2024-03-03 10:00:00", "2024-03-03 11:00:00", "open", "r3", priority="normal"),
        ],
    )
    return root


def test_scenario1_status_history(impl, scenario1: Path):
    h = impl.history(scenario1)
    assert "T5" not in h  # deleted
    # T1: new at creation; open at the first version's updated_at; solved at solved_at
    # (03-02 11:00 lies in (03-01 10:00, 03-02 12:00]); reopened at 03-03 08:00.
    assert h["T1"] == [
        (utc("2024-03-01T09:00:00"), None, "new"),
        (utc("2024-03-01T10:00:00"), "new", "open"),
        (utc("2024-03-02T11:00:00"), "open", "solved"),
        (utc("2024-03-03T08:00:00"), "solved", "open"),
    ]
    # T2 created solved: new and new -> solved, both at created_at
    assert h["T2"] == [
        (utc("2024-03-01T12:00:00"), None, "new"),
        (utc("2024-03-01T12:00:00"), "new", "solved"),
    ]
    assert h["T6"] == [
        (utc("2024-03-03T10:00:00"), None, "new"),
        (utc("2024-03-03T11:00:00"), "new", "open"),
    ]


def test_scenario1_digest_2024_03_03(impl, scenario1: Path):
    # Daily flows (T5 deleted, never counted):
    #   03-01: inflow T1,T2 = 2; outflow T2 (new->solved 12:00) = 1; reopened 0
    #   03-02: inflow T3 = 1;   outflow T1 (11:00) = 1;              reopened 0
    #   03-03: inflow T4 (00:00 exactly), T6 = 2; outflow 0;           reopened T1 = 1
    # As of 03-04 00:00: T1 open, T2 solved, T3 pending, T4 new, T6 open -> 4
    #   by status new 1 (T4), open 2 (T1,T6), pending 1 (T3)
    # backlog(03-02) as of 03-03 00:00: T3 new only (T4's created_at is not < 03-03 00:00) -> 1
    #   change_1d = 3 = net = 2 + 1 - 0;  backlog(02-25) = 0 -> change_7d = 4
    # 7-day sums 02-26..03-03 (days before 03-01 are zero): inflow 5, outflow 2, reopened 1
    # 3 days of history (03-01..03-03): averages 5/3, 2/3, 1/3
    # inflow_above_outflow_since: 03-03 5+1>2, 03-02 3+0>2, 03-01 2+0>1, 02-29 is
    #   before the first export -> 2024-03-01
    # days_to_drain: 2-5-1 < 0 -> None; projected = round(4 + 14*(5+1-2)/3) = round(22.67) = 23
    # backlog_days = 4 / (2/3) = 6
    # aging as of 03-04 00:00: T1 63h = 2.625d, T3 33h = 1.375d, T4 24h = 1.0d (1-3d, lower
    #   bound inclusive), T6 14h = 0.5833d -> 0-1d 1, 1-3d 3; oldest T1 2.625
    # rates: cohort = first solves in 02-19..02-25 -> none -> None, cohort 0
    # response (created 02-26..03-03, replied before 03-04 00:00, from first_reply_at):
    #   T1 20 min, T3 18 h = 1080 min -> p50 550, p90 20 + 0.9*1060 = 974 (TTFMR the same)
    #   resolution (first solved 02-26..03-03): T1 26 h, T2 0 h -> p50 13
    #   unreplied_open: T4, T6 -> 2
    # SLA as of 03-04 00:00:
    #   T1 high: reply 20 min <= 30 min ok; resolution 63 h > 24 h -> breached
    #   T3 urgent: reply after 18 h > 10 min -> breached
    #   T4 low: unreplied, elapsed exactly 24 h = target: not past -> not breached;
    #           fraction 1.0 >= 0.75 -> at risk
    #   T6 normal: unreplied, 14 h > 4 h -> breached
    #   -> breached 3, at_risk 1
    # drivers (created 02-26..03-03, inflow 5): billing T1,T2 = 2; login T3,T4 = 2;
    #   refund T1 = 1; baseline window 01-29..02-25 empty -> baseline 0, growth None
    f = impl.compute(scenario1, date(2024, 3, 3))
    assert_close(
        f,
        {
            "backlog": {
                "open_total": 4,
                "by_status": {"new": 1, "open": 2, "pending": 1, "hold": 0},
                "change_1d": 3,
                "change_7d": 4,
            },
            "flow": {
                "inflow": 2,
                "outflow": 0,
                "reopened": 1,
                "net": 3,
                "history_days": 3,
                "inflow_7d_avg": 5 / 3,
                "outflow_7d_avg": 2 / 3,
                "reopened_7d_avg": 1 / 3,
                "inflow_above_outflow_since": "2024-03-01",
                "days_to_drain": None,
                "projected_backlog_14d": 23,
            },
            "aging": {
                "buckets": {
                    "0-1d": 1,
                    "1-3d": 3,
                    "3-7d": 0,
                    "7-14d": 0,
                    "14-30d": 0,
                    "30d+": 0,
                },
                "oldest_ticket_id": "T1",
                "oldest_age_days": 2.625,
            },
            "rates": {
                "reopen_rate_7d": None,
                "reopen_cohort": 0,
                "recontact_rate_7d": None,
                "recontact_cohort": 0,
            },
            "response": {
                "first_reply_p50_minutes": 550.0,
                "first_reply_p90_minutes": 974.0,
                "ttfmr_p50_minutes": 550.0,
                "ttfmr_p90_minutes": 974.0,
                "resolution_p50_hours": 13.0,
                "unreplied_open": 2,
            },
            "sla": {"breached_open": 3, "at_risk_open": 1},
            "backlog_days": 6.0,
            "drivers": [
                {
                    "driver": "billing",
                    "tickets_7d": 2,
                    "baseline_weekly": 0.0,
                    "share_7d": 0.4,
                    "growth": None,
                    "spike": False,
                },
                {
                    "driver": "login",
                    "tickets_7d": 2,
                    "baseline_weekly": 0.0,
                    "share_7d": 0.4,
                    "growth": None,
                    "spike": False,
                },
                {
                    "driver": "refund",
                    "tickets_7d": 1,
                    "baseline_weekly": 0.0,
                    "share_7d": 0.2,
                    "growth": None,
                    "spike": False,
                },
            ],
        },
    )


def test_scenario1_day_before(impl, scenario1: Path):
    # 03-02: inflow T3 = 1, outflow T1 = 1, reopened 0, net 0
    # backlog as of 03-03 00:00: T3 (new) = 1; as of 03-02 00:00: T1 open (T2 solved) = 1
    f = impl.compute(scenario1, date(2024, 3, 2))
    assert_close(
        f["backlog"],
        {
            "open_total": 1,
            "by_status": {"new": 1, "open": 0, "pending": 0, "hold": 0},
            "change_1d": 0,
        },
    )
    assert_close(f["flow"], {"inflow": 1, "outflow": 1, "reopened": 0, "net": 0})


# --------------------------------------------------------------------------
# scenario 2: events (JSONL), reopen/recontact windows, first reply and TTFMR
# --------------------------------------------------------------------------


@pytest.fixture
def scenario2(tmp_path: Path) -> Path:
    root = tmp_path / "exports"
    write_tickets(
        root,
        "2024-03-12",
        [tk("A6", "2024-03-12T10:00:00Z", None, "open", "rb")],
        fmt="jsonl",
    )
    write_tickets(
        root,
        "2024-03-20",
        [
            tk(
                "A1",
                "2024-03-08T10:00:00Z",
                "2024-03-16T10:00:00Z",
                "open",
                "ra",
                first_reply_at="2024-03-08T11:00:00Z",
            ),
            tk(
                "A2",
                "2024-03-08T10:00:00Z",
                "2024-03-16T10:00:01Z",
                "open",
                "rb",
                first_reply_at="2024-03-08T11:00:00Z",
            ),
            tk(
                "A3",
                "2024-03-10T09:00:00Z",
                "2024-03-13T23:59:59Z",
                "solved",
                "ra",
                solved_at="2024-03-13T23:59:59Z",
                first_reply_at="2024-03-10T10:00:00Z",
            ),
            tk("A4", "2024-03-09T10:00:00Z", None, "open", "rb"),
            tk("A6", "2024-03-12T10:00:00Z", "2024-03-20T09:00:00Z", "deleted", "rb"),
            tk(
                "A7",
                "2024-03-13T10:00:00Z",
                "2024-03-14T00:00:00Z",
                "closed",
                "rc",
                first_reply_at="2024-03-13T10:05:00Z",
            ),
            tk("B1", "2024-03-18T09:00:00Z", "2024-03-18T11:00:00Z", "pending", "rd"),
            tk("B2", "2024-03-19T08:00:00Z", "2024-03-19T08:30:00Z", "open", "re"),
            tk(
                "B3",
                "2024-03-20T12:00:00Z",
                "2024-03-20T14:00:00Z",
                "solved",
                "rf",
                solved_at="2024-03-20T13:00:00Z",
                first_reply_at="2024-03-20T12:45:00Z",
            ),
            tk("B4", "2024-03-20T20:00:00Z", None, "open", "rg"),
            # first_reply_at is ignored: the ticket has comment events
            tk(
                "B5",
                "2024-03-15T10:00:00Z",
                None,
                "open",
                "rh",
                first_reply_at="2024-03-15T10:00:00Z",
            ),
        ],
        fmt="jsonl",
    )
    sc = "status_change"
    write_events(
        root,
        "2024-03-20",
        [
            ev("e01", "A1", "2024-03-09T10:00:00Z", sc, "open", "solved"),
            ev("e02", "A1", "2024-03-16T10:00:00Z", sc, "solved", "open"),  # +168 h exactly
            ev("e03", "A2", "2024-03-09T10:00:00Z", sc, "new", "solved"),
            ev("e04", "A2", "2024-03-16T10:00:01Z", sc, "solved", "open"),  # +168 h + 1 s
            ev("e05", "A3", "2024-03-13T23:59:59Z", sc, "new", "solved"),
            ev("e06", "A7", "2024-03-13T10:05:00Z", sc, "new", "open"),
            ev("e07", "A7", "2024-03-14T00:00:00Z", sc, "open", "closed"),  # midnight
            # B1: agent-created ticket (earliest comment: public agent at created_at)
            ev(
                "e10",
                "B1",
                "2024-03-18T09:00:00Z",
                "comment",
                role="agent",
                public=True,
                body="Hello, we noticed your invoice failed.",
            ),
            ev(
                "e11",
                "B1",
                "2024-03-18T09:30:00Z",
                "comment",
                role="agent",
                public=False,
                body="internal note",
            ),
            ev(
                "e12",
                "B1",
                "2024-03-18T10:00:00Z",
                "comment",
                role="end_user",
                public=True,
                body="Which invoice?",
            ),
            ev(
                "e13",
                "B1",
                "2024-03-18T10:30:00Z",
                "comment",
                role="agent",
                public=True,
                body="We have received your request and will reply soon.",
            ),
            ev(
                "e14",
                "B1",
                "2024-03-18T11:00:00Z",
                "comment",
                role="agent",
                public=True,
                body="It is invoice 42; fixed now.",
            ),
            # B2: a system comment never counts; an auto-ack counts for first reply only
            ev(
                "e20",
                "B2",
                "2024-03-19T08:00:00Z",
                "comment",
                role="system",
                public=True,
                body="This is an automatic notification",
            ),
            ev(
                "e21",
                "B2",
                "2024-03-19T08:01:00Z",
                "comment",
                role="agent",
                public=True,
                body="Thank you. This is an AUTOMATED RESPONSE.",
            ),
            ev(
                "e22",
                "B2",
                "2024-03-19T08:30:00Z",
                "comment",
                role="agent",
                public=True,
                body="Looking into it.",
            ),
            # B4: the reply comes after the as-of instant
            ev(
                "e40",
                "B4",
                "2024-03-21T01:00:00Z",
                "comment",
                role="agent",
                public=True,
                body="On it.",
            ),
            # B5: agent-created, no second public agent comment -> unreplied
            ev(
                "e50",
                "B5",
                "2024-03-15T10:00:00Z",
                "comment",
                role="agent",
                public=True,
                body="We are contacting you about your renewal.",
            ),
        ],
        fmt="jsonl",
    )
    return root


def test_scenario2_rates_and_response(impl, scenario2: Path):
    # D = 03-20; cohort days D-13..D-7 = 03-07..03-13.
    #   first solves: A1 03-09 10:00, A2 03-09 10:00, A3 03-13 23:59:59 -> cohort 3;
    #   A7 first solve 03-14 00:00 (closed, midnight -> day 03-14) is outside; B3 03-20 too.
    # reopen within (fs, fs+168h]: A1 at exactly +168 h counts; A2 at +168 h + 1 s does
    #   not; A3 never reopened -> 1/3
    # recontact: A1 (ra): A3 created 03-10 09:00 in (03-09 10:00, 03-16 10:00] -> yes.
    #   A2 (rb): A4 created 03-09 10:00 = fs (window open at fs) -> no; A6 deleted -> no.
    #   A3 (ra): nothing after 03-13 23:59:59 -> no.  -> 1/3
    # first reply, tickets created 03-14..03-20 with a reply before 03-21 00:00:
    #   B1: earliest comment e10 is a public agent comment at created_at -> skipped;
    #       e11 private, e12 end user; e13 10:30 -> 90 min
    #   B2: e20 system never counts; e21 08:01 -> 1 min
    #   B3: no comment events -> first_reply_at 12:45 -> 45 min
    #   B4: reply at 03-21 01:00, after as-of -> not counted; B5: none
    #   [1, 45, 90] -> p50 45, p90 = 45 + 0.8*(90-45) = 81
    # TTFMR: B1 e13 matches "we have received your request" -> e14 11:00 -> 120 min;
    #   B2 e21 matches "automated response" (case-insensitive) -> e22 08:30 -> 30 min;
    #   B3 45 min (fallback) -> [30, 45, 120] -> p50 45, p90 = 45 + 0.8*75 = 105
    # resolution, first solved 03-14..03-20: A7 03-14 00:00 - 03-13 10:00 = 14 h;
    #   B3 solved_at 13:00 - 12:00 = 1 h -> p50 7.5
    # backlog as of 03-21 00:00: A1 open, A2 open, A4 open, B1 pending, B2 open, B4 open,
    #   B5 open = 7 (A3 solved, A7 closed, B3 solved, A6 deleted)
    # unreplied_open: A4 (no reply), B4 (reply after as-of), B5 -> 3
    f = impl.compute(scenario2, date(2024, 3, 20))
    assert_close(
        f["rates"],
        {
            "reopen_rate_7d": 1 / 3,
            "reopen_cohort": 3,
            "recontact_rate_7d": 1 / 3,
            "recontact_cohort": 3,
        },
    )
    assert_close(
        f["response"],
        {
            "first_reply_p50_minutes": 45.0,
            "first_reply_p90_minutes": 81.0,
            "ttfmr_p50_minutes": 45.0,
            "ttfmr_p90_minutes": 105.0,
            "resolution_p50_hours": 7.5,
            "unreplied_open": 3,
        },
    )
    assert_close(
        f["backlog"],
        {"open_total": 7, "by_status": {"new": 0, "open": 6, "pending": 1, "hold": 0}},
    )


def test_scenario2_event_history(impl, scenario2: Path):
    h = impl.history(scenario2)
    assert "A6" not in h
    # initial status = from_value of the first status event when unsolved ("open")
    assert h["A1"] == [
        (utc("2024-03-08T10:00:00"), None, "open"),
        (utc("2024-03-09T10:00:00"), "open", "solved"),
        (utc("2024-03-16T10:00:00"), "solved", "open"),
    ]
    # no status events: snapshot rule, new -> pending at updated_at
    assert h["B1"] == [
        (utc("2024-03-18T09:00:00"), None, "new"),
        (utc("2024-03-18T11:00:00"), "new", "pending"),
    ]


def test_custom_ack_patterns(impl, scenario2: Path):
    # With no auto-ack patterns TTFMR equals first reply: [1, 45, 90] -> p50 45, p90 81
    f = impl.compute(scenario2, date(2024, 3, 20), ack_patterns=[])
    assert_close(f["response"], {"ttfmr_p50_minutes": 45.0, "ttfmr_p90_minutes": 81.0})


# --------------------------------------------------------------------------
# scenario 3: offsets, naive timestamps and the report time zone
# --------------------------------------------------------------------------


@pytest.fixture
def scenario3(tmp_path: Path) -> Path:
    root = tmp_path / "exports"
    rows = [
        ("C1", "2024-03-10T23:30:00Z"),  # 23:30Z
        ("C2", "2024-03-11T01:30:00+0200"),  # 23:30Z on 03-10
        ("C3", "2024-03-11T00:15:00+01"),  # 23:15Z on 03-10
        ("C4", "2024-03-10T22:00:00Z"),  # 22:00Z
        ("C6", "2024-03-10 23:30:00"),  # naive: source_timezone
    ]
    write_tickets(root, "2024-03-10", [tk(t, c, c, "open") for t, c in rows])
    c5 = "2024-03-11T08:00:00+01:00"  # 07:00Z on 03-11
    write_tickets(root, "2024-03-11", [tk("C5", c5, c5, "open")])
    return root


def test_report_timezone_utc(impl, scenario3: Path):
    # UTC day 03-10 holds C1, C2, C3, C4, C6 (23:30Z) -> inflow 5, backlog 5
    f = impl.compute(scenario3, date(2024, 3, 10))
    assert f["flow"]["inflow"] == 5
    assert f["backlog"]["open_total"] == 5
    # 03-11 UTC: C5 only
    assert impl.compute(scenario3, date(2024, 3, 11))["flow"]["inflow"] == 1


def test_report_timezone_berlin(impl, scenario3: Path):
    # Berlin (CET, +01:00) day 03-10 = [03-09 23:00Z, 03-10 23:00Z): C4 only
    f10 = impl.compute(scenario3, date(2024, 3, 10), report_timezone="Europe/Berlin")
    assert f10["flow"]["inflow"] == 1
    assert f10["backlog"]["open_total"] == 1
    # 1 day of history (the first export 03-10): 1 / 1
    assert_close(f10["flow"]["inflow_7d_avg"], 1.0)
    # Berlin 03-11 = [03-10 23:00Z, 03-11 23:00Z): C1, C2, C3, C6, C5 -> 5; backlog 6
    # 7-day inflow 03-05..03-11 (first export 03-10): 1 + 5 = 6, over 2 days of history: 3.0
    # aging as of 03-11 23:00Z: C4 25 h = 25/24 d (1-3d); C3 23.75 h, C1/C2/C6 23.5 h,
    #   C5 16 h (0-1d) -> oldest C4
    f11 = impl.compute(scenario3, date(2024, 3, 11), report_timezone="Europe/Berlin")
    assert f11["flow"]["inflow"] == 5
    assert f11["backlog"]["open_total"] == 6
    assert_close(f11["flow"]["inflow_7d_avg"], 3.0)
    assert_close(
        f11["aging"],
        {
            "buckets": {"0-1d": 5, "1-3d": 1, "3-7d": 0, "7-14d": 0, "14-30d": 0, "30d+": 0},
            "oldest_ticket_id": "C4",
            "oldest_age_days": 25 / 24,
        },
    )


def test_source_timezone_berlin(impl, scenario3: Path):
    # C6's naive 23:30 read in Berlin = 22:30Z -> Berlin day 03-10 together with C4
    f10 = impl.compute(
        scenario3,
        date(2024, 3, 10),
        report_timezone="Europe/Berlin",
        source_timezone="Europe/Berlin",
    )
    assert f10["flow"]["inflow"] == 2
    f11 = impl.compute(
        scenario3,
        date(2024, 3, 11),
        report_timezone="Europe/Berlin",
        source_timezone="Europe/Berlin",
    )
    assert f11["flow"]["inflow"] == 4
    # explicit offsets ignore source_timezone: C1 stays 23:30Z
    h = impl.history(scenario3, source_timezone="Europe/Berlin")
    assert h["C1"][0] == (utc("2024-03-10T23:30:00"), None, "new")
    assert h["C2"][0][0] == utc("2024-03-10T23:30:00")
    assert h["C3"][0][0] == utc("2024-03-10T23:15:00")
    assert h["C6"][0][0] == utc("2024-03-10T22:30:00")


# --------------------------------------------------------------------------
# scenario 4: snapshot-only histories
# --------------------------------------------------------------------------


@pytest.fixture
def scenario4(tmp_path: Path) -> Path:
    root = tmp_path / "exports"
    write_tickets(
        root,
        "2024-03-01",
        [
            tk("S1", "2024-03-01T09:00:00Z", "2024-03-01T10:00:00Z", "open"),
            tk("S2", "2024-03-01T11:00:00Z", "2024-03-01T11:00:00Z", "new"),
            tk("S3", "2024-03-01T08:00:00Z", "2024-03-01T08:30:00Z", "open"),
            tk(
                "S5",
                "2024-03-01T12:00:00Z",
                "2024-03-01T12:00:00Z",
                "solved",
                solved_at="2024-03-01T12:00:00Z",
            ),
        ],
    )
    write_tickets(
        root,
        "2024-03-02",
        [
            tk(
                "S2",
                "2024-03-01T11:00:00Z",
                "2024-03-02T18:00:00Z",
                "closed",
                solved_at="2024-03-02T09:00:00Z",
            ),
            tk("S3", "2024-03-01T08:00:00Z", "2024-03-02T10:00:00Z", "deleted"),
            tk("S6", "2024-03-01T19:00:00Z", "2024-03-02T10:00:00Z", "pending"),
        ],
    )
    write_tickets(
        root,
        "2024-03-03",
        [
            # unsolved, unsolved before, solved_at in between: solved and reopened
            tk(
                "S1",
                "2024-03-01T09:00:00Z",
                "2024-03-03T12:00:00Z",
                "open",
                solved_at="2024-03-02T15:00:00Z",
            ),
            tk("S3", "2024-03-01T08:00:00Z", "2024-03-03T10:00:00Z", "open"),  # restored
            tk(
                "S5",
                "2024-03-01T12:00:00Z",
                "2024-03-03T00:00:00Z",
                "closed",
                solved_at="2024-03-01T12:00:00Z",
            ),
            # a stale version: older updated_at than the 03-02 export's
            tk("S6", "2024-03-01T19:00:00Z", "2024-03-01T20:00:00Z", "open"),
            # duplicates in one file: latest updated_at wins, exact copy folded
            tk("S7", "2024-03-03T08:00:00Z", "2024-03-03T09:00:00Z", "open"),
            tk(
                "S7",
                "2024-03-03T08:00:00Z",
                "2024-03-03T11:00:00Z",
                "solved",
                solved_at="2024-03-03T11:00:00Z",
            ),
            tk(
                "S7",
                "2024-03-03T08:00:00Z",
                "2024-03-03T11:00:00Z",
                "solved",
                solved_at="2024-03-03T11:00:00Z",
            ),
            tk("S8", "2024-03-03T13:00:00Z", "2024-03-03T13:00:00Z", "solved"),
        ],
    )
    return root


def test_scenario4_snapshot_histories(impl, scenario4: Path):
    h = impl.history(scenario4)
    assert h["S1"] == [
        (utc("2024-03-01T09:00:00"), None, "new"),
        (utc("2024-03-01T10:00:00"), "new", "open"),
        (utc("2024-03-02T15:00:00"), "open", "solved"),  # solve at solved_at
        (utc("2024-03-03T12:00:00"), "solved", "open"),  # reopen at updated_at
    ]
    # new (same as the creation row: no transition), solved at solved_at, closed by
    # the version's updated_at
    assert h["S2"] == [
        (utc("2024-03-01T11:00:00"), None, "new"),
        (utc("2024-03-02T09:00:00"), "new", "solved"),
        (utc("2024-03-02T18:00:00"), "solved", "closed"),
    ]
    # deleted then restored: the deleted version is ignored, open -> open is no change
    assert h["S3"] == [
        (utc("2024-03-01T08:00:00"), None, "new"),
        (utc("2024-03-01T08:30:00"), "new", "open"),
    ]
    # solved -> closed at updated_at (exactly midnight)
    assert h["S5"] == [
        (utc("2024-03-01T12:00:00"), None, "new"),
        (utc("2024-03-01T12:00:00"), "new", "solved"),
        (utc("2024-03-03T00:00:00"), "solved", "closed"),
    ]
    # versions ordered by updated_at, not by export date
    assert h["S6"] == [
        (utc("2024-03-01T19:00:00"), None, "new"),
        (utc("2024-03-01T20:00:00"), "new", "open"),
        (utc("2024-03-02T10:00:00"), "open", "pending"),
    ]
    assert h["S7"] == [
        (utc("2024-03-03T08:00:00"), None, "new"),
        (utc("2024-03-03T11:00:00"), "new", "solved"),
    ]
    assert h["S8"] == [
        (utc("2024-03-03T13:00:00"), None, "new"),
        (utc("2024-03-03T13:00:00"), "new", "solved"),
    ]


def test_scenario4_flows(impl, scenario4: Path):
    # daily: 03-01 inflow S1,S2,S3,S5,S6 = 5, outflow S5 = 1
    #        03-02 inflow 0, outflow S1 (15:00), S2 (09:00, new->closed) = 2
    #        03-03 inflow S7, S8 = 2, outflow S7, S8 = 2 (S5 solved->closed is not
    #              outflow), reopened S1 = 1
    # backlog as of 03-02 end: S3 open, S6 pending = 2; as of 03-03 end: S1 open, S3 open,
    #   S6 pending = 3 -> change_1d 1 = 2 + 1 - 2; change_7d 3
    # 7-day sums: inflow 7, outflow 5, reopened 1 -> since: 03-03 8>5, 03-02 5>3,
    #   03-01 5>1 -> 2024-03-01; 3 days of history (03-01..03-03): averages 7/3, 5/3, 1/3;
    #   projected 3 + 14*(7+1-5)/3 = 3 + 14 = 17; backlog_days 3/(5/3) = 1.8
    # resolution (first solve 02-26..03-03): S1 30 h, S2 22 h, S5 0, S7 3 h, S8 0
    #   -> [0, 0, 3, 22, 30] -> p50 3
    # aging as of 03-04 00:00: S1 63 h, S3 64 h, S6 53 h -> all 1-3d; oldest S3 64/24
    f = impl.compute(scenario4, date(2024, 3, 3))
    assert_close(
        f,
        {
            "backlog": {
                "open_total": 3,
                "by_status": {"new": 0, "open": 2, "pending": 1, "hold": 0},
                "change_1d": 1,
                "change_7d": 3,
            },
            "flow": {
                "inflow": 2,
                "outflow": 2,
                "reopened": 1,
                "net": 1,
                "history_days": 3,
                "inflow_7d_avg": 7 / 3,
                "outflow_7d_avg": 5 / 3,
                "reopened_7d_avg": 1 / 3,
                "inflow_above_outflow_since": "2024-03-01",
                "days_to_drain": None,
                "projected_backlog_14d": 17,
            },
            "aging": {
                "buckets": {
                    "0-1d": 0,
                    "1-3d": 3,
                    "3-7d": 0,
                    "7-14d": 0,
                    "14-30d": 0,
                    "30d+": 0,
                },
                "oldest_ticket_id": "S3",
                "oldest_age_days": 64 / 24,
            },
            "response": {"resolution_p50_hours": 3.0},
            "backlog_days": 1.8,
        },
    )
    # 03-02: backlog(03-01) = S1 open, S2 new, S3 open, S6 open = 4; 4 + 0 - 2 + 0 = 2
    f2 = impl.compute(scenario4, date(2024, 3, 2))
    assert_close(
        f2["backlog"],
        {
            "open_total": 2,
            "by_status": {"new": 0, "open": 1, "pending": 1, "hold": 0},
            "change_1d": -2,
        },
    )
    assert_close(f2["flow"], {"inflow": 0, "outflow": 2, "reopened": 0, "net": -2})


def test_created_solved_with_later_updated_at(impl, tmp_path: Path):
    # DECISIONLOG reading: solved_at == created_at on the first version means "created
    # already solved" (docs/metrics.md: solved at created_at, 0 h), even though the version's
    # updated_at is later. A strictly-after reading would put the solve at 14:30.
    root = tmp_path / "exports"
    write_tickets(
        root,
        "2024-03-02",
        [
            tk(
                "S4",
                "2024-03-02T14:00:00Z",
                "2024-03-02T14:30:00Z",
                "solved",
                solved_at="2024-03-02T14:00:00Z",
            )
        ],
    )
    assert impl.history(root)["S4"] == [
        (utc("2024-03-02T14:00:00"), None, "new"),
        (utc("2024-03-02T14:00:00"), "new", "solved"),
    ]
    f = impl.compute(root, date(2024, 3, 2))
    assert_close(f["response"], {"resolution_p50_hours": 0.0})
    assert_close(f["flow"], {"inflow": 1, "outflow": 1, "net": 0})


# --------------------------------------------------------------------------
# scenario 5: event-sourced history details
# --------------------------------------------------------------------------


def test_event_history_chain(impl, tmp_path: Path):
    root = tmp_path / "exports"
    write_tickets(
        root,
        "2024-03-05",
        [
            tk("E1", "2024-03-05T10:00:00Z", "2024-03-05T15:00:00Z", "open"),
            tk("E3", "2024-03-05T11:00:00Z", "2024-03-05T12:00:00Z", "pending"),
        ],
    )
    # a later snapshot says solved: ignored, E1's history comes from its events only
    write_tickets(
        root, "2024-03-06", [tk("E1", "2024-03-05T10:00:00Z", "2024-03-06T09:00:00Z", "solved")]
    )
    sc = "status_change"
    write_events(
        root,
        "2024-03-05",
        [
            ev("x1", "E1", "2024-03-05T09:00:00Z", sc, "open", "pending"),  # before created
            ev("x2", "E1", "2024-03-05T12:00:00Z", sc, "pending", "pending"),  # no change
            ev("x3", "E1", "2024-03-05T13:00:00Z", sc, "hold", "solved"),  # wrong from_value
            ev("x4", "E1", "2024-03-05T14:00:00Z", sc, "solved", "deleted"),  # ignored
            ev("x5", "E1", "2024-03-05T15:00:00Z", sc, "deleted", "open"),
            ev(
                "x6",
                "E3",
                "2024-03-05T11:30:00Z",
                "comment",
                role="end_user",
                public=True,
                body="help",
            ),
            ev("x7", "E3", "2024-03-05T12:00:00Z", sc, None, "pending"),
        ],
    )
    h = impl.history(root)
    # initial status = first status event's from_value "open"; x1 moved to created_at;
    # from is always the previous to: pending -> solved; deleted ignored: solved -> open
    assert h["E1"] == [
        (utc("2024-03-05T10:00:00"), None, "open"),
        (utc("2024-03-05T10:00:00"), "open", "pending"),
        (utc("2024-03-05T13:00:00"), "pending", "solved"),
        (utc("2024-03-05T15:00:00"), "solved", "open"),
    ]
    assert h["E3"] == [
        (utc("2024-03-05T11:00:00"), None, "new"),
        (utc("2024-03-05T12:00:00"), "new", "pending"),
    ]
    # 03-05: inflow 2, outflow E1 1, reopened E1 1 -> backlog 2 (E1 open, E3 pending)
    f = impl.compute(root, date(2024, 3, 5))
    assert_close(f["flow"], {"inflow": 2, "outflow": 1, "reopened": 1, "net": 2})
    assert_close(
        f["backlog"],
        {"open_total": 2, "by_status": {"new": 0, "open": 1, "pending": 1, "hold": 0}},
    )


def test_event_history_starting_solved(impl, tmp_path: Path):
    # DECISIONLOG reading: a first status event whose from_value is solved means the
    # history starts solved -> new and new -> solved at created_at, then the event.
    root = tmp_path / "exports"
    write_tickets(
        root, "2024-03-06", [tk("E2", "2024-03-05T10:00:00Z", "2024-03-06T09:00:00Z", "open")]
    )
    write_events(
        root,
        "2024-03-06",
        [ev("y1", "E2", "2024-03-06T09:00:00Z", "status_change", "solved", "open")],
    )
    assert impl.history(root)["E2"] == [
        (utc("2024-03-05T10:00:00"), None, "new"),
        (utc("2024-03-05T10:00:00"), "new", "solved"),
        (utc("2024-03-06T09:00:00"), "solved", "open"),
    ]


def test_a_first_event_without_from_value_invents_no_solve(impl, tmp_path: Path):
    # DuckDB's arg_min skips NULL arguments: the first event's from (NULL) must stay the
    # first from, not the next event's "solved". Created 10:00; ev 11:00 NULL -> pending;
    # ev 12:00 solved -> open (its solve was never exported): no solve at creation, so no
    # reopen at 11:00; the chain is new -> pending -> open.
    root = tmp_path / "exports"
    write_tickets(
        root, "2024-03-05", [tk("N1", "2024-03-05T10:00:00Z", "2024-03-05T12:00:00Z", "open")]
    )
    sc = "status_change"
    write_events(
        root,
        "2024-03-05",
        [
            ev("n1", "N1", "2024-03-05T11:00:00Z", sc, None, "pending"),
            ev("n2", "N1", "2024-03-05T12:00:00Z", sc, "solved", "open"),
        ],
    )
    assert impl.history(root)["N1"] == [
        (utc("2024-03-05T10:00:00"), None, "new"),
        (utc("2024-03-05T11:00:00"), "new", "pending"),
        (utc("2024-03-05T12:00:00"), "pending", "open"),
    ]
    # inflow 1 (N1), outflow 0 (no solve), reopened 0 -> backlog 0 + 1 - 0 + 0 = 1
    f = impl.compute(root, date(2024, 3, 5))
    assert_close(f["flow"], {"inflow": 1, "outflow": 0, "reopened": 0, "net": 1})


def test_events_tied_on_time_keep_their_file_order(impl, tmp_path: Path):
    # Two status events at one instant: the row order of the export decides (open -> solved
    # at 11:00 then solved -> closed at 11:00), whatever the event ids say.
    root = tmp_path / "exports"
    write_tickets(
        root, "2024-03-05", [tk("N2", "2024-03-05T10:00:00Z", "2024-03-05T11:00:00Z", "closed")]
    )
    sc = "status_change"
    write_events(
        root,
        "2024-03-05",
        [
            ev("z9", "N2", "2024-03-05T11:00:00Z", sc, "new", "solved"),
            ev("a1", "N2", "2024-03-05T11:00:00Z", sc, "solved", "closed"),
        ],
    )
    assert impl.history(root)["N2"] == [
        (utc("2024-03-05T10:00:00"), None, "new"),
        (utc("2024-03-05T11:00:00"), "new", "solved"),
        (utc("2024-03-05T11:00:00"), "solved", "closed"),
    ]


# --------------------------------------------------------------------------
# SLA
# --------------------------------------------------------------------------


@pytest.fixture
def sla_root(tmp_path: Path) -> Path:
    root = tmp_path / "exports"
    write_tickets(
        root,
        "2024-04-02",
        [
            tk(
                "P1",
                "2024-04-02T06:00:00Z",
                None,
                "open",
                priority="high",
                first_reply_at="2024-04-02T06:20:00Z",
            ),
            tk(
                "P2",
                "2024-04-02T06:30:00Z",
                None,
                "open",
                priority="high",
                first_reply_at="2024-04-02T06:40:00Z",
            ),
            tk("P3", "2024-04-02T23:52:30Z", None, "open", priority="urgent"),
            tk("P4", "2024-04-02T23:55:00Z", None, "open", priority="urgent"),
            tk(
                "P5",
                "2024-04-02T19:00:00Z",
                "2024-04-02T23:30:00Z",
                "open",
                first_reply_at="2024-04-02T23:30:00Z",
            ),
            tk(
                "P6",
                "2024-03-28T00:00:00Z",
                "2024-03-28T23:00:00Z",
                "open",
                priority="low",
                first_reply_at="2024-03-28T23:00:00Z",
            ),
            tk("P7", "2024-04-02T20:30:00Z", None, "new", priority="normal"),
            tk(
                "P8",
                "2024-04-02T01:00:00Z",
                "2024-04-02T01:05:00Z",
                "solved",
                priority="urgent",
                solved_at="2024-04-02T01:05:00Z",
            ),
        ],
    )
    write_tickets(
        root,
        "2024-04-03",
        [
            tk(
                "P7",
                "2024-04-02T20:30:00Z",
                "2024-04-03T00:10:00Z",
                "open",
                priority="normal",
                first_reply_at="2024-04-03T00:10:00Z",
            )
        ],
    )
    return root


def test_sla(impl, sla_root: Path):
    # as of 04-03 00:00; backlog P1..P7 (P8 solved, would be breached otherwise)
    #   P1 high: replied in 20 min; resolution 18 h / 24 h = 0.75 -> at risk
    #   P2 high: replied in 10 min; 17.5 h / 24 h = 0.729 -> nothing
    #   P3 urgent, unreplied: 7.5 min / 10 min = 0.75 -> at risk
    #   P4 urgent, unreplied: 5 / 10 = 0.5 -> nothing
    #   P5 no priority -> normal: reply after 4 h 30 > 4 h -> breached
    #   P6 low: replied after 23 h <= 24 h; 144 h / 168 h = 0.857 -> at risk
    #   P7 normal: its reply (04-03 00:10) is after as-of -> unreplied, 3.5 h / 4 h = 0.875
    #      -> at risk; status still new at as-of (the change to open is at 00:10)
    # breached 1, at_risk 4; unreplied_open P3, P4, P7 = 3
    f = impl.compute(sla_root, date(2024, 4, 2))
    assert_close(f["sla"], {"breached_open": 1, "at_risk_open": 4})
    assert_close(f["response"], {"unreplied_open": 3})
    assert_close(
        f["backlog"],
        {"open_total": 7, "by_status": {"new": 1, "open": 6, "pending": 0, "hold": 0}},
    )


def test_sla_configured(impl, sla_root: Path):
    # normal first reply target 300 min: P5's 270 min reply is in time (resolution
    # 5 h / 72 h); P7 3.5 h / 5 h = 0.7 -> neither. breached 0, at risk P1, P3, P6 = 3
    f = impl.compute(sla_root, date(2024, 4, 2), sla={"normal": {"first_reply_minutes": 300}})
    assert_close(f["sla"], {"breached_open": 0, "at_risk_open": 3})


# --------------------------------------------------------------------------
# drivers
# --------------------------------------------------------------------------


def test_drivers_top5_ties_and_spikes(impl, tmp_path: Path):
    # D = 05-31: recent window 05-25..05-31, baseline window 04-27..05-24 (count / 4).
    # recent tickets t1..t15 (+ one untagged, + one deleted "zulu"):
    #   t1..t10: alpha bravo charlie delta echo foxtrot zulu golf
    #   t11: alpha..foxtrot; t12: alpha..delta; t13: alpha..charlie; t14: alpha bravo;
    #   t15: alpha
    #   -> alpha 15, bravo 14, charlie 13, delta 12, echo 11, foxtrot 11, zulu 10, golf 10
    # baseline: b0..b35 tagged alpha..foxtrot (36 -> 9/week), b0..b15 also golf (16 -> 4);
    #   one alpha ticket on 04-26 is outside the window
    # inflow over the window: 16 (t1..t15 + untagged; the deleted one is out)
    # spike: alpha (15-9)/3 = 2, bravo 5/3, charlie 4/3, delta 1, echo 2/3 -> no;
    #   zulu (10-0)/sqrt(1) = 10 -> spike; golf (10-4)/2 = 3 -> spike (>= 3)
    # top 5: alpha, bravo, charlie, delta, echo (echo beats foxtrot on name);
    #   the spikes outside the top 5 (golf, zulu) would follow, but the baseline is not complete
    root = tmp_path / "exports"
    full = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"]
    rows = []
    for i in range(1, 16):
        if i <= 10:
            tags = [*full, "zulu", "golf"]
        elif i == 11:
            tags = full
        else:
            tags = full[: 4 - (i - 12)] if i < 15 else ["alpha"]
            if i == 14:
                tags = ["alpha", "bravo"]
        if i == 1:
            tags = [" ALPHA", *tags[1:]]
        created = f"2024-05-{25 + (i % 7):02d}T12:00:00Z"
        rows.append(tk(f"t{i:02d}", created, None, "open", tags=";".join(tags)))
    rows.append(tk("t16", "2024-05-31T12:00:00Z", None, "open"))
    rows.append(tk("tdel", "2024-05-30T12:00:00Z", None, "deleted", tags="zulu"))
    for j in range(36):
        day = date.fromordinal(date(2024, 4, 27).toordinal() + j % 28)
        tags = full + (["golf"] if j < 16 else [])
        rows.append(
            tk(f"b{j:02d}", f"{day.isoformat()}T12:00:00Z", None, "open", tags=";".join(tags))
        )
    rows.append(tk("bout", "2024-04-26T12:00:00Z", None, "open", tags="alpha"))
    write_tickets(root, "2024-05-31", rows)

    def d(name, n, base, spike):
        return {
            "driver": name,
            "tickets_7d": n,
            "baseline_weekly": base,
            "share_7d": n / 16,
            "growth": (n / base) if base else None,
            "spike": spike,
        }

    f = impl.compute(root, date(2024, 5, 31))
    assert_close(
        f["drivers"],
        [
            d("alpha", 15, 9.0, False),
            d("bravo", 14, 9.0, False),
            d("charlie", 13, 9.0, False),
            d("delta", 12, 9.0, False),
            d("echo", 11, 9.0, False),
            # golf (10-4)/2 = 3 and zulu (10-0)/1 = 10 pass the formula, but the one export
            # is 2024-05-31: the baseline 04-27..05-24 lies before it, so no spike and the
            # list is the top 5 (the formula on a complete baseline: test_invariants.py)
        ],
    )


# --------------------------------------------------------------------------
# flows across the first export
# --------------------------------------------------------------------------


@pytest.fixture
def scenario6(tmp_path: Path) -> Path:
    root = tmp_path / "exports"
    write_tickets(
        root,
        "2024-06-03",
        [
            tk("Q1", "2024-05-20T10:00:00Z", "2024-06-03T09:00:00Z", "open", "rz"),
            tk("Q2", "2024-05-31T10:00:00Z", "2024-06-03T10:00:00Z", "open", "rq"),
            tk("Q3", "2024-06-01T08:00:00Z", "2024-06-03T08:00:00Z", "pending", "ry"),
            tk(
                "Q5",
                "2024-05-28T09:00:00Z",
                "2024-05-29T09:00:00Z",
                "solved",
                "rq",
                solved_at="2024-05-29T09:00:00Z",
            ),
        ],
    )
    write_tickets(
        root,
        "2024-06-04",
        [
            tk(
                "Q2",
                "2024-05-31T10:00:00Z",
                "2024-06-04T11:00:00Z",
                "solved",
                "rq",
                solved_at="2024-06-04T11:00:00Z",
            ),
            tk("Q4", "2024-06-04T09:00:00Z", None, "open", "rx"),
        ],
    )
    write_tickets(
        root,
        "2024-06-05",
        [
            tk(
                "Q1",
                "2024-05-20T10:00:00Z",
                "2024-06-05T10:00:00Z",
                "solved",
                "rz",
                solved_at="2024-06-05T10:00:00Z",
            )
        ],
    )
    write_tickets(
        root,
        "2024-06-06",
        [
            tk(
                "Q3",
                "2024-06-01T08:00:00Z",
                "2024-06-06T12:00:00Z",
                "solved",
                "ry",
                solved_at="2024-06-06T12:00:00Z",
            )
        ],
    )
    return root


def test_scenario6_full_digest(impl, scenario6: Path):
    # first export 06-03. Raw daily: inflow 05-20 Q1, 05-28 Q5, 05-31 Q2, 06-01 Q3,
    #   06-04 Q4; outflow 05-29 Q5, 06-04 Q2, 06-05 Q1, 06-06 Q3.
    # D = 06-06: inflow 0, outflow 1, net -1
    # 7-day sums 05-31..06-06, days before 06-03 zero: inflow 1 (Q4), outflow 3
    #   -> 1 > 3 false -> since None; 4 days of history (06-03..06-06): averages 1/4, 3/4;
    #   days_to_drain = 1 / ((3-1)/4) = 2.0; projected max(0, 1 + 14*(1-3)/4) = max(0, -6) = 0;
    #   backlog_days 1 / (3/4) = 4/3
    # backlog: as of 06-07 00:00 Q4 open = 1; as of 06-06 00:00 Q3 pending + Q4 = 2
    #   (change_1d -1); as of 05-31 00:00 (D-7 = 05-30) Q1 new = 1 (Q5 solved), known
    #   from later exports though before the first one -> change_7d 0
    # aging: Q4 06-04 09:00 -> 63 h = 2.625 d
    # rates: cohort 05-24..05-30: Q5 (first solve 05-29 09:00) = 1; no reopen -> 0.0;
    #   recontact: Q2 by rq created 05-31 10:00 in (05-29 09:00, 06-05 09:00] -> 1.0
    # response: no replies anywhere -> None; resolution (first solve 05-31..06-06):
    #   Q2 97 h, Q3 124 h, Q1 384 h -> p50 124; unreplied_open 1 (Q4)
    # SLA: Q4 normal, unreplied 63 h > 4 h -> breached 1
    f = impl.compute(scenario6, date(2024, 6, 6))
    assert_close(
        f,
        {
            "backlog": {
                "open_total": 1,
                "by_status": {"new": 0, "open": 1, "pending": 0, "hold": 0},
                "change_1d": -1,
                "change_7d": 0,
            },
            "flow": {
                "inflow": 0,
                "outflow": 1,
                "reopened": 0,
                "net": -1,
                "history_days": 4,
                "inflow_7d_avg": 1 / 4,
                "outflow_7d_avg": 3 / 4,
                "reopened_7d_avg": 0.0,
                "inflow_above_outflow_since": None,
                "days_to_drain": 2.0,
                "projected_backlog_14d": 0,
            },
            "aging": {
                "buckets": {
                    "0-1d": 0,
                    "1-3d": 1,
                    "3-7d": 0,
                    "7-14d": 0,
                    "14-30d": 0,
                    "30d+": 0,
                },
                "oldest_ticket_id": "Q4",
                "oldest_age_days": 2.625,
            },
            "rates": {
                "reopen_rate_7d": 0.0,
                "reopen_cohort": 1,
                "recontact_rate_7d": 1.0,
                "recontact_cohort": 1,
            },
            "response": {
                "first_reply_p50_minutes": None,
                "first_reply_p90_minutes": None,
                "ttfmr_p50_minutes": None,
                "ttfmr_p90_minutes": None,
                "resolution_p50_hours": 124.0,
                "unreplied_open": 1,
            },
            "sla": {"breached_open": 1, "at_risk_open": 0},
            "backlog_days": 4 / 3,
            "drivers": [],
        },
    )


def test_scenario6_equal_flows(impl, scenario6: Path):
    # D = 06-04: 7-day sums inflow 1 (Q4), outflow 1 (Q2): 1 > 1 is false -> None;
    # drain denominator 0 -> None; backlog Q1 open, Q3 pending, Q4 open = 3;
    # 2 days of history (06-03, 06-04): backlog_days 3 / (1/2) = 6
    f = impl.compute(scenario6, date(2024, 6, 4))
    assert_close(
        f["flow"],
        {
            "inflow": 1,
            "outflow": 1,
            "inflow_above_outflow_since": None,
            "days_to_drain": None,
            "projected_backlog_14d": 3,
        },
    )
    assert_close(f["backlog_days"], 6.0)


def test_inflow_above_outflow_run(impl, tmp_path: Path):
    # 07-01: R1 created 10:00, solved 11:00 (in 1, out 1: 1 > 1 false)
    # 07-02: R2 created (sums in 2, out 1: true); 07-03: R1 reopened (in 2 + re 1 > 1)
    # 07-04: R3 created (in 3 + re 1 > out 1) -> run starts 07-02
    # backlog 07-04: R1, R2, R3 open = 3; 07-03: R1, R2 = 2 -> change_1d 1
    # 4 days of history (07-01..07-04): averages 3/4, 1/4, 1/4
    # projected round(3 + 14*(3+1-1)/4) = round(13.5) = 14 (half away from zero);
    # backlog_days 3 / (1/4) = 12
    root = tmp_path / "exports"
    write_tickets(
        root,
        "2024-07-01",
        [
            tk(
                "R1",
                "2024-07-01T10:00:00Z",
                "2024-07-01T11:00:00Z",
                "solved",
                solved_at="2024-07-01T11:00:00Z",
            )
        ],
    )
    write_tickets(root, "2024-07-02", [tk("R2", "2024-07-02T10:00:00Z", None, "open")])
    write_tickets(
        root,
        "2024-07-03",
        [
            tk(
                "R1",
                "2024-07-01T10:00:00Z",
                "2024-07-03T10:00:00Z",
                "open",
                solved_at="2024-07-01T11:00:00Z",
            )
        ],
    )
    write_tickets(root, "2024-07-04", [tk("R3", "2024-07-04T09:00:00Z", None, "open")])
    f = impl.compute(root, date(2024, 7, 4))
    assert_close(
        f["flow"],
        {
            "inflow": 1,
            "outflow": 0,
            "reopened": 0,
            "net": 1,
            "history_days": 4,
            "inflow_7d_avg": 3 / 4,
            "outflow_7d_avg": 1 / 4,
            "reopened_7d_avg": 1 / 4,
            "inflow_above_outflow_since": "2024-07-02",
            "days_to_drain": None,
            "projected_backlog_14d": 14,
        },
    )
    assert_close(f["backlog"], {"open_total": 3, "change_1d": 1, "change_7d": 3})
    assert_close(f["backlog_days"], 12.0)
    # 07-03: reopened 1, net 1
    assert_close(impl.compute(root, date(2024, 7, 3))["flow"], {"reopened": 1, "net": 1})


# --------------------------------------------------------------------------
# formats and helpers
# --------------------------------------------------------------------------


def test_parquet_tickets(impl, tmp_path: Path):
    pl = pytest.importorskip("polars")
    root = tmp_path / "exports"
    (root / "2024-08-01").mkdir(parents=True)
    pl.DataFrame(
        {
            "ticket_id": ["K1", "K2"],
            "created_at": [
                datetime(2024, 8, 1, 10, tzinfo=UTC),
                datetime(2024, 8, 1, 23, 30, tzinfo=UTC),
            ],
            "updated_at": [
                datetime(2024, 8, 1, 10, tzinfo=UTC),
                datetime(2024, 8, 1, 23, 30, tzinfo=UTC),
            ],
            "status": ["open", "new"],
            "requester_id": ["r1", "r2"],
            "tags": [["Alpha", "beta"], ["alpha"]],
        }
    ).write_parquet(root / "2024-08-01" / "tickets.parquet")
    # UTC: both on 08-01 -> inflow 2; alpha 2 (share 1.0), beta 1 (share 0.5)
    f = impl.compute(root, date(2024, 8, 1))
    assert f["flow"]["inflow"] == 2
    assert [(x["driver"], x["tickets_7d"]) for x in f["drivers"]] == [("alpha", 2), ("beta", 1)]
    assert_close(f["drivers"][1]["share_7d"], 0.5)
    # Berlin (CEST, +02:00): K2 is 08-02 01:30 -> 08-01 inflow 1
    assert (
        impl.compute(root, date(2024, 8, 1), report_timezone="Europe/Berlin")["flow"]["inflow"] == 1
    )


def test_quantile_cont():
    # n = 4, q = 0.9: position 0.9*3 = 2.7 -> 3 + 0.7*(4-3) = 3.7; median 2.5
    assert quantile_cont([4, 1, 3, 2], 0.9) == pytest.approx(3.7)
    assert quantile_cont([4, 1, 3, 2], 0.5) == pytest.approx(2.5)
    assert quantile_cont([7], 0.9) == 7
    assert quantile_cont([], 0.5) is None


def test_reply_before_the_first_exported_events_comes_from_the_ticket_row(impl, tmp_path: Path):
    # The first export (2024-06-10) carries C1, created three days earlier and answered
    # on 06-07 11:00 per the helpdesk; the events file only covers 06-10, where an agent
    # follows up at 09:00. Events cannot see 06-07, so C1's first reply is 60 min, not
    # 3 days. C2 is created inside the events' coverage: its events decide (45 min),
    # not the exported 30 min.
    root = tmp_path / "exports"
    write_tickets(
        root,
        "2024-06-10",
        [
            tk(
                "C1",
                "2024-06-07T10:00:00Z",
                "2024-06-10T09:00:00Z",
                "open",
                first_reply_at="2024-06-07T11:00:00Z",
            ),
            tk(
                "C2",
                "2024-06-10T08:00:00Z",
                "2024-06-10T08:45:00Z",
                "open",
                requester="r2",
                first_reply_at="2024-06-10T08:30:00Z",
            ),
        ],
    )
    write_events(
        root,
        "2024-06-10",
        [
            ev(
                "x1",
                "C1",
                "2024-06-10T09:00:00Z",
                "comment",
                role="agent",
                public=True,
                body="Following up on this.",
            ),
            ev("x2", "C2", "2024-06-10T08:00:00Z", "status_change", None, "new", "end_user"),
            ev(
                "x3",
                "C2",
                "2024-06-10T08:45:00Z",
                "comment",
                role="agent",
                public=True,
                body="Here is how to fix it.",
            ),
            ev("x4", "C2", "2024-06-10T08:45:00Z", "status_change", "new", "open", "agent"),
        ],
    )
    f = impl.compute(root, date(2024, 6, 10))
    assert f["response"]["first_reply_p50_minutes"] == pytest.approx((60 + 45) / 2)
    assert f["response"]["ttfmr_p50_minutes"] == pytest.approx((60 + 45) / 2)
    assert f["response"]["unreplied_open"] == 0


def test_a_newer_solved_at_on_a_solved_ticket_is_a_reopen_and_a_resolve(impl, tmp_path: Path):
    # R1 is seen solved on 08-01 (solved 10:00) and solved again on 08-03 with a newer
    # solved_at (09:00): it was reopened and solved again in between. The reopen's instant
    # is unknown; it is placed at the new solve, so 08-03 has one reopen and one outflow.
    root = tmp_path / "exports"
    write_tickets(
        root,
        "2024-08-01",
        [
            tk(
                "R1",
                "2024-08-01T08:00:00Z",
                "2024-08-01T10:00:00Z",
                "solved",
                solved_at="2024-08-01T10:00:00Z",
            ),
        ],
    )
    write_tickets(
        root,
        "2024-08-03",
        [
            tk(
                "R1",
                "2024-08-01T08:00:00Z",
                "2024-08-03T09:00:00Z",
                "solved",
                solved_at="2024-08-03T09:00:00Z",
            ),
        ],
    )
    assert impl.history(root)["R1"] == [
        (utc("2024-08-01T08:00:00"), None, "new"),
        (utc("2024-08-01T10:00:00"), "new", "solved"),
        (utc("2024-08-03T09:00:00"), "solved", "open"),
        (utc("2024-08-03T09:00:00"), "open", "solved"),
    ]
    flow = impl.compute(root, date(2024, 8, 3))["flow"]
    assert (flow["inflow"], flow["outflow"], flow["reopened"]) == (0, 1, 1)


def test_a_carried_over_ticket_keeps_its_snapshot_before_its_first_event(impl, tmp_path: Path):
    # P1 was created on 07-25 and went pending on 07-28 (its first export's updated_at);
    # events begin on 08-02 with pending -> open. The snapshot tells when it went pending.
    root = tmp_path / "exports"
    p1 = tk("P1", "2024-07-25T08:00:00Z", "2024-07-28T08:00:00Z", "pending")
    write_tickets(root, "2024-08-01", [p1])
    write_tickets(
        root, "2024-08-02", [{**p1, "updated_at": "2024-08-02T10:00:00Z", "status": "open"}]
    )
    write_events(
        root,
        "2024-08-02",
        [
            ev("p1", "P1", "2024-08-02T10:00:00Z", "status_change", "pending", "open", "end_user"),
        ],
    )
    assert impl.history(root)["P1"] == [
        (utc("2024-07-25T08:00:00"), None, "new"),
        (utc("2024-07-28T08:00:00"), "new", "pending"),
        (utc("2024-08-02T10:00:00"), "pending", "open"),
    ]
