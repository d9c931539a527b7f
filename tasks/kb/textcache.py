"""Per-ticket text work kept between KB refreshes: prepared texts, sentence keys and terms.

Every morning the KB window slides by one day, yet the clustering reads every ticket of
the window (and of the window before, for the trend). What each ticket contributes that
does not depend on the other tickets (its texts prepared and redacted, the sentence keys
boilerplate is found from, and its terms once the window's boilerplate is known) is kept
in ``ops.kb_ticket_texts`` (``sql/schema/kb_texts.sql``) and read back when the ticket's
raw texts, the text code, the ``[kb]`` settings and the boilerplate are those it was made
from. The values read are the values a cold computation gives: the same functions made
them from the same input. The clustering itself is not kept: it depends on the whole
window.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import duckdb

from tasks import redact
from tasks.config import Settings
from tasks.kb import text
from tasks.kb.text import (
    cleaned,
    default_stop_words,
    for_vectors,
    prepare,
    sentence_key,
    split_sentences,
    terms_of,
)
from tasks.kb.tickets import Tickets
from tasks.warehouse import read_sql

_SEPARATOR = "\n"  # no sentence key or term holds a line break


def cache_key(settings: Settings, skip_pattern: str) -> str:
    """What every kept value depends on besides the ticket: the text code and the settings.

    A change to the code that prepares, redacts or splits texts, to the stop words (they
    come with scikit-learn), or to any ``[kb]`` setting or skipped-reply pattern, makes
    every kept row stale.
    """
    digest = hashlib.sha1()
    for module in (text, redact):
        digest.update(Path(module.__file__ or "").read_bytes())
    digest.update(Path(__file__).read_bytes())
    digest.update(_SEPARATOR.join(sorted(default_stop_words())).encode())
    digest.update(json.dumps(settings.kb.model_dump(mode="json"), sort_keys=True).encode())
    digest.update(skip_pattern.encode())
    return digest.hexdigest()


def boilerplate_key(boilerplate: frozenset[str]) -> str:
    """The boilerplate sentences' keys, hashed: terms made with other ones are stale."""
    return hashlib.sha1(_SEPARATOR.join(sorted(boilerplate)).encode()).hexdigest()


def _input_key(subject: str, description: str, resolution: str) -> str:
    return hashlib.sha1(f"{subject}\0{description}\0{resolution}".encode()).hexdigest()


def _split(joined: str | None) -> list[str]:
    return joined.split(_SEPARATOR) if joined else []


def _sentence_keys(prepared: str) -> list[str]:
    """The distinct non-empty sentence keys of a prepared text (what boilerplate counts)."""
    return sorted({key for key in map(sentence_key, split_sentences(prepared)) if key})


@dataclass
class Texts:
    """The tickets of a window with their kept or computed per-ticket text work."""

    tickets: Tickets  # prepared texts seeded
    input_keys: list[str]
    problem_keys: list[list[str]]
    resolution_keys: list[list[str]]
    terms_keys: list[str | None]
    problem_terms: list[list[str] | None]
    resolution_terms: list[list[str] | None]
    changed: set[int] = field(default_factory=set)  # rows to write back

    def boilerplate(self) -> frozenset[str]:
        """What :func:`tasks.kb.text.find_boilerplate` finds in the problems and in the
        resolutions, from the kept sentence keys."""
        found: set[str] = set()
        for keys in (self.problem_keys, self.resolution_keys):
            threshold = max(20, 0.25 * len(keys))
            counts = Counter(key for text_keys in keys for key in text_keys)
            found |= {key for key, count in counts.items() if count >= threshold}
        return frozenset(found)

    def documents(self, boilerplate: frozenset[str]) -> tuple[list[list[str]], list[list[str]]]:
        """Per ticket, the terms of its cleaned problem and resolution under `boilerplate`:
        ``terms_of(for_vectors(cleaned(text, boilerplate)))``, kept or computed."""
        key = boilerplate_key(boilerplate)
        problems = self.tickets.prepared_problems
        resolutions = self.tickets.prepared_resolutions
        for i, kept in enumerate(self.terms_keys):
            if kept != key:
                self.problem_terms[i] = terms_of(for_vectors(cleaned(problems[i], boilerplate)))
                self.resolution_terms[i] = terms_of(
                    for_vectors(cleaned(resolutions[i], boilerplate))
                )
                self.terms_keys[i] = key
                self.changed.add(i)
        return (
            [terms or [] for terms in self.problem_terms],
            [terms or [] for terms in self.resolution_terms],
        )


