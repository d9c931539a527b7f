"""Generated tickets for the business-hours checks, their exports, and the naive figures.

Two stretches of 2025 (spring: 3 March - 25 April, autumn: 29 September - 8 November)
cover both DST changes of Europe/Berlin and America/New_York, German and US holidays, a
listed holiday, weekends and a change of hours. Every ticket's truth (created, replies,
solve, group, priority) is kept, so the expected figures come from it and the naive
minute-by-minute clock (tests/support/business_clock.py), not from the product.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from tasks.demo.hours import business_hours
from tests.support.business_clock import NaiveClock
from tests.support.exports import write_events, write_tickets

ACK = "Automated response: we have received your request and will reply soon."
REPLY = "Thanks for writing, here is what to do."

_TEAM = business_hours(americas_groups=["Americas", "US Billing"])  # tasks/demo/hours.py
# the team's hours and, for the edge cases: DST changes fall on Sundays, so open then with
# an interval across the changed hour; a listed holiday; a change of hours; US holidays
HOURS: dict[str, Any] = {
    **_TEAM,
    "sun": ["01:00-05:00", "09:00-17:00"],
    "holidays": ["2025-03-21"],
    "changes": [
        {
            "valid_from": "2025-10-20",
            "mon": ["08:00-16:00"],
            "tue": ["08:00-16:00"],
            "wed": ["08:00-16:00"],
            "thu": ["08:00-16:00"],
            "fri": ["08:00-14:00"],
            "sun": ["01:00-05:00", "09:00-17:00"],
        }
    ],
    "schedules": {
        "americas": {
            **_TEAM["schedules"]["americas"],
            "sun": ["00:00-04:00", "09:00-17:00"],
            "holiday_country": "US",
        }
    },
}
# high: business clock; normal: calendar clock (both in one run)
SLA = {
    "high": {"clock": "business", "first_reply_minutes": 120, "resolution_minutes": 960},
    "normal": {"first_reply_minutes": 240, "resolution_minutes": 4320},
}
STRETCHES = ((date(2025, 3, 3), date(2025, 4, 25)), (date(2025, 9, 29), date(2025, 11, 8)))
GROUPS = (None, "Support", "Americas", "US Billing")


def z(text: str) -> datetime:
    """An ISO UTC instant ("2025-03-28T17:00") as an aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass
class Truth:
    """What happened to one ticket."""

    ticket_id: str
    created_at: datetime
    group_name: str | None = None
    priority: str = "normal"
    ack_at: datetime | None = None
    reply_at: datetime | None = None
    solved_at: datetime | None = None
    events: list[dict] = field(default_factory=list)

    @property
    def schedule(self) -> str:
        return "americas" if self.group_name in ("Americas", "US Billing") else "default"

    @property
    def first_reply_at(self) -> datetime | None:
        found = [at for at in (self.ack_at, self.reply_at) if at is not None]
        return min(found) if found else None


# planted tickets: (id, created, group, priority, ack, reply, solved); the expected
# business minutes, worked out by hand, are in tests/sql/test_business_hours.py
PLANTED: tuple[tuple[Any, ...], ...] = (
    ("P01", "2025-03-28T17:00", None, "normal", None, "2025-03-31T07:05", None),
    ("P02", "2025-03-25T08:00", None, "normal", None, "2025-03-25T16:00", "2025-03-26T08:00"),
    ("P03", "2025-03-24T11:00", "Support", "normal", None, "2025-03-24T13:00", None),
    ("P04", "2025-04-17T14:00", None, "normal", None, "2025-04-22T07:30", None),
    ("P05", "2025-03-22T09:00", None, "normal", "2025-03-22T09:01", "2025-03-24T08:00", None),
    ("P06", "2025-03-08T00:00", "Americas", "normal", None, "2025-03-10T12:30", None),
    ("P07", "2025-10-17T12:00", None, "normal", None, "2025-10-20T06:30", None),
    ("P08", "2025-10-25T10:00", None, "normal", None, "2025-10-26T09:00", None),
    ("P09", "2025-11-01T16:00", "US Billing", "normal", None, "2025-11-03T13:10", None),
    ("P10", "2025-10-21T13:00", None, "normal", None, "2025-10-21T14:00", "2025-10-22T06:00"),
    ("P11", "2025-10-02T14:30", None, "normal", None, "2025-10-06T07:10", None),
    ("P12", "2025-03-20T15:00", None, "normal", None, "2025-03-21T13:00", None),
    ("P13", "2025-03-24T15:00", None, "high", None, "2025-03-25T08:30", None),
)


