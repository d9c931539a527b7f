"""Stable candidate ids: today's clusters matched one-to-one to earlier candidates.

Ids stay stable across days by matching today's clusters to the candidates of earlier runs,
by member overlap (the window slides a day, most members stay) or by the similarity of
their term signatures (a cluster that comes back after a gap); an unmatched cluster gets a
new id from a hash of its most central tickets. A matched cluster keeps its id and its
state, so a dismissed candidate stays dismissed when it returns.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from datetime import date

import duckdb

from tasks.kb.clusters import Clustering
from tasks.warehouse import read_sql

MATCH_OVERLAP = 0.5  # share of the smaller member set that both clusters hold
MATCH_SIGNATURE = 0.6  # cosine similarity of the term signatures


def match_candidates(
    con: duckdb.DuckDBPyConnection, day: date, clustering: Clustering, ticket_ids: list[str]
) -> list[tuple[str, str, date]]:
    """(candidate id, state, first seen) per cluster: an earlier candidate's, or a new id.

    Earlier candidates are those of runs before `day` (each as last found), so re-running
    a day gives the same ids. Pairs are taken best first, one-to-one.
    """
    known = con.execute(
        read_sql("queries/kb/known_candidates.sql"), {"report_date": day}
    ).fetchall()
    # ids first seen before `day` are taken; an id this day's earlier run created is free
    # again, so re-running a day gives the same ids (and keeps a state set since)
    existing = {
        row[0]: (row[1], row[2])
        for row in con.execute(
            "select candidate_id, state, first_seen from ops.kb_candidates"
        ).fetchall()
    }
    taken_ids = {cid for cid, (_, first_seen) in existing.items() if first_seen < day}
    earlier = [
        (set(members), dict(zip(terms, weights, strict=True)))
        for _, _, _, terms, weights, members in known
    ]
    earlier_lengths = [_length(signature) for _, signature in earlier]
    pairs = []
    for index, members in enumerate(clustering.members):
        today = {ticket_ids[i] for i in members}
        length = _length(clustering.signatures[index])
        for position, (earlier_set, earlier_signature) in enumerate(earlier):
            overlap = len(today & earlier_set) / max(1, min(len(today), len(earlier_set)))
            signature = _cosine(
                clustering.signatures[index],
                earlier_signature,
                length * earlier_lengths[position],
            )
            if overlap >= MATCH_OVERLAP or signature >= MATCH_SIGNATURE:
                pairs.append((-max(overlap, signature), index, position))
    result: dict[int, tuple[str, str, date]] = {}
    used: set[int] = set()
    for _, index, position in sorted(pairs):
        if index in result or position in used:
            continue
        candidate_id, state, first_seen = known[position][:3]
        result[index] = (candidate_id, state, first_seen)
        used.add(position)
    for index, members in enumerate(clustering.members):
        if index not in result:
            candidate_id = _new_id([ticket_ids[i] for i in members], taken_ids)
            taken_ids.add(candidate_id)
            state = existing[candidate_id][0] if candidate_id in existing else "new"
            result[index] = (candidate_id, state, day)
    return [result[index] for index in range(len(clustering.members))]


def _new_id(ranked_ticket_ids: list[str], taken: set[str]) -> str:
    """kb-<hash of the three most central tickets>; more tickets, then a suffix, if taken."""
    for size in range(3, len(ranked_ticket_ids) + 1):
        basis = "\n".join(sorted(ranked_ticket_ids[:size]))
        candidate_id = "kb-" + hashlib.sha1(basis.encode()).hexdigest()[:8]
        if candidate_id not in taken:
            return candidate_id
    basis = "\n".join(sorted(ranked_ticket_ids))
    for suffix in itertools.count(2):  # pragma: no branch - ends at the first free suffix
        candidate_id = f"kb-{hashlib.sha1(basis.encode()).hexdigest()[:8]}-{suffix}"
        if candidate_id not in taken:
            return candidate_id
    raise AssertionError("unreachable")  # pragma: no cover


def _length(signature: dict[str, float]) -> float:
    return math.sqrt(sum(w * w for w in signature.values()))


def _cosine(a: dict[str, float], b: dict[str, float], norm: float) -> float:
    """Cosine of two signatures; `norm` is the product of their lengths (:func:`_length`)."""
    if not norm:
        return 0.0
    return sum(weight * b.get(term, 0.0) for term, weight in a.items()) / norm
