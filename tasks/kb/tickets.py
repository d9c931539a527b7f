"""The KB window in the warehouse: its solved tickets and their texts, and the window before."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import duckdb

from tasks.kb.text import prepare, strip_salutations
from tasks.warehouse import read_sql

# Agent replies that ask the customer whether the problem persists say nothing about how it
# was solved; like auto-acknowledgements they are skipped when looking for the resolution.
NUDGE_PATTERNS = (
    r"are you still (seeing|having|experiencing|facing)",
    r"(just )?(checking|following) (in|up)\b.{0,40}\b(still|issue|problem|resolved)",
    r"(haven't|have not|didn't|did not) (heard?|get a reply) (back )?from you",
    r"we will close (this|your) (request|ticket)",
)


@dataclass(frozen=True)
class Tickets:
    """Solved tickets (sorted by id) and their prepared and cleaned texts."""

    ticket_ids: list[str]
    subjects: list[str]
    descriptions: list[str]
    resolutions: list[str]
    solved_at: list[datetime] = field(default_factory=list)  # the last solve, as of the day

    def seed_prepared(
        self, subjects: list[str], descriptions: list[str], resolutions: list[str]
    ) -> None:
        """Take these as the prepared texts (kept from an earlier refresh) instead of
        preparing the raw ones; they must be what :func:`prepare` makes of them."""
        self.__dict__.update(
            prepared_subjects=subjects,
            prepared_descriptions=descriptions,
            prepared_resolutions=resolutions,
        )

    @functools.cached_property
    def prepared_subjects(self) -> list[str]:
        return [prepare(t) for t in self.subjects]

    @functools.cached_property
    def prepared_descriptions(self) -> list[str]:
        return [prepare(t) for t in self.descriptions]

    @functools.cached_property
    def prepared_resolutions(self) -> list[str]:
        return [prepare(t) for t in self.resolutions]

    @property
    def prepared_problems(self) -> list[str]:
        pairs = zip(self.prepared_subjects, self.prepared_descriptions, strict=True)
        return [f"{subject}\n{description}" for subject, description in pairs]

    @functools.cached_property
    def clean_subjects(self) -> list[str]:
        return [strip_salutations(t) for t in self.prepared_subjects]

    @functools.cached_property
    def clean_descriptions(self) -> list[str]:
        return [strip_salutations(t) for t in self.prepared_descriptions]

    @functools.cached_property
    def clean_resolutions(self) -> list[str]:
        return [strip_salutations(t) for t in self.prepared_resolutions]


def skip_pattern(con: duckdb.DuckDBPyConnection) -> str:
    """One case-insensitive expression: auto-acknowledgements (config) and nudges."""
    patterns = [row[0] for row in con.execute("select pattern from config.ack_patterns").fetchall()]
    return "(?i)" + "|".join(f"(?:{p})" for p in [*patterns, *NUDGE_PATTERNS])


def solved_tickets(
    con: duckdb.DuckDBPyConnection,
    day: date,
    window_days: int,
    skip_pattern: str,
    *,
    listed: bool = False,
) -> Tickets:
    """The window's solved tickets and their texts; `listed`: only those in kb_listed."""
    if not listed:
        con.execute("create temp table if not exists kb_listed (ticket_id varchar)")
    rows = con.execute(
        "select ticket_id, subject, description, resolution, last_solved_at "
        f"from ({read_sql('queries/kb/solved_tickets.sql')}) order by ticket_id",
        {
            "report_date": day,
            "window_days": window_days,
            "skip_pattern": skip_pattern,
            "listed_only": listed,
        },
    ).fetchall()
    return Tickets(
        ticket_ids=[r[0] for r in rows],
        subjects=[r[1] for r in rows],
        descriptions=[r[2] for r in rows],
        resolutions=[r[3] for r in rows],
        solved_at=[r[4] for r in rows],
    )


def list_window(con: duckdb.DuckDBPyConnection, table: str, day: date, window_days: int) -> int:
    """Temporary table `table` (ticket_id, last_solved_at) of the window's solved tickets."""
    con.execute(
        f"create or replace temp table {table} as {read_sql('queries/kb/window_tickets.sql')}",
        {"report_date": day, "window_days": window_days},
    )
    return int(con.execute(f"select count(*) from {table}").fetchone()[0])


def covers_previous_window(con: duckdb.DuckDBPyConnection, day: date, window: int) -> bool:
    """Whether the warehouse's first export is no later than the previous window's start."""
    first_export = con.execute("select min(export_date) from ops.loads").fetchone()[0]
    previous_day = day - timedelta(days=window)
    return first_export is not None and first_export <= previous_day - timedelta(days=window - 1)


def trend(tickets: int, previous: int | None) -> str | None:
    """rising / falling when the count moved by half or more and by 3 tickets, else steady."""
    if previous is None:
        return None
    if tickets - previous >= max(3, 0.5 * previous):
        return "rising"
    if previous - tickets >= max(3, 0.5 * tickets):
        return "falling"
    return "steady"