class TextCache:
    """``ops.kb_ticket_texts`` as of one refresh: reads what is kept, writes what is new."""

    def __init__(self, con: duckdb.DuckDBPyConnection, day: date, key: str) -> None:
        self.con = con
        self.day = day
        self.key = key

    @classmethod
    def open(
        cls,
        con: duckdb.DuckDBPyConnection,
        day: date,
        settings: Settings,
        skip_pattern: str,
    ) -> TextCache:
        """The cache of a refresh of `day`, rid of every row it must not read or keep.

        Rows of other code or settings go; so do rows written before the last model
        build when that build was full (``--full-refresh``, a configuration change: the
        warehouse was rebuilt from its loads) and rows written more than two windows
        before `day`, which no window of `day` or later reads.
        """
        key = cache_key(settings, skip_pattern)
        oldest = day - timedelta(days=2 * settings.kb.window_days - 1)
        con.execute(
            read_sql("queries/kb/forget_ticket_texts.sql"), {"cache_key": key, "oldest": oldest}
        )
        return cls(con, day, key)

    def load(self, tickets: Tickets) -> Texts:
        """The tickets' texts: prepared texts, sentence keys and terms as kept, and computed
        (to be written by :meth:`keep`) for the tickets new or changed since."""
        input_keys = [
            _input_key(s, d, r)
            for s, d, r in zip(
                tickets.subjects, tickets.descriptions, tickets.resolutions, strict=True
            )
        ]
        rows = self.con.execute(
            read_sql("queries/kb/kept_ticket_texts.sql"),
            {"ticket_ids": tickets.ticket_ids, "input_keys": input_keys, "cache_key": self.key},
        ).fetchall()
        kept = {(row[0], row[1]): row[2:] for row in rows}
        n = len(tickets.ticket_ids)
        prepared: list[list[str]] = [[], [], []]
        texts = Texts(
            tickets=tickets,
            input_keys=input_keys,
            problem_keys=[[] for _ in range(n)],
            resolution_keys=[[] for _ in range(n)],
            terms_keys=[None] * n,
            problem_terms=[None] * n,
            resolution_terms=[None] * n,
        )
        for i, ticket_id in enumerate(tickets.ticket_ids):
            row = kept.get((ticket_id, input_keys[i]))
            if row is None:
                texts.changed.add(i)
                values = [prepare(tickets.subjects[i]), prepare(tickets.descriptions[i])]
                values.append(prepare(tickets.resolutions[i]))
                for column, value in zip(prepared, values, strict=True):
                    column.append(value)
                texts.problem_keys[i] = _sentence_keys(f"{values[0]}\n{values[1]}")
                texts.resolution_keys[i] = _sentence_keys(values[2])
                continue
            subject, description, resolution, problem_keys, resolution_keys, terms = row[:6]
            for column, value in zip(prepared, (subject, description, resolution), strict=True):
                column.append(value)
            texts.problem_keys[i] = _split(problem_keys)
            texts.resolution_keys[i] = _split(resolution_keys)
            if terms is not None:
                texts.terms_keys[i] = terms
                texts.problem_terms[i] = _split(row[6])
                texts.resolution_terms[i] = _split(row[7])
        tickets.seed_prepared(*prepared)
        return texts

    def keep(self, texts: Texts) -> None:
        """Write the rows of `texts` computed in this refresh."""
        rows = sorted(texts.changed)
        if not rows:
            return
        tickets = texts.tickets

        def column(values: Sequence[object]) -> list[object]:
            return [values[i] for i in rows]

        def joined(values: Sequence[list[str] | None]) -> list[str | None]:
            return [None if values[i] is None else _SEPARATOR.join(values[i] or []) for i in rows]

        self.con.execute(
            read_sql("queries/kb/keep_ticket_texts.sql"),
            {
                "written_on": self.day,
                "cache_key": self.key,
                "ticket_ids": column(tickets.ticket_ids),
                "input_keys": column(texts.input_keys),
                "subjects": column(tickets.prepared_subjects),
                "descriptions": column(tickets.prepared_descriptions),
                "resolutions": column(tickets.prepared_resolutions),
                "problem_keys": [_SEPARATOR.join(texts.problem_keys[i]) for i in rows],
                "resolution_keys": [_SEPARATOR.join(texts.resolution_keys[i]) for i in rows],
                "terms_keys": column(texts.terms_keys),
                "problem_terms": joined(texts.problem_terms),
                "resolution_terms": joined(texts.resolution_terms),
            },
        )
        texts.changed.clear()


def forget_all(con: duckdb.DuckDBPyConnection) -> None:
    """Drop every kept row (a window clustered on a sample reads none)."""
    con.execute("delete from ops.kb_ticket_texts")
