"""The Monday digest covers the days since the last digest, hand-computed.

The default schedule ([schedule] daily_cron = "30 6 * * 1-5", report time zone UTC) sends
a digest on weekday mornings about yesterday: Friday's morning reports Thursday, Monday's
reports Sunday. So the digest of Sunday (sent Monday) covers Friday to Sunday, Saturday's
(never sent, rebuilt by hand) Friday and Saturday; Monday to Friday cover their own day.

The team (one ticket per letter, every one replied 30 minutes after creation):

    day         in out re  backlog at the end   what happens
    Wed 05-08   2   0   0   2                    O1, O2 created
    Thu 05-09   1   0   0   3                    T1 created
    Fri 05-10   3   1   0   5                    F1 F2 F3 created; O1 solved
    Sat 05-11   1   1   0   5                    S1 created; F1 solved
    Sun 05-12   2   1   1   7                    U1 U2 created; T1 solved; O1 reopened
    Mon 05-13   1   0   0   8                    M1 created

Sunday's digest (Monday morning), since Thursday's: in 3+1+2 = 6, out 1+1+1 = 3,
reopened 1, net 6+1-3 = 4, backlog 7 - 3 = +4.
Saturday's, since Thursday's: in 3+1 = 4, out 1+1 = 2, reopened 0, backlog 5 - 3 = +2.

Without Saturday's export (the day recorded as missing, as `backlog backfill` does), S1
and F1's solve are never seen: Sunday's period sums in 3+0+2 = 5, out 1+0+1 = 2,
reopened 1, backlog (O2 F1 F2 F3 U1 U2 O1 = 7) - 3 = +4, and names Saturday.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tasks.quality.checks import record_missing_day
from tasks.render.blocks import build_payload
from tasks.render.markdown import render_markdown
from tasks.reports import digest
from tasks.schedule import days_covered_by_weekday, previous_report_day
from tests.support.exports import solved, tk, write_tickets
from tests.support.impls import _load

SATURDAY, SUNDAY = date(2024, 5, 11), date(2024, 5, 12)
WEEKDAYS = [date(2024, 5, 8), date(2024, 5, 9), date(2024, 5, 10), date(2024, 5, 13)]
SUNDAY_LINE = "Since Thursday's digest (Fri-Sun): 6 in, 3 out, 1 reopened; backlog +4"


def _ticket(tid: str, created: str) -> dict[str, Any]:
    """An open ticket created at `created` (MM-DDTHH, UTC), replied 30 minutes later."""
    return tk(tid, f"2024-{created}:00:00Z", None, "open", first_reply_at=f"2024-{created}:30:00Z")


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The six days of exports in the module docstring."""
    root = tmp_path_factory.mktemp("weekend") / "exports"
    o1, o2, t1 = _ticket("O1", "05-08T09"), _ticket("O2", "05-08T10"), _ticket("T1", "05-09T09")
    f1, f2, f3 = (_ticket(f"F{n}", f"05-10T0{n}") for n in (1, 2, 3))
    o1_solved = solved(o1, "2024-05-10T12:00:00Z")
    reopened = {**o1_solved, "updated_at": "2024-05-12T09:00:00Z", "status": "open"}
    write_tickets(root, "2024-05-08", [o1, o2])
    write_tickets(root, "2024-05-09", [t1])
    write_tickets(root, "2024-05-10", [f1, f2, f3, o1_solved])
    write_tickets(
        root, "2024-05-11", [_ticket("S1", "05-11T10"), solved(f1, "2024-05-11T12:00:00Z")]
    )
    write_tickets(
        root,
        "2024-05-12",
        [
            _ticket("U1", "05-12T10"),
            _ticket("U2", "05-12T11"),
            solved(t1, "2024-05-12T12:00:00Z"),
            reopened,
        ],
    )
    write_tickets(root, "2024-05-13", [_ticket("M1", "05-13T10")])
    return root


@pytest.fixture(scope="module")
def digest_of(exports: Path) -> Iterator[Callable[[date], dict[str, Any]]]:
    """The warehouse's digest of a day (one warehouse for the module)."""
    con, settings = _load(exports, "UTC", "UTC")
    with con:
        yield lambda day: digest.build_digest(con, day, settings)


