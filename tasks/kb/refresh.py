"""One KB refresh: the window's solved tickets clustered into stored candidates.

The cheapest ticket is the one a help article prevents. Every run takes the tickets solved
in the last ``kb.window_days`` report-zone days, clusters their text (subject, description
and the final public agent reply) and keeps clusters of at least ``kb.min_cluster_size``
tickets as candidates, each with a stable id, a title, keywords, a trend and a Markdown
draft whose personal data is redacted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import duckdb
import numpy as np

from tasks.config import Settings
from tasks.kb.clusters import Clustering, cluster_texts
from tasks.kb.drafts import MAX_RELATED_WITH_SUBJECT, distinct_symptoms, pick_title, render_draft
from tasks.kb.identity import match_candidates
from tasks.kb.recurring import recurring_resolutions
from tasks.kb.sampled import refresh_sampled
from tasks.kb.store import store_day
from tasks.kb.textcache import TextCache, forget_all
from tasks.kb.tickets import (
    covers_previous_window,
    list_window,
    skip_pattern,
    solved_tickets,
    trend,
)


@dataclass(frozen=True)
class Candidate:
    """One knowledge-base candidate as of a report day."""

    candidate_id: str
    state: str
    title: str
    keywords: list[str]
    tickets: int
    tickets_previous: int | None
    trend: str | None
    ticket_ids: list[str]  # every member, the most representative first
    first_seen: date
    last_seen: date
    cohesion: float


_TEMP_TABLES = ("kb_window", "kb_previous", "kb_todo", "kb_listed", "kb_members")


def refresh_candidates(
    con: duckdb.DuckDBPyConnection, day: date, settings: Settings
) -> list[Candidate]:
    """Cluster the tickets solved in the window up to the end of `day`; store and return them.

    Re-running a day replaces that day's results; ids and states carry over from earlier
    days. Writes ops.kb_candidates / kb_candidate_days / kb_candidate_member_lists and rebuilds
    marts.fct_kb_candidates and marts.fct_kb_candidate_tickets as of `day`. Dismissed
    candidates are returned too (with their state), so callers can count them.

    A window of more than `kb.max_cluster_texts` solved tickets is not clustered whole: see
    :func:`refresh_sampled`.
    """
    skip = skip_pattern(con)
    try:
        size = list_window(con, "kb_window", day, settings.kb.window_days)
        if size > settings.kb.max_cluster_texts:
            forget_all(con)  # per-ticket texts are kept for whole windows only
            rows = refresh_sampled(con, day, settings, skip, size)
        else:
            rows = _cluster_window(con, day, settings, skip)
            store_day(con, day, rows)
    finally:
        for table in _TEMP_TABLES:
            con.execute(f"drop table if exists temp.{table}")
    return [
        Candidate(
            candidate_id=row["candidate_id"],
            state=row["state"],
            title=row["title"],
            keywords=row["keywords"],
            tickets=row["tickets"],
            tickets_previous=row["tickets_previous"],
            trend=row["trend"],
            ticket_ids=row["ticket_ids"],
            first_seen=row["first_seen"],
            last_seen=day,
            cohesion=row["cohesion"],
        )
        for row in rows
    ]


def _cluster_window(
    con: duckdb.DuckDBPyConnection, day: date, settings: Settings, skip: str
) -> list[dict[str, Any]]:
    """The candidates of `day` from a clustering of every ticket of the window.

    Each ticket's text work (prepared texts, sentence keys, terms) is read from the
    :class:`TextCache` when kept for the same input, and kept for the next morning.
    """
    window = settings.kb.window_days
    cache = TextCache.open(con, day, settings, skip)
    texts = cache.load(solved_tickets(con, day, window, skip))
    current = texts.tickets
    clustering = cluster_texts(
        current.prepared_problems,
        current.prepared_resolutions,
        min_size=settings.kb.min_cluster_size,
        prepared=True,
        documents=texts,
    )
    cache.keep(texts)
    previous_counts = _previous_window_counts(con, day, window, skip, clustering, cache)
    matched = match_candidates(con, day, clustering, current.ticket_ids)

    rows = []
    for index, members in enumerate(clustering.members):
        member_replies = [current.clean_resolutions[i] for i in members]
        if recurring_resolutions(member_replies) < settings.kb.min_shared_resolutions:
            continue  # no resolution recurs among its members: nothing to write up
        candidate_id, state, first_seen = matched[index]
        keywords = clustering.keywords[index]
        previous = None if previous_counts is None else int(previous_counts[index])
        title = pick_title(
            [current.clean_subjects[i] for i in members[:15]], keywords, clustering.problem_vectors
        )
        # the draft shows the reply of the first member with one
        representative = next((i for i in members if current.clean_resolutions[i]), members[0])
        ticket_ids = [current.ticket_ids[i] for i in members]
        rows.append(
            {
                "candidate_id": candidate_id,
                "state": state,
                "first_seen": min(first_seen, day),
                "title": title,
                "keywords": keywords,
                "tickets": len(members),
                "tickets_previous": previous,
                "trend": trend(len(members), previous),
                "ticket_ids": ticket_ids,
                "similarity": [float(clustering.similarity[i]) for i in members],
                "cohesion": float(np.mean(clustering.similarity[members])),
                "signature": clustering.signatures[index],
                "draft": render_draft(
                    candidate_id,
                    title,
                    keywords,
                    ticket_ids,
                    [current.clean_subjects[i] for i in members[:MAX_RELATED_WITH_SUBJECT]],
                    distinct_symptoms(current.clean_subjects[i] for i in members),
                    (
                        current.ticket_ids[representative],
                        current.clean_descriptions[representative],
                        current.clean_resolutions[representative],
                    ),
                    day,
                    window,
                    previous,
                    clustering.boilerplate,
                ),
            }
        )
    return rows


def _previous_window_counts(
    con: duckdb.DuckDBPyConnection,
    day: date,
    window: int,
    skip_pattern: str,
    clustering: Clustering,
    cache: TextCache,
) -> np.ndarray | None:
    """Per cluster, how many tickets of the window before this one it would have held.

    None when the warehouse's first export is later than that window's first day: the
    count would be too low and the trend a false "rising".
    """
    if not covers_previous_window(con, day, window):
        return None
    counts = np.zeros(len(clustering.members), dtype=int)
    if not clustering.members:
        return counts
    earlier = cache.load(solved_tickets(con, day - timedelta(days=window), window, skip_pattern))
    labels = clustering.assign_documents(*earlier.documents(clustering.boilerplate))
    cache.keep(earlier)
    np.add.at(counts, labels[labels >= 0], 1)
    return counts