def planted() -> list[Truth]:
    """The planted tickets as truths."""
    out = []
    for tid, created, group, priority, ack, reply, solved in PLANTED:
        out.append(
            Truth(
                tid,
                z(created),
                group,
                priority,
                z(ack) if ack else None,
                z(reply) if reply else None,
                z(solved) if solved else None,
            )
        )
    return out


def generated(seed: int = 20) -> list[Truth]:
    """Five random tickets a day over both stretches (times on whole minutes)."""
    rng = random.Random(seed)
    out = []
    for first, last in STRETCHES:
        day = first
        while day <= last:
            for index in range(5):
                created = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
                    minutes=rng.randrange(1440)
                )
                truth = Truth(
                    f"G{day:%m%d}-{index}",
                    created,
                    rng.choice(GROUPS),
                    rng.choice(("high", "normal")),
                )
                if rng.random() < 0.3:
                    truth.ack_at = created + timedelta(minutes=1)
                if rng.random() < 0.85:
                    truth.reply_at = created + timedelta(minutes=rng.randrange(2, 4 * 1440))
                    if rng.random() < 0.7:
                        truth.solved_at = truth.reply_at + timedelta(
                            minutes=rng.randrange(1, 5 * 1440)
                        )
                out.append(truth)
            day += timedelta(days=1)
    return out


def _events(truth: Truth) -> list[dict]:
    """Comment and status events of a ticket, in time order."""
    rows = []

    def add(at: datetime, kind: str, **values: Any) -> None:
        rows.append(
            {
                "event_id": f"{truth.ticket_id}-{len(rows)}",
                "ticket_id": truth.ticket_id,
                "occurred_at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "kind": kind,
                "author_id": "agent-1" if kind == "comment" else None,
                **values,
            }
        )

    if truth.ack_at is not None:
        add(truth.ack_at, "comment", author_role="agent", public=True, body=ACK)
    if truth.reply_at is not None:
        add(truth.reply_at, "comment", author_role="agent", public=True, body=REPLY)
        add(truth.reply_at, "status_change", from_value="new", to_value="open")
    if truth.solved_at is not None:
        add(truth.solved_at, "status_change", from_value="open", to_value="solved")
    return rows


def _stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def write_stretch(root: Path, truths: list[Truth], first: date) -> date:
    """One export a day from `first` to the day of the last change: the tickets created or
    changed that day as the day ends, and the day's events; the last export's date."""
    events = [e for t in truths for e in _events(t)]
    last_change = max(
        at for t in truths for at in (t.created_at, t.reply_at, t.solved_at) if at is not None
    )
    day = first
    while day <= last_change.date():
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        end = start + timedelta(days=1)
        changed = [
            t
            for t in truths
            if any(
                at is not None and start <= at < end
                for at in (t.created_at, t.ack_at, t.reply_at, t.solved_at)
            )
        ]
        if changed:
            write_tickets(root, day.isoformat(), [_row(t, end) for t in changed])
            write_events(
                root,
                day.isoformat(),
                [e for e in events if _stamp(start) <= e["occurred_at"] < _stamp(end)],
            )
        day += timedelta(days=1)
    return last_change.date()