def test_the_monday_digest_covers_friday_to_sunday(digest_of):
    got = digest_of(SUNDAY)
    assert got["since_last_digest"] == {
        "previous_digest_date": "2024-05-09",
        "from": "2024-05-10",
        "to": "2024-05-12",
        "days": 3,
        "inflow": 6,
        "outflow": 3,
        "reopened": 1,
        "net": 4,
        "backlog_change": 4,
        "incomplete_days": [],
    }
    # the period's change is the backlog's: 7 at the end of Sunday, 3 at the end of Thursday
    assert got["backlog"]["open_total"] == 7
    assert list(got)[list(got).index("flow") + 1] == "since_last_digest"
    assert f"- **{SUNDAY_LINE}**" in render_markdown(got)
    payload = build_payload(got)
    assert SUNDAY_LINE in payload["blocks"][1]["text"]["text"]
    assert f"{SUNDAY_LINE}." in payload["text"]


def test_a_saturday_digest_covers_friday_and_saturday(digest_of):
    since = digest_of(SATURDAY)["since_last_digest"]
    assert (since["from"], since["to"], since["days"]) == ("2024-05-10", "2024-05-11", 2)
    assert (since["inflow"], since["outflow"], since["reopened"]) == (4, 2, 0)
    assert since["backlog_change"] == since["net"] == 2


@pytest.mark.parametrize("day", WEEKDAYS, ids=lambda day: f"{day:%a}")
def test_a_weekday_digest_has_no_period(digest_of, day):
    got = digest_of(day)
    assert "since_last_digest" not in got
    assert "Since " not in render_markdown(got)
    assert "Since " not in build_payload(got)["text"]


def test_a_missing_day_inside_the_period_is_named_not_summed_over(exports, tmp_path):
    root = tmp_path / "exports"
    shutil.copytree(exports, root)
    shutil.rmtree(root / SATURDAY.isoformat())
    con, settings = _load(root, "UTC", "UTC")
    with con:
        record_missing_day(con, SATURDAY, str(root / SATURDAY.isoformat()))
        got = digest.build_digest(con, SUNDAY, settings)
        failed = digest.build_digest(con, SATURDAY, settings)
    since = got["since_last_digest"]
    assert (since["inflow"], since["outflow"], since["reopened"]) == (5, 2, 1)
    assert since["backlog_change"] == 4
    assert since["incomplete_days"] == ["2024-05-11"]
    line = (
        "Since Thursday's digest (Fri-Sun): 5 in, 2 out, 1 reopened; backlog +4 "
        "(no complete export for Sat 2024-05-11, so these sums miss that day)"
    )
    assert line in render_markdown(got)
    assert line in build_payload(got)["blocks"][1]["text"]["text"]
    # the failed day's own digest shows Friday's figures, but its own period (Fri-Sat)
    assert failed["figures_as_of"] == "2024-05-10"
    period = failed["since_last_digest"]
    assert (period["from"], period["to"], period["incomplete_days"]) == (
        "2024-05-10",
        "2024-05-11",
        ["2024-05-11"],
    )


def test_a_digest_every_morning_has_no_period(exports):
    con, settings = _load(exports, "UTC", "UTC", schedule={"daily_cron": "30 6 * * *"})
    with con:
        assert "since_last_digest" not in digest.build_digest(con, SUNDAY, settings)


def test_the_schedule_decides_the_period():
    # weekdays at 06:30: Saturday's digest would cover Fri-Sat, Sunday's Fri-Sun
    assert days_covered_by_weekday("30 6 * * 1-5") == {1: 1, 2: 1, 3: 1, 4: 1, 5: 1, 6: 2, 7: 3}
    # every day, or every 5 minutes: no period
    assert set(days_covered_by_weekday("30 6 * * *").values()) == {1}
    assert set(days_covered_by_weekday("*/5 * * * *").values()) == {1}
    # Monday, Wednesday, Friday: Wednesday's morning covers Monday and Tuesday
    assert days_covered_by_weekday("0 7 * * mon,wed,fri")[2] == 2
    # a monthly cron is not weekly: no period is claimed
    assert days_covered_by_weekday("0 7 1 * *") == {}
    # Tuesday's morning reports Monday; the morning before it (Monday's) reported Sunday
    assert previous_report_day("30 6 * * 1-5", date(2024, 5, 13)) == date(2024, 5, 12)
    assert previous_report_day("30 6 * * 1-5", SUNDAY) == date(2024, 5, 9)
