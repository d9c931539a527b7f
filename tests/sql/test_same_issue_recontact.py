"""Same-issue recontact (the same problem came back) on a hand-built history.

Every expected figure was worked out by hand from the definition (a cohort ticket counts
when, within (first solve, first solve + 168 h], its requester opened another non-deleted
ticket sharing a driver value with it, or the helpdesk links a follow-up to it); the
arithmetic is beside each ticket. Both implementations (the oracle and the warehouse) run.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

try:
    from exports import tk, write_tickets
    from impls import IMPLEMENTATIONS
except ImportError:  # tests/ imported as a package
    from tests.support.exports import tk, write_tickets
    from tests.support.impls import IMPLEMENTATIONS

D = date(2024, 8, 20)  # cohort: first solved in D-13..D-7 = 08-07..08-13


def solved(tid: str, requester: str, tags: list[str], solved_at: str, **extra: Any) -> dict:
    """A ticket created two hours before its solve, exported solved."""
    created = solved_at[:11] + f"{int(solved_at[11:13]) - 2:02d}" + solved_at[13:]
    return tk(tid, created, solved_at, "solved", requester, tags=tags, solved_at=solved_at, **extra)


def opened(tid: str, requester: str, tags: list[str], created: str, **extra: Any) -> dict:
    return tk(tid, created, None, "open", requester, tags=tags, **extra)


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("same-issue") / "exports"
    write_tickets(
        root,
        "2024-08-12",
        [
            # S1 solved 08-08 10:00; S2 (same requester) 08-10 09:00 shares "refund" -> same issue
            solved("S1", "r1", ["billing", "refund"], "2024-08-08T10:00:00Z"),
            opened("S2", "r1", ["refund"], "2024-08-10T09:00:00Z"),
            # N1 solved 08-08 10:00; N2 08-09 shares nothing -> any-ticket only
            solved("N1", "r2", ["login"], "2024-08-08T10:00:00Z"),
            opened("N2", "r2", ["billing"], "2024-08-09T09:00:00Z"),
            # L1 lists L2 as its follow-up (Zendesk followup_ids); L2 by a colleague (r4),
            # no shared tag, 08-11 -> linked: same issue (and any-ticket, through the link)
            solved("L1", "r3", ["export"], "2024-08-09T10:00:00Z", followup_ids=["L2"]),
            opened("L2", "r4", ["other"], "2024-08-11T09:00:00Z", followup_ids=[]),
            # V2 names V1 as the ticket it follows up (via.source.rel = follow_up,
            # via.source.from.ticket_id = V1); other requester -> same issue, not any-ticket
            solved("V1", "r5", ["api"], "2024-08-09T12:00:00Z"),
            opened(
                "V2",
                "r6",
                ["webhooks"],
                "2024-08-10T09:00:00Z",
                via_followup_source_id="follow_up",
                followup_source_id="V1",
            ),
            # D1 lists D2, same requester and tag, but D2 is deleted on 08-20 -> neither
            solved("D1", "r7", ["sso"], "2024-08-09T10:00:00Z", followup_ids=["D2"]),
            opened("D2", "r7", ["sso"], "2024-08-10T09:00:00Z"),
            # E1 and F1 solved 08-10 10:00:00: E2 at exactly +168 h counts, F2 at +168 h 1 s not
            solved("E1", "r8", ["csv"], "2024-08-10T10:00:00Z"),
            solved("F1", "r9", ["csv"], "2024-08-10T10:00:00Z"),
            # G1, G2 share only "vip", an ignored tag -> any-ticket only
            solved("G1", "r10", ["vip", "login"], "2024-08-09T10:00:00Z"),
            opened("G2", "r10", ["vip", "billing"], "2024-08-11T09:00:00Z"),
        ],
        fmt="jsonl",
    )
    write_tickets(
        root,
        "2024-08-20",
        [
            opened("E2", "r8", ["csv"], "2024-08-17T10:00:00Z"),
            opened("F2", "r9", ["csv"], "2024-08-17T10:00:01Z"),
            tk("D2", "2024-08-10T09:00:00Z", "2024-08-18T09:00:00Z", "deleted", "r7", tags=["sso"]),
        ],
        fmt="jsonl",
    )
    return root


@pytest.mark.parametrize("impl", IMPLEMENTATIONS, ids=lambda impl: impl.name)
def test_same_issue_recontact_counts_shared_drivers_and_links(impl: Any, history: Path) -> None:
    rates = impl.compute(history, D, ignore_tags=("vip",))["rates"]
    # cohort: S1, N1, L1, V1, D1, E1, F1, G1 = 8 (all first solved 08-08..08-10)
    assert rates["reopen_cohort"] == 8
    # same issue: S1 (refund), L1 (followup_ids), V1 (via.source.from), E1 (168 h) = 4;
    # not N1 (no shared tag), D1 (deleted), F1 (168 h + 1 s), G1 (only the ignored vip)
    # -> 4 / 8 = 0.5
    assert rates["same_issue_recontacted"] == 4
    assert rates["same_issue_recontact_rate_7d"] == pytest.approx(4 / 8)
    # any ticket, as before: S1, N1, L1 (link), E1, G1 = 5 -> 5 / 8 = 0.625; V1 is not
    # (its follow-up is another requester's and V1 lists no followup_ids), D1 and F1 not
    assert rates["recontact_cohort"] == 8
    assert rates["recontact_rate_7d"] == pytest.approx(5 / 8)


@pytest.mark.parametrize("impl", IMPLEMENTATIONS, ids=lambda impl: impl.name)
def test_same_issue_recontact_is_null_on_an_empty_cohort(impl: Any, history: Path) -> None:
    # D = 08-14: cohort 08-01..08-07 holds no first solve -> 0 of 0, rate null
    rates = impl.compute(history, date(2024, 8, 14))["rates"]
    assert (rates["same_issue_recontacted"], rates["same_issue_recontact_rate_7d"]) == (0, None)