def _row(truth: Truth, until: datetime) -> dict:
    """The ticket as it stood at `until`: its status and its last change before then."""
    changes = [at for at in (truth.created_at, truth.ack_at, truth.reply_at, truth.solved_at) if at]
    seen = [at for at in changes if at < until]
    solved = truth.solved_at is not None and truth.solved_at < until
    replied = truth.reply_at is not None and truth.reply_at < until
    return {
        "ticket_id": truth.ticket_id,
        "created_at": _stamp(truth.created_at),
        "updated_at": _stamp(max(seen)),
        "status": "solved" if solved else "open" if replied else "new",
        "requester_id": f"req-{truth.ticket_id}",
        "priority": truth.priority,
        "group_name": truth.group_name,
    }


def clocks(first: date, last: date) -> dict[str, NaiveClock]:
    """The naive clock of each schedule over the stretch (and a week either side)."""
    start = datetime(first.year, first.month, first.day, tzinfo=UTC) - timedelta(days=7)
    end = datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=14)
    specs: Mapping[str, Mapping[str, Any]] = {"default": HOURS, **HOURS["schedules"]}
    return {name: NaiveClock(spec, start, end) for name, spec in specs.items()}


def quantile_cont(values: list[float], q: float) -> float | None:
    """Linear interpolation between the closest ranks (as DuckDB's quantile_cont)."""
    xs = sorted(values)
    if not xs:
        return None
    position = q * (len(xs) - 1)
    low = int(position)
    high = min(low + 1, len(xs) - 1)
    return xs[low] + (position - low) * (xs[high] - xs[low])


def naive_figures(truths: list[Truth], day: date, naive: dict[str, NaiveClock]) -> dict:
    """The digest's business response figures and SLA counts of `day` (report zone UTC)."""
    as_of = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
    window = (day - timedelta(days=6), day)

    def minutes(t: Truth, end: datetime) -> int:
        return naive[t.schedule].minutes(t.created_at, end)

    reply, meaningful, resolution = [], [], []
    for t in truths:
        if window[0] <= t.created_at.date() <= window[1]:
            if t.first_reply_at is not None and t.first_reply_at < as_of:
                reply.append(minutes(t, t.first_reply_at))
            if t.reply_at is not None and t.reply_at < as_of:
                meaningful.append(minutes(t, t.reply_at))
        if t.solved_at is not None and window[0] <= t.solved_at.date() <= window[1]:
            resolution.append(minutes(t, t.solved_at) / 60)
    breached = at_risk = 0
    for t in truths:
        if not (t.created_at < as_of and (t.solved_at is None or t.solved_at >= as_of)):
            continue
        target = SLA[t.priority]
        business = target.get("clock") == "business"
        replied = t.first_reply_at if t.first_reply_at and t.first_reply_at < as_of else None
        if business:
            age = minutes(t, as_of)
            reply_took = minutes(t, replied) if replied else None
        else:
            age = (as_of - t.created_at).total_seconds() / 60
            reply_took = (replied - t.created_at).total_seconds() / 60 if replied else None
        first_target, resolve_target = target["first_reply_minutes"], target["resolution_minutes"]
        reply_breached = (reply_took if replied else age) > first_target
        if reply_breached or age > resolve_target:
            breached += 1
            continue
        shares = [age / resolve_target] + ([] if replied else [age / first_target])
        at_risk += max(shares) >= 0.75
    return {
        "response": {
            "first_reply_business_p50_minutes": quantile_cont(reply, 0.5),
            "first_reply_business_p90_minutes": quantile_cont(reply, 0.9),
            "ttfmr_business_p50_minutes": quantile_cont(meaningful, 0.5),
            "ttfmr_business_p90_minutes": quantile_cont(meaningful, 0.9),
            "resolution_business_p50_hours": quantile_cont(resolution, 0.5),
        },
        "sla": {"breached_open": breached, "at_risk_open": at_risk},
    }
