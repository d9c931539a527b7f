"""The generator's interface: what to simulate (`SyntheticConfig`) and the truth it made."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from pathlib import Path

import polars as pl


@dataclass(frozen=True)
class SyntheticConfig:
    """What to simulate and how to write it.

    Attributes:
        start: First export day.
        days: Number of export days.
        seed: Seed of the only random generator; the same seed gives byte-identical files.
        tickets_per_day: Mean weekday inflow; weekends are much quieter.
        agents: Team size; sick days and a holiday week push capacity below inflow.
        fmt: ``csv``, ``jsonl`` or ``parquet``.
        with_events: False writes only ticket snapshots.
        timezone: Zone the timestamps are written in and days are cut in.
        spike: ``(tag, first day, extra tickets per day)`` planted for 5 days.
        initial_snapshot: The first export also lists every ticket still unsolved from before
            ``start`` (the carried-over backlog), as a first full export would.
    """

    start: date
    days: int = 60
    seed: int = 7
    tickets_per_day: float = 40.0
    agents: int = 6
    fmt: str = "csv"
    with_events: bool = True
    timezone: str = "UTC"
    spike: tuple[str, date, int] | None = None
    initial_snapshot: bool = True


@dataclass(frozen=True, eq=False)
class GeneratedHistory:
    """The truth behind a generated export root.

    Attributes:
        days: Exported days.
        tickets: Tickets created, including the 30 days simulated before ``start``.
        timezone: Zone of the export days.
        window_start: Start of the first export day (aware, UTC).
        window_end: End of the last export day (aware, UTC).
        transitions_frame: One row per status transition: ticket_id, at, from_status,
            to_status (creation rows have a null from_status), up to ``window_end``.
        comments_frame: One row per comment: ticket_id, at, author_id, author_role, public,
            auto_ack, creation_comment.
        ticket_facts: One row per ticket: attributes and truth (first reply, first
            meaningful reply, first and last solve, final status, reopens, spawn reason).
        daily: One row per export day (docs/metrics.md): inflow, outflow, reopened, backlog, its
            split by status, stale; plus the agents at work that day.
        counts: Headline counts (events, ticket rows, reopens, deletes, stale, ...).
        files: The files written.
        holiday: First and last weekday of the week when about half the team is away.
    """

    days: list[date]
    tickets: int
    timezone: str
    window_start: datetime
    window_end: datetime
    transitions_frame: pl.DataFrame
    comments_frame: pl.DataFrame
    ticket_facts: pl.DataFrame
    daily: pl.DataFrame
    counts: dict[str, int] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    holiday: tuple[date, date] | None = None

    @cached_property
    def transitions(self) -> list[tuple[str, datetime, str | None, str]]:
        """Status transitions as (ticket_id, at, from_status, to_status) tuples, in time order."""
        f = self.transitions_frame
        return list(
            zip(
                f["ticket_id"].to_list(),
                f["at"].to_list(),
                f["from_status"].to_list(),
                f["to_status"].to_list(),
                strict=True,
            )
        )

    @cached_property
    def comments(self) -> list[tuple[str, datetime, str, bool, bool]]:
        """Comments as (ticket_id, at, author_role, public, auto_ack) tuples."""
        f = self.comments_frame
        return list(
            zip(
                f["ticket_id"].to_list(),
                f["at"].to_list(),
                f["author_role"].to_list(),
                f["public"].to_list(),
                f["auto_ack"].to_list(),
                strict=True,
            )
        )


def demo_range(today: date, days: int) -> tuple[date, date]:
    """The first and last export day of `backlog demo`: `days` days ending on the last
    weekday before `today`, so the demo's digest (of its last day) is a working day's.

    The generated team works weekdays and keeps one agent on call at weekends, as many
    teams do, so a Saturday or Sunday is a handful of tickets in and about none out
    ("15 in, 1 out" against a 41-a-day average). That is what such a weekend looks like,
    but as the first digest a new user reads it looks like a crisis; a working day shows
    the tool on the kind of day its digest is read about on most mornings.
    """
    end = today - timedelta(days=1)
    while end.weekday() >= 5:  # Saturday, Sunday
        end -= timedelta(days=1)
    return end - timedelta(days=days - 1), end
