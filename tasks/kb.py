"""Knowledge-base candidates: clusters of solved tickets that share a resolution (SPEC 7).

The cheapest ticket is the one a help article prevents. Every run takes the tickets solved
in the last ``kb.window_days`` report-zone days, clusters their text (subject, description
and the final public agent reply) and keeps clusters of at least ``kb.min_cluster_size``
tickets as candidates, each with a stable id, a title, keywords, a trend and a Markdown
draft whose personal data is redacted.

Method (see DECISIONLOG.md, "Knowledge-base candidates"): texts lose quoted history,
greetings, signatures, boilerplate sentences (in a quarter of the tickets or more) and
personal data; TF-IDF of words and word pairs, problem text and resolution weighted 35/65
so tickets group by how they were solved. k-means on a 64-dimension projection
over-segments; average-linkage merging of the segments with a similarity threshold sets
the number of clusters (segments with different resolutions never merge); assign-and-reject
rounds keep a ticket only when it is close to the other members of its cluster
(leave-one-out cosine >= 0.30, resolution >= 0.20, and >= 60% of the cluster's median), so
noise is never forced into a cluster; further passes cluster what is left, so small groups
are found next to big ones. Everything runs on CPU with scikit-learn, seeded, single
threaded, on tickets sorted by id: the same input gives the same output.

Ids stay stable across days by matching today's clusters one-to-one to the candidates of
earlier runs, by member overlap (the window slides a day, most members stay) or by the
similarity of their term signatures (a cluster that comes back after a gap); an unmatched
cluster gets a new id from a hash of its most central tickets. A matched cluster keeps its
id and its state, so a dismissed candidate stays dismissed when it returns.

A window of more than ``kb.max_cluster_texts`` tickets (a large team) is not clustered whole
each day: a sample of that many tickets (by a hash of the ticket id) is clustered every
``kb.recluster_days`` days, each day's newly solved tickets are assigned to its clusters by
the same similarity rules, and labels are kept between runs (:func:`_refresh_sampled`), so
a day's run reads and vectorises that day's tickets only.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import html
import io
import itertools
import json
import math
import re
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
from scipy import sparse

from tasks.config import Settings
from tasks.errors import BacklogError
from tasks.redact import redact
from tasks.warehouse import read_sql

__all__ = [
    "NUDGE_PATTERNS",
    "STATES",
    "Candidate",
    "ClusterParams",
    "Clustering",
    "candidates_for_digest",
    "clean_text",
    "cluster_texts",
    "driver_by_cluster",
    "list_candidates",
    "refresh_candidates",
    "set_state",
    "show_candidate",
    "write_drafts",
]

STATES = ("new", "accepted", "dismissed")

# Agent replies that ask the customer whether the problem persists say nothing about how it
# was solved; like auto-acknowledgements they are skipped when looking for the resolution.
NUDGE_PATTERNS = (
    r"are you still (seeing|having|experiencing|facing)",
    r"(just )?(checking|following) (in|up)\b.{0,40}\b(still|issue|problem|resolved)",
    r"(haven't|have not|didn't|did not) (heard?|get a reply) (back )?from you",
    r"we will close (this|your) (request|ticket)",
)

# a greeting line in the first lines ("Hi Anna,", "Hello support,", "Good morning!")
_GREETING = re.compile(
    r"^[ \t]*(?:hi|hello|hey|dear|good (?:morning|afternoon|evening)|greetings)\b[^\n]{0,60}$",
    re.IGNORECASE | re.MULTILINE,
)
# a line that only closes a message ("Best regards,", "Thanks!", "-- Anna", "Sent from my
# iPhone"): it and everything after it (name, title, footer) is a signature
_SIGN_OFF = re.compile(
    r"\n[ \t]*(?:(?:best|kind regards|warm regards|regards|best regards|many thanks|thanks|"
    r"thank you|cheers|sincerely|br)\b[ \t\w]{0,25}[,.!]?[ \t]*(?=\n|\Z)|--[^\n]{0,40}(?=\n|\Z)|"
    r"sent from my\b[^\n]{0,30}(?=\n|\Z))",
    re.IGNORECASE,
)
_QUOTED_HISTORY = re.compile(
    r"^[ \t]*(?:On\b[^\n]{0,300}\bwrote:|-{2,} ?(?:Original|Forwarded) [Mm]essage ?-{2,})",
    re.MULTILINE,
)
_MAX_TEXT = 4000  # characters of one text kept: the start of a message says what it is about
_LABELS = re.compile(r"\[(?:email|phone|card|iban|token|secret)\]")
_WORD = re.compile(r"(?u)\b(?=\w*[^\W\d_])\w{2,}\b")  # 2+ characters, a letter: no numbers
_APOSTROPHE = re.compile(r"(?<=\w)['\u2019](?=\w)")
_EXTRA_STOP_WORDS = frozenset(
    {
        "hi",
        "hello",
        "hey",
        "dear",
        "thanks",
        "thank",
        "regards",
        "cheers",
        "best",
        "sincerely",
        "kind",
        "please",
        "ok",
        "okay",
        "dont",
        "doesnt",
        "didnt",
        "cant",
        "wont",
        "isnt",
        "arent",
        "wasnt",
        "werent",
        "havent",
        "hasnt",
        "hadnt",
        "couldnt",
        "shouldnt",
        "wouldnt",
        "im",
        "ive",
        "youre",
        "youve",
        "weve",
        "theyre",
        "thats",
        "theres",
        "whats",
        "lets",
        "ill",
        "youll",
    }
)
_PLEASANTRY = re.compile(
    r"^(?:thanks|thank you|sorry|apologies|hope this helps|let me know|let us know|feel free|"
    r"have a (?:great|nice|good)|happy to help|glad|please don't hesitate|don't hesitate)\b",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")
_MAX_RELATED_WITH_SUBJECT = 10
_DIGITS = re.compile(r"\d+")
_HTML_TAG = re.compile(r"<(?:p|div|br|span|a|li|ul|ol|table|tr|td|b|i|strong|em|h\d)\b[^>]*>", re.I)
_HTML_BREAK = re.compile(r"<(?:br\s*/?|/p|/div|/li|/tr|/h\d)\s*>", re.I)


@dataclass(frozen=True)
class ClusterParams:
    """Knobs of the clustering; the defaults are tuned on planted and generated tickets.

    Attributes:
        resolution_weight: Share of the resolution text in the similarity of two tickets.
        member_similarity: Least cosine similarity to the centroid for a member.
        resolution_similarity: Least similarity of a member's resolution to the cluster's.
        relative_similarity: A member must also reach this share of the cluster's median
            similarity (tight clusters reject loose hangers-on).
        merge_similarity: Segments whose centroids are at least this similar are merged.
        rounds: Assign-and-reject rounds after merging.
        passes: Clustering passes; each pass clusters the tickets the earlier ones left.
        seed: Seed of k-means.
    """

    resolution_weight: float = 0.65
    member_similarity: float = 0.30
    resolution_similarity: float = 0.20
    relative_similarity: float = 0.60
    merge_similarity: float = 0.40
    rounds: int = 3
    passes: int = 3
    seed: int = 0
    signature_terms: int = 40
    keywords: int = 6


@dataclass
class Clustering:
    """What :func:`cluster_texts` found.

    Attributes:
        labels: Cluster index per ticket, -1 for tickets in no cluster (noise).
        similarity: Similarity of each ticket to its cluster's centroid (0 for noise).
        members: Per cluster, its ticket indices, most representative first.
        keywords: Per cluster, class-based TF-IDF labels.
        signatures: Per cluster, its heaviest centroid terms and their weights.
        boilerplate: Sentences left out as boilerplate (see :func:`sentence_key`).
    """

    labels: np.ndarray
    similarity: np.ndarray
    members: list[list[int]] = field(default_factory=list)
    keywords: list[list[str]] = field(default_factory=list)
    signatures: list[dict[str, float]] = field(default_factory=list)
    boilerplate: frozenset[str] = frozenset()
    _model: Any = None

    def assign(
        self, problems: Sequence[str], resolutions: Sequence[str], *, prepared: bool = False
    ) -> np.ndarray:
        """Cluster index of other tickets by the same rule (-1: none), e.g. an older window."""
        from threadpoolctl import threadpool_limits

        if self._model is None or not problems:
            return np.full(len(problems), -1)
        if not prepared:
            problems = [_prepare(t) for t in problems]
            resolutions = [_prepare(t) for t in resolutions]
        problems = [_for_vectors(_cleaned(t, self.boilerplate)) for t in problems]
        resolutions = [_for_vectors(_cleaned(t, self.boilerplate)) for t in resolutions]
        with threadpool_limits(limits=1):
            return self._model.assign(problems, resolutions)

    def problem_vectors(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """TF-IDF rows of cleaned problem texts: their dot products are cosine similarities."""
        return _problem_vectors(self._model, texts)


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


# -- text ------------------------------------------------------------------------------------


def clean_text(text: str | None) -> str:
    """Text without quoted history, greeting, sign-off and personal data.

    What a reader of an article needs, and what tells tickets apart: a quoted earlier
    message or a signature would make unrelated tickets look alike.
    """
    return _strip_salutations(_prepare(text))


def _prepare(text: str | None) -> str:
    """The message itself, redacted: no HTML, quoted history or text past 4,000 characters."""
    if not text:
        return ""
    text = text.replace("\r\n", "\n")
    if "<" in text and _HTML_TAG.search(text):
        text = html.unescape(re.sub(r"<[^>]+>", " ", _HTML_BREAK.sub("\n", text)))
    quoted = _QUOTED_HISTORY.search(text)
    if quoted:
        text = text[: quoted.start()]
    text = "\n".join(line for line in text.split("\n") if not line.lstrip().startswith(">"))
    return (redact(text[:_MAX_TEXT]) or "").strip()


def _strip_salutations(text: str) -> str:
    """A prepared text without its greeting line and its sign-off and what follows it."""
    greeting = _GREETING.search(text, 0, 200)
    if (
        greeting
        and text[greeting.end() :].strip()  # a greeting is followed by the message
        and (
            greeting.group(0).rstrip().endswith((",", "!", ":"))
            or len(greeting.group(0).split()) <= 3
        )
    ):
        text = text[: greeting.start()] + text[greeting.end() :]
    sign_off = _SIGN_OFF.search(text)
    if sign_off:
        text = text[: sign_off.start()]
    return text.strip()


def _sentences(text: str) -> list[str]:
    return [part for line in text.split("\n") for part in _SENTENCE_END.split(line) if part.strip()]


def sentence_key(sentence: str) -> str:
    """A sentence reduced to its words, numbers as 0: equal for the same boilerplate line."""
    return " ".join(_WORD.findall(_DIGITS.sub("0", sentence.lower())))


def _boilerplate(texts: Sequence[str]) -> frozenset[str]:
    """Sentences in a quarter or more of the texts: footers, disclaimers, signatures.

    They say nothing about the ticket and would make every ticket look like every other.
    """
    threshold = max(20, 0.25 * len(texts))
    counts = Counter(key for text in texts for key in {sentence_key(s) for s in _sentences(text)})
    return frozenset(key for key, count in counts.items() if key and count >= threshold)


def _cleaned(prepared: str, boilerplate: frozenset[str]) -> str:
    """A prepared text without salutations and boilerplate sentences."""
    text = _strip_salutations(prepared)
    if not boilerplate:
        return text
    return "\n".join(s for s in _sentences(text) if sentence_key(s) not in boilerplate)


def _for_vectors(text: str) -> str:
    """Cleaned text without the redaction labels, which would read as words."""
    return _LABELS.sub(" ", text)


@functools.cache
def _stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS) | _EXTRA_STOP_WORDS


def _terms(text: str, stop: frozenset[str] | None = None) -> list[str]:
    """Words and pairs of adjacent words, stop words left out (no pair spans a stop word)."""
    stop = _stop_words() if stop is None else stop
    words = _WORD.findall(_APOSTROPHE.sub("", text.lower()))
    kept = [word not in stop for word in words]
    terms = [word for word, keep in zip(words, kept, strict=True) if keep]
    terms += [
        f"{a} {b}"
        for (a, keep_a), (b, keep_b) in itertools.pairwise(zip(words, kept, strict=True))
        if keep_a and keep_b
    ]
    return terms


class _Part:
    """One text part (problem or resolution): its vocabulary and IDF weights.

    Rows are unit length in the space of every term. A term of one ticket only is not a
    dimension (it never makes two tickets alike) but still counts towards the length of
    its row, so similarities are those of the full vectors: a short ticket whose one shared
    word survives is not taken for a copy of every ticket with that word. A term in more
    than 60% of the tickets is a stop word. Texts seen later (an older window) count their
    new terms the same way.
    """

    def __init__(self) -> None:
        self.vocabulary: dict[str, int] = {}  # every term seen -> its index in `idf`
        self.idf = np.zeros(0)
        self.column = np.zeros(0, dtype=int)  # index -> dimension; -1 unique, -2 too common
        self.unseen_idf = 1.0
        self.names: list[str] = [""]  # one column of zeros when no term is a dimension
        self.stop_words: frozenset[str] | None = None  # None: _stop_words()

    def fit(self, texts: Sequence[str]) -> tuple[sparse.csr_matrix, sparse.csr_matrix, np.ndarray]:
        """Term counts, rows (dimensions only) and which texts have a term, of the texts the
        weights are learned from."""
        from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer

        n = len(texts)
        try:
            counter = CountVectorizer(analyzer=_terms, dtype=np.float64)
            counts = counter.fit_transform(texts).tocsr()
        except ValueError:  # no term at all (empty texts, only stop words)
            return sparse.csr_matrix((n, 1)), sparse.csr_matrix((n, 1)), np.zeros(n, bool)
        self.vocabulary = {str(term): int(i) for term, i in counter.vocabulary_.items()}
        weights = TfidfTransformer(norm=None, sublinear_tf=True).fit(counts)
        self.idf = weights.idf_
        self.unseen_idf = math.log(1 + n) + 1  # the smooth idf of a term no ticket had
        df = np.asarray((counts > 0).sum(axis=0)).ravel()
        common = df > 0.6 * n if n >= 50 else np.zeros(len(df), dtype=bool)
        unique = df < 2 if n >= 10 else np.zeros(len(df), dtype=bool)
        dimension = ~common & ~unique
        self.column = np.where(dimension, np.cumsum(dimension) - 1, np.where(unique, -1, -2))
        weighted = weights.transform(counts).tocsr()
        kept = weighted[:, ~common]
        lengths = np.sqrt(_row_mass(kept))
        if not dimension.any():
            return sparse.csr_matrix((n, 1)), sparse.csr_matrix((n, 1)), lengths > 0
        names = np.empty(len(df), dtype=object)
        names[list(self.vocabulary.values())] = list(self.vocabulary)
        self.names = [str(name) for name in names[dimension]]
        rows = _scale_rows(weighted[:, dimension], lengths)
        return counts[:, dimension].tocsr(), rows, lengths > 0

    def transform(self, texts: Sequence[str]) -> tuple[sparse.csr_matrix, np.ndarray]:
        """Rows (dimensions only) of other texts with the learned weights; which have a term."""
        rows: list[int] = []
        terms: list[str] = []
        counts: list[int] = []
        for row, text in enumerate(texts):
            counted = Counter(_terms(text, self.stop_words))
            rows += [row] * len(counted)
            terms += counted
            counts += counted.values()
        lookup = self.vocabulary.get
        index = np.fromiter((lookup(term, -1) for term in terms), dtype=np.int64, count=len(terms))
        known = index >= 0
        column = np.full(len(terms), -1, dtype=np.int64)
        column[known] = self.column[index[known]]
        idf = np.full(len(terms), self.unseen_idf)
        idf[known] = self.idf[index[known]]
        weight = (1 + np.log(np.asarray(counts, dtype=np.float64))) * idf
        row = np.asarray(rows, dtype=np.int64)
        kept = column != -2  # a term too common to count is left out
        lengths = np.sqrt(np.bincount(row[kept], weights=weight[kept] ** 2, minlength=len(texts)))
        dimension = column >= 0
        matrix = sparse.csr_matrix(
            (weight[dimension], (row[dimension], column[dimension])),
            shape=(len(texts), len(self.names)),
        )
        return _scale_rows(matrix, lengths), lengths > 0

    def dump(self, prefix: str) -> dict[str, np.ndarray]:
        """The learned weights as arrays (see :meth:`load`)."""
        terms = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        return {
            f"{prefix}terms": _text_array(terms),
            f"{prefix}idf": np.asarray(self.idf, dtype=np.float64),
            f"{prefix}column": np.asarray(self.column, dtype=np.int64),
            f"{prefix}unseen_idf": np.array([self.unseen_idf]),
            f"{prefix}names": _text_array(self.names),
        }

    @classmethod
    def load(cls, arrays: Any, prefix: str) -> _Part:
        part = cls()
        part.vocabulary = {term: i for i, term in enumerate(_array_text(arrays[f"{prefix}terms"]))}
        part.idf = arrays[f"{prefix}idf"]
        part.column = arrays[f"{prefix}column"]
        part.unseen_idf = float(arrays[f"{prefix}unseen_idf"][0])
        part.names = _array_text(arrays[f"{prefix}names"])
        return part


def _text_array(texts: Sequence[str]) -> np.ndarray:
    """Strings without line breaks (terms, sentence keys) as one array: count, then text."""
    text = "\n".join([str(len(texts)), *texts])
    return np.frombuffer(text.encode(), dtype=np.uint8)


def _array_text(array: np.ndarray) -> list[str]:
    count, _, text = array.tobytes().decode().partition("\n")
    return text.split("\n") if int(count) else []


def _scale_rows(matrix: sparse.spmatrix, lengths: np.ndarray) -> sparse.csr_matrix:
    """Each row divided by its length (rows of length 0 stay 0)."""
    with np.errstate(divide="ignore"):
        inverse = np.where(lengths > 0, 1 / lengths, 0.0)
    return sparse.csr_matrix(sparse.diags(inverse) @ matrix)


def _row_mass(matrix: sparse.csr_matrix) -> np.ndarray:
    return np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel()


@dataclass
class _Vectors:
    """Per ticket: problem, resolution and combined rows, and the squared length each row
    has outside the dimensions (its unique terms): 1 - |row|^2 for a text, 0 for none."""

    combined: sparse.csr_matrix
    problem: sparse.csr_matrix
    resolution: sparse.csr_matrix
    combined_rest: np.ndarray
    problem_rest: np.ndarray
    resolution_rest: np.ndarray
    resolved: np.ndarray  # has a resolution text

    def __len__(self) -> int:
        return self.combined.shape[0]

    def take(self, rows: np.ndarray) -> _Vectors:
        return _Vectors(
            self.combined[rows],
            self.problem[rows],
            self.resolution[rows],
            self.combined_rest[rows],
            self.problem_rest[rows],
            self.resolution_rest[rows],
            self.resolved[rows],
        )


@dataclass
class _Sums:
    """Per cluster: the sum of its members' rows and of their squared length outside."""

    rows: sparse.csr_matrix
    rest: np.ndarray

    @property
    def squared_length(self) -> np.ndarray:
        return _row_mass(self.rows) + self.rest


class _Model:
    """The fitted weights and the clusters' member sums: assigns tickets to clusters."""

    def __init__(self, params: ClusterParams) -> None:
        self.params = params
        self.problem_part = _Part()
        self.resolution_part = _Part()
        self.counts = sparse.csr_matrix((0, 0))
        self.names: list[str] = []
        empty = _Sums(sparse.csr_matrix((0, 1)), np.zeros(0))
        self.sums = self.problem_sums = self.resolution_sums = empty

    def fit_transform(self, problems: Sequence[str], resolutions: Sequence[str]) -> _Vectors:
        problem_counts, problem, has_problem = self.problem_part.fit(problems)
        resolution_counts, resolution, resolved = self.resolution_part.fit(resolutions)
        self.counts = sparse.hstack([problem_counts, resolution_counts], format="csr")
        self.names = [f"p:{t}" for t in self.problem_part.names]
        self.names += [f"r:{t}" for t in self.resolution_part.names]
        return self._combine(problem, has_problem, resolution, resolved)

    def transform(self, problems: Sequence[str], resolutions: Sequence[str]) -> _Vectors:
        problem, has_problem = self.problem_part.transform(problems)
        resolution, resolved = self.resolution_part.transform(resolutions)
        return self._combine(problem, has_problem, resolution, resolved)

    def _combine(
        self,
        problem: sparse.csr_matrix,
        has_problem: np.ndarray,
        resolution: sparse.csr_matrix,
        resolved: np.ndarray,
    ) -> _Vectors:
        weight = self.params.resolution_weight
        # a ticket without a resolution is its problem alone, at full length
        problem_share = np.where(resolved, 1 - weight, 1.0) * has_problem
        resolution_share = np.where(has_problem, weight, 1.0) * resolved
        combined = sparse.hstack(
            [
                sparse.diags(np.sqrt(problem_share)) @ problem,
                sparse.diags(np.sqrt(resolution_share)) @ resolution,
            ],
            format="csr",
        )
        problem_rest = np.where(has_problem, np.maximum(1 - _row_mass(problem), 0), 0.0)
        resolution_rest = np.where(resolved, np.maximum(1 - _row_mass(resolution), 0), 0.0)
        return _Vectors(
            combined=combined,
            problem=problem,
            resolution=resolution,
            combined_rest=problem_share * problem_rest + resolution_share * resolution_rest,
            problem_rest=problem_rest,
            resolution_rest=resolution_rest,
            resolved=resolved,
        )

    def set_centroids(self, vectors: _Vectors, labels: np.ndarray, clusters: Sequence[int]) -> None:
        """The member sums of the given clusters (leave-one-out comparisons need sums)."""
        self.sums = _sums(vectors.combined, vectors.combined_rest, labels, clusters)
        self.problem_sums = _sums(vectors.problem, vectors.problem_rest, labels, clusters)
        self.resolution_sums = _sums(vectors.resolution, vectors.resolution_rest, labels, clusters)

    @property
    def centroids(self) -> sparse.csr_matrix:
        """Unit-direction centroids over the dimensions."""
        from sklearn.preprocessing import normalize

        return normalize(self.sums.rows)

    def similarities(
        self,
        vectors: _Vectors,
        *,
        own: np.ndarray | None = None,
        fixed: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per ticket: the nearest cluster (or the `fixed` one), the cosine similarity to it,
        and that of its resolution to the cluster's resolutions.

        `own` gives the cluster each ticket is a member of (-1: none): a member is compared
        with the other members only (leave-one-out); else a cluster of five unrelated
        tickets would look tight, each being a fifth of the centroid it is compared with.
        """
        n = len(vectors)
        if not len(self.sums.rest):
            return np.full(n, -1), np.zeros(n), np.zeros(n)
        full = _cosines(vectors.combined, self.sums, own)
        problem_only = _cosines(vectors.problem, self.problem_sums, own)
        # a ticket without a resolution is compared on its problem alone
        scores = np.where(vectors.resolved[:, None], full, problem_only)
        nearest = scores.argmax(axis=1) if fixed is None else np.maximum(fixed, 0)
        rows = np.arange(n)
        resolution = _cosines(vectors.resolution, self.resolution_sums, own)[rows, nearest]
        return nearest, scores[rows, nearest], np.where(vectors.resolved, resolution, 1.0)

    def assign(self, problems: Sequence[str], resolutions: Sequence[str]) -> np.ndarray:
        """Cluster index of texts ready for vectors (-1: none)."""
        return self.assign_scored(problems, resolutions)[0]

    def assign_scored(
        self, problems: Sequence[str], resolutions: Sequence[str]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Cluster index of texts ready for vectors (-1: none) and the similarity to it."""
        nearest, score, resolution_score = self.similarities(self.transform(problems, resolutions))
        ok = (score >= self.params.member_similarity) & (
            resolution_score >= self.params.resolution_similarity
        )
        return np.where(ok, nearest, -1), np.where(ok, score, 0.0)

    def dump(self, boilerplate: frozenset[str]) -> bytes:
        """What assigning other tickets needs, as NumPy .npz bytes (see :meth:`load`)."""
        arrays = {
            **self.problem_part.dump("problem_"),
            **self.resolution_part.dump("resolution_"),
            "boilerplate": _text_array(sorted(boilerplate)),
            # kept with the weights, so assigning needs no scikit-learn import (and a newer
            # scikit-learn's list cannot change how the stored clusters are read)
            "stop_words": _text_array(sorted(_stop_words())),
        }
        for name, sums in (
            ("sums_", self.sums),
            ("problem_sums_", self.problem_sums),
            ("resolution_sums_", self.resolution_sums),
        ):
            rows = sparse.csr_matrix(sums.rows)
            arrays |= {
                f"{name}data": rows.data,
                f"{name}indices": rows.indices,
                f"{name}indptr": rows.indptr,
                f"{name}shape": np.asarray(rows.shape, dtype=np.int64),
                f"{name}rest": np.asarray(sums.rest, dtype=np.float64),
            }
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        return buffer.getvalue()

    @classmethod
    def load(cls, payload: bytes, params: ClusterParams) -> tuple[_Model, frozenset[str]]:
        """A model saved by :meth:`dump` and its boilerplate sentences."""
        model = cls(params)
        with np.load(io.BytesIO(payload)) as arrays:
            model.problem_part = _Part.load(arrays, "problem_")
            model.resolution_part = _Part.load(arrays, "resolution_")
            sums = []
            for name in ("sums_", "problem_sums_", "resolution_sums_"):
                rows = sparse.csr_matrix(
                    (arrays[f"{name}data"], arrays[f"{name}indices"], arrays[f"{name}indptr"]),
                    shape=tuple(int(n) for n in arrays[f"{name}shape"]),
                )
                sums.append(_Sums(rows, arrays[f"{name}rest"]))
            model.sums, model.problem_sums, model.resolution_sums = sums
            boilerplate = frozenset(_array_text(arrays["boilerplate"]))
            stop_words = frozenset(_array_text(arrays["stop_words"]))
            model.problem_part.stop_words = model.resolution_part.stop_words = stop_words
        return model, boilerplate


def _indicator(labels: np.ndarray, clusters: Sequence[int]) -> sparse.csr_matrix:
    """Cluster x ticket matrix with a 1 where the ticket is a member."""
    clusters = np.asarray(clusters, dtype=int)
    position = np.full(max(int(labels.max(initial=-1)), int(clusters.max(initial=-1))) + 2, -1)
    position[clusters] = np.arange(len(clusters))
    rows = np.flatnonzero(labels >= 0)
    rows = rows[position[labels[rows]] >= 0]
    return sparse.csr_matrix(
        (np.ones(len(rows)), (position[labels[rows]], rows)),
        shape=(len(clusters), len(labels)),
    )


def _sums(
    matrix: sparse.csr_matrix, rest: np.ndarray, labels: np.ndarray, clusters: Sequence[int]
) -> _Sums:
    indicator = _indicator(labels, clusters)
    return _Sums(sparse.csr_matrix(indicator @ matrix), indicator @ rest)


def _cosines(rows: sparse.csr_matrix, sums: _Sums, own: np.ndarray | None) -> np.ndarray:
    """Cosine similarity of each row (full length 1) to each cluster sum, in the space of
    every term; a member is compared with its cluster without itself."""
    dots = np.asarray((rows @ sums.rows.T).todense())
    squared = sums.squared_length
    with np.errstate(divide="ignore", invalid="ignore"):
        cosines = np.where(squared > 0, dots / np.sqrt(squared), 0.0)
        if own is not None:
            members = np.flatnonzero(own >= 0)
            cluster = own[members]
            inside = _row_mass(rows[members])
            outside = np.maximum(1 - inside, 0) * (inside > 0)
            dot = dots[members, cluster] - inside
            rest = squared[cluster] - 2 * dots[members, cluster] + inside - outside
            cosines[members, cluster] = np.where(rest > 1e-9, dot / np.sqrt(rest), 0.0)
    return cosines


# -- clustering ------------------------------------------------------------------------------


def cluster_texts(
    problems: Sequence[str],
    resolutions: Sequence[str],
    *,
    min_size: int = 5,
    params: ClusterParams | None = None,
    prepared: bool = False,
) -> Clustering:
    """Cluster tickets by their problem text and resolution; noise stays unclustered.

    Args:
        problems: Per ticket, subject and description.
        resolutions: Per ticket, the resolution reply ("" when there is none).
        min_size: Smallest cluster kept.
        params: Clustering knobs.
        prepared: The texts are already prepared (redacted, without HTML and quotes).

    Returns:
        Labels (-1 for noise), similarities, members (most representative first),
        keywords and term signatures of every cluster, largest cluster first.
    """
    from threadpoolctl import threadpool_limits

    if not prepared:
        problems = [_prepare(t) for t in problems]
        resolutions = [_prepare(t) for t in resolutions]
    with threadpool_limits(limits=1):  # same sums in the same order on any machine
        return _cluster_texts(problems, resolutions, min_size, params or ClusterParams())


def _cluster_texts(
    problems: Sequence[str], resolutions: Sequence[str], min_size: int, params: ClusterParams
) -> Clustering:
    n = len(problems)
    model = _Model(params)
    empty = Clustering(labels=np.full(n, -1), similarity=np.zeros(n), _model=None)
    if n < min_size:
        return empty
    # boilerplate is found before sign-offs are cut: a footer after "Best," counts too
    boilerplate = _boilerplate(problems) | _boilerplate(resolutions)
    vectors = model.fit_transform(
        [_for_vectors(_cleaned(t, boilerplate)) for t in problems],
        [_for_vectors(_cleaned(t, boilerplate)) for t in resolutions],
    )

    # Clusters among the tickets left over: k-means splits big clusters before it isolates
    # small ones, so a group of six can hide among thousands until the big ones are out.
    labels = np.full(n, -1)
    pool = np.flatnonzero(vectors.combined.getnnz(axis=1) > 0)  # no shared term: no cluster
    for _ in range(params.passes):
        if len(pool) < min_size:
            break
        found = _find_clusters(model, vectors.take(pool), min_size)
        if not (found >= 0).any():
            break
        labels[pool[found >= 0]] = found[found >= 0] + labels.max() + 1
        pool = np.flatnonzero((labels < 0) & (vectors.combined.getnnz(axis=1) > 0))
    # then every ticket may move to the best of all clusters
    for _ in range(2):
        _split_mixed(labels, vectors, min_size, params)
        clusters = np.flatnonzero(np.bincount(labels[labels >= 0], minlength=1) >= min_size)
        if not len(clusters):
            return empty
        model.set_centroids(vectors, labels, clusters)
        labels = _assign(model, vectors, clusters, labels)

    counts = np.bincount(labels[labels >= 0], minlength=1)
    clusters = [int(c) for c in np.flatnonzero(counts >= min_size)]
    if not clusters:
        return empty
    # largest first, ties by the first ticket (tickets come sorted by id)
    order = sorted(clusters, key=lambda c: (-counts[c], int(np.argmax(labels == c))))
    relabel = np.full(int(labels.max()) + 2, -1)  # index -1 (noise) reads the last cell: -1
    relabel[order] = np.arange(len(order))
    final = relabel[labels]
    model.set_centroids(vectors, final, list(range(len(order))))
    # the similarity of each member to the rest of its cluster ranks who represents it best
    _, score, _ = model.similarities(vectors, own=final, fixed=final)
    similarity = np.where(final >= 0, score, 0.0)
    members = [
        sorted(np.flatnonzero(final == c).tolist(), key=lambda i: (-similarity[i], i))
        for c in range(len(order))
    ]
    return Clustering(
        labels=final,
        similarity=similarity,
        members=members,
        keywords=_keywords(model, final, len(order), params.keywords),
        signatures=_signatures(model, params.signature_terms),
        boilerplate=boilerplate,
        _model=model,
    )


def _find_clusters(model: _Model, vectors: _Vectors, min_size: int) -> np.ndarray:
    """Labels of one clustering pass (-1: none): segments, then assign-and-reject rounds."""
    params = model.params
    labels = _segments(vectors, min_size, params)
    for _ in range(params.rounds):
        clusters = np.flatnonzero(np.bincount(labels[labels >= 0], minlength=1) >= min_size)
        if not len(clusters):
            return np.full(len(vectors), -1)
        model.set_centroids(vectors, labels, clusters)
        labels = _assign(model, vectors, clusters, labels)
    for _ in range(2):
        split = _split_mixed(labels, vectors, min_size, params)
        absorbed = _absorb_unresolved(labels, vectors, min_size, params)
        if not (split or absorbed):
            break
        clusters = np.flatnonzero(np.bincount(labels[labels >= 0], minlength=1) >= min_size)
        model.set_centroids(vectors, labels, clusters)
        labels = _assign(model, vectors, clusters, labels)
    counts = np.bincount(labels[labels >= 0], minlength=1)
    labels = np.where((labels >= 0) & (counts[np.maximum(labels, 0)] >= min_size), labels, -1)
    # consecutive numbers from 0
    _, dense = np.unique(labels, return_inverse=True)
    return np.where(labels >= 0, dense - (1 if (labels < 0).any() else 0), -1)


@contextlib.contextmanager
def _quiet_convergence() -> Iterator[None]:
    """k-means warns when it finds fewer distinct points than clusters; that is expected."""
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _segments(vectors: _Vectors, min_size: int, params: ClusterParams) -> np.ndarray:
    """Over-segment with k-means on a 64-dimension projection, then merge alike segments.

    The projection (LSA) only makes k-means fast; membership is decided later on the full
    TF-IDF vectors. Merging is average linkage with a similarity threshold: the number of
    clusters follows from the data.
    """
    from sklearn.cluster import AgglomerativeClustering, MiniBatchKMeans
    from sklearn.decomposition import TruncatedSVD
    from sklearn.preprocessing import normalize

    n, width = vectors.combined.shape
    dimensions = min(64, width - 1, n - 1)
    if dimensions >= 2:
        svd = TruncatedSVD(n_components=dimensions, n_iter=3, random_state=params.seed)
        with np.errstate(divide="ignore", invalid="ignore"):  # all texts alike: no variance
            points = normalize(svd.fit_transform(vectors.combined))
    else:
        points = vectors.combined.toarray()
    k = int(min(max(2, n // min_size), max(2, round(3 * math.sqrt(n)))))
    kmeans = MiniBatchKMeans(
        n_clusters=k, random_state=params.seed, n_init=1, batch_size=2048, max_iter=20
    )
    with _quiet_convergence():  # identical texts: fewer distinct points than segments
        labels = kmeans.fit_predict(points)
    used = np.unique(labels)
    if len(used) < 2:
        return labels
    distance = 1 - _alike(vectors, labels, used, params)
    merged = AgglomerativeClustering(
        n_clusters=None,
        metric="precomputed",
        linkage="average",
        distance_threshold=1 - params.merge_similarity,
    ).fit_predict(np.clip(distance, 0, 1))
    return merged[np.searchsorted(used, labels)]


def _alike(
    vectors: _Vectors, labels: np.ndarray, groups: np.ndarray, params: ClusterParams
) -> np.ndarray:
    """Cosine similarity of the member sums of groups of tickets, for merging and splitting.

    Two groups that both hold resolutions, but resolutions that differ, are not alike
    however alike their problems: "any update?" follow-ups solved in different ways stay
    apart.
    """
    combined = _sums(vectors.combined, vectors.combined_rest, labels, groups)
    resolution = _sums(vectors.resolution, vectors.resolution_rest, labels, groups)
    similarity = _sum_cosines(combined)
    counts = np.asarray(_indicator(labels, groups).sum(axis=1)).ravel()
    resolved = _indicator(labels, groups) @ vectors.resolved.astype(float) >= 0.5 * counts
    differ = _sum_cosines(resolution) < params.resolution_similarity
    similarity[np.outer(resolved, resolved) & differ] = 0.0
    return similarity


def _sum_cosines(sums: _Sums) -> np.ndarray:
    dots = np.asarray((sums.rows @ sums.rows.T).todense())
    lengths = np.sqrt(sums.squared_length)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.outer(lengths, lengths) > 0, dots / np.outer(lengths, lengths), 0.0)


def _assign(
    model: _Model, vectors: _Vectors, clusters: np.ndarray, labels: np.ndarray
) -> np.ndarray:
    """Each ticket to its nearest cluster if close enough, else to none.

    `labels` are the memberships the model's sums were made from; `clusters` their ids.
    """
    params = model.params
    position = {int(cluster): index for index, cluster in enumerate(clusters)}
    own = np.array([position.get(int(label), -1) for label in labels])
    nearest, score, resolution_score = model.similarities(vectors, own=own)
    labels = np.where(
        (score >= params.member_similarity) & (resolution_score >= params.resolution_similarity),
        np.asarray(clusters)[nearest],
        -1,
    )
    for cluster in np.unique(labels[labels >= 0]):
        inside = labels == cluster
        floor = params.relative_similarity * float(np.median(score[inside]))
        labels[inside & (score < floor)] = -1
    return labels


def _split_mixed(
    labels: np.ndarray, vectors: _Vectors, min_size: int, params: ClusterParams
) -> bool:
    """Split a cluster in two when its halves are no more alike than separate clusters.

    The merge rule in reverse, for what k-means put together. Changes `labels` in place;
    True when it split one.
    """
    from sklearn.cluster import KMeans

    changed = False
    for cluster in np.unique(labels[labels >= 0]):
        rows = np.flatnonzero(labels == cluster)
        if len(rows) < 2 * min_size:
            continue
        with _quiet_convergence():  # all members alike: one half is empty, no split
            halves = KMeans(n_clusters=2, n_init=1, random_state=params.seed).fit_predict(
                vectors.combined[rows]
            )
        if min(np.bincount(halves, minlength=2)) < min_size:
            continue
        if _alike(vectors.take(rows), halves, np.array([0, 1]), params)[0, 1] < (
            params.merge_similarity
        ):
            labels[rows[halves == 1]] = labels.max() + 1
            changed = True
    return changed


def _absorb_unresolved(
    labels: np.ndarray, vectors: _Vectors, min_size: int, params: ClusterParams
) -> bool:
    """Fold a cluster of mostly unresolved tickets into the resolved cluster of its problem.

    Tickets without a resolution text are compared on their problem alone, so they can
    form a cluster of their own next to the cluster that holds the same problem with its
    resolution; one article serves both. Changes `labels` in place; True when it did.
    """
    clusters = np.flatnonzero(np.bincount(labels[labels >= 0], minlength=1) >= min_size)
    if len(clusters) < 2:
        return False
    indicator = _indicator(labels, clusters)
    resolved = indicator @ vectors.resolved.astype(float) >= 0.5 * indicator.sum(axis=1).A1
    similarity = _sum_cosines(_sums(vectors.problem, vectors.problem_rest, labels, clusters))
    changed = False
    for index in np.flatnonzero(~resolved):
        targets = np.flatnonzero(resolved)
        if not len(targets):
            break
        best = targets[np.argmax(similarity[index, targets])]
        if similarity[index, best] >= params.merge_similarity:
            labels[labels == clusters[index]] = clusters[best]
            changed = True
    return changed


def _keywords(model: _Model, labels: np.ndarray, n_clusters: int, top: int) -> list[list[str]]:
    """Class-based TF-IDF: terms frequent in a cluster and rare in the others.

    Counts of a term in the problem and in the resolution text are added up; the tickets
    in no cluster form one more class, so words common everywhere rank low.
    """
    union: dict[str, int] = {}
    columns = [union.setdefault(name[2:], len(union)) for name in model.names]
    merge = sparse.csr_matrix(
        (np.ones(len(columns)), (np.arange(len(columns)), columns)),
        shape=(len(columns), len(union)),
    )
    counts = model.counts @ merge
    classes = np.where(labels >= 0, labels, n_clusters)
    indicator = sparse.csr_matrix(
        (np.ones(len(classes)), (classes, np.arange(len(classes)))),
        shape=(n_clusters + 1, len(classes)),
    )
    per_class = np.asarray((indicator @ counts).todense(), dtype=np.float64)
    totals = per_class.sum(axis=1, keepdims=True)
    tf = per_class / np.maximum(totals, 1)
    idf = np.log1p(float(totals.mean()) / np.maximum(per_class.sum(axis=0), 1))
    scores = tf * idf
    terms = list(union)
    keywords = []
    for cluster in range(n_clusters):
        chosen: list[str] = []
        for index in np.argsort(-scores[cluster], kind="stable"):
            if scores[cluster, index] <= 0 or len(chosen) >= top or not terms[index]:
                break
            words = set(terms[index].split())
            if any(words <= set(kept.split()) for kept in chosen):
                continue  # "reset" after "password reset" adds nothing
            chosen = [kept for kept in chosen if not set(kept.split()) <= words]
            chosen.append(terms[index])
        keywords.append(chosen)
    return keywords


def _signatures(model: _Model, top: int) -> list[dict[str, float]]:
    """The heaviest terms of each centroid, vocabulary-independent, for matching across days."""
    signatures = []
    for row in model.centroids:
        values = row.toarray().ravel()
        order = np.argsort(-values, kind="stable")[:top]
        signatures.append({model.names[i]: float(values[i]) for i in order if values[i] > 0})
    return signatures


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    dot = sum(weight * b.get(term, 0.0) for term, weight in a.items())
    norm = math.sqrt(sum(w * w for w in a.values())) * math.sqrt(sum(w * w for w in b.values()))
    return dot / norm if norm else 0.0


# -- one run ---------------------------------------------------------------------------------

MATCH_OVERLAP = 0.5  # share of the smaller member set that both clusters hold
MATCH_SIGNATURE = 0.6  # cosine similarity of the term signatures
_LONG_NUMBER = re.compile(r"(?<![\d.,])\d{5,}(?![\d.,]?\d)")
# bump when a change to the method makes stored clusterings and labels unusable
_SAMPLED_VERSION = 1
_TEMP_TABLES = ("kb_window", "kb_previous", "kb_todo", "kb_listed", "kb_members")
_LABEL_BATCH = 20_000  # tickets read and assigned at a time


@dataclass(frozen=True)
class _Tickets:
    """Solved tickets (sorted by id) and their prepared and cleaned texts."""

    ticket_ids: list[str]
    subjects: list[str]
    descriptions: list[str]
    resolutions: list[str]
    solved_at: list[datetime] = field(default_factory=list)  # the last solve, as of the day

    @functools.cached_property
    def prepared_subjects(self) -> list[str]:
        return [_prepare(t) for t in self.subjects]

    @functools.cached_property
    def prepared_descriptions(self) -> list[str]:
        return [_prepare(t) for t in self.descriptions]

    @functools.cached_property
    def prepared_resolutions(self) -> list[str]:
        return [_prepare(t) for t in self.resolutions]

    @property
    def prepared_problems(self) -> list[str]:
        pairs = zip(self.prepared_subjects, self.prepared_descriptions, strict=True)
        return [f"{subject}\n{description}" for subject, description in pairs]

    @functools.cached_property
    def clean_subjects(self) -> list[str]:
        return [_strip_salutations(t) for t in self.prepared_subjects]

    @functools.cached_property
    def clean_descriptions(self) -> list[str]:
        return [_strip_salutations(t) for t in self.prepared_descriptions]

    @functools.cached_property
    def clean_resolutions(self) -> list[str]:
        return [_strip_salutations(t) for t in self.prepared_resolutions]


def _skip_pattern(con: duckdb.DuckDBPyConnection) -> str:
    """One case-insensitive expression: auto-acknowledgements (config) and nudges."""
    patterns = [row[0] for row in con.execute("select pattern from config.ack_patterns").fetchall()]
    return "(?i)" + "|".join(f"(?:{p})" for p in [*patterns, *NUDGE_PATTERNS])


def _solved_tickets(
    con: duckdb.DuckDBPyConnection,
    day: date,
    window_days: int,
    skip_pattern: str,
    *,
    listed: bool = False,
) -> _Tickets:
    """The window's solved tickets and their texts; `listed`: only those in kb_listed."""
    if not listed:
        con.execute("create temp table if not exists kb_listed (ticket_id varchar)")
    rows = con.execute(
        "select ticket_id, subject, description, resolution, last_solved_at "
        f"from ({read_sql('kb/solved_tickets.sql')}) order by ticket_id",
        {
            "report_date": day,
            "window_days": window_days,
            "skip_pattern": skip_pattern,
            "listed_only": listed,
        },
    ).fetchall()
    return _Tickets(
        ticket_ids=[r[0] for r in rows],
        subjects=[r[1] for r in rows],
        descriptions=[r[2] for r in rows],
        resolutions=[r[3] for r in rows],
        solved_at=[r[4] for r in rows],
    )


def _list_window(con: duckdb.DuckDBPyConnection, table: str, day: date, window_days: int) -> int:
    """Temporary table `table` (ticket_id, last_solved_at) of the window's solved tickets."""
    con.execute(
        f"create or replace temp table {table} as {read_sql('kb/window_tickets.sql')}",
        {"report_date": day, "window_days": window_days},
    )
    return int(con.execute(f"select count(*) from {table}").fetchone()[0])


def refresh_candidates(
    con: duckdb.DuckDBPyConnection, day: date, settings: Settings
) -> list[Candidate]:
    """Cluster the tickets solved in the window up to the end of `day`; store and return them.

    Re-running a day replaces that day's results; ids and states carry over from earlier
    days. Writes ops.kb_candidates / kb_candidate_days / kb_candidate_member_lists and rebuilds
    marts.fct_kb_candidates and marts.fct_kb_candidate_tickets as of `day`. Dismissed
    candidates are returned too (with their state), so callers can count them.

    A window of more than `kb.max_cluster_texts` solved tickets is not clustered whole: see
    :func:`_refresh_sampled`.
    """
    _migrate_members(con)
    skip = _skip_pattern(con)
    try:
        size = _list_window(con, "kb_window", day, settings.kb.window_days)
        if size > settings.kb.max_cluster_texts:
            rows = _refresh_sampled(con, day, settings, skip, size)
        else:
            rows = _cluster_window(con, day, settings, skip)
            _store(con, day, rows)
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
    """The candidates of `day` from a clustering of every ticket of the window."""
    window = settings.kb.window_days
    current = _solved_tickets(con, day, window, skip)
    clustering = cluster_texts(
        current.prepared_problems,
        current.prepared_resolutions,
        min_size=settings.kb.min_cluster_size,
        prepared=True,
    )
    previous_counts = _previous_window_counts(con, day, window, skip, clustering)
    matched = _match(con, day, clustering, current.ticket_ids)

    rows = []
    for index, members in enumerate(clustering.members):
        candidate_id, state, first_seen = matched[index]
        keywords = clustering.keywords[index]
        previous = None if previous_counts is None else int(previous_counts[index])
        title = _title(
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
                "trend": _trend(len(members), previous),
                "ticket_ids": ticket_ids,
                "similarity": [float(clustering.similarity[i]) for i in members],
                "cohesion": float(np.mean(clustering.similarity[members])),
                "signature": clustering.signatures[index],
                "draft": _draft(
                    candidate_id,
                    title,
                    keywords,
                    ticket_ids,
                    [current.clean_subjects[i] for i in members[:_MAX_RELATED_WITH_SUBJECT]],
                    _symptoms(current.clean_subjects[i] for i in members),
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


def _covers_previous_window(con: duckdb.DuckDBPyConnection, day: date, window: int) -> bool:
    """Whether the warehouse's first export is no later than the previous window's start."""
    first_export = con.execute("select min(export_date) from ops.loads").fetchone()[0]
    previous_day = day - timedelta(days=window)
    return first_export is not None and first_export <= previous_day - timedelta(days=window - 1)


def _previous_window_counts(
    con: duckdb.DuckDBPyConnection,
    day: date,
    window: int,
    skip_pattern: str,
    clustering: Clustering,
) -> np.ndarray | None:
    """Per cluster, how many tickets of the window before this one it would have held.

    None when the warehouse's first export is later than that window's first day: the
    count would be too low and the trend a false "rising".
    """
    if not _covers_previous_window(con, day, window):
        return None
    counts = np.zeros(len(clustering.members), dtype=int)
    if not clustering.members:
        return counts
    earlier = _solved_tickets(con, day - timedelta(days=window), window, skip_pattern)
    labels = clustering.assign(
        earlier.prepared_problems, earlier.prepared_resolutions, prepared=True
    )
    np.add.at(counts, labels[labels >= 0], 1)
    return counts


def _trend(tickets: int, previous: int | None) -> str | None:
    """rising / falling when the count moved by half or more and by 3 tickets, else steady."""
    if previous is None:
        return None
    if tickets - previous >= max(3, 0.5 * previous):
        return "rising"
    if previous - tickets >= max(3, 0.5 * tickets):
        return "falling"
    return "steady"


def _match(
    con: duckdb.DuckDBPyConnection, day: date, clustering: Clustering, ticket_ids: list[str]
) -> list[tuple[str, str, date]]:
    """(candidate id, state, first seen) per cluster: an earlier candidate's, or a new id.

    Earlier candidates are those of runs before `day` (each as last found), so re-running
    a day gives the same ids. Pairs are taken best first, one-to-one.
    """
    known = con.execute(read_sql("kb/known_candidates.sql"), {"report_date": day}).fetchall()
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
    pairs = []
    for index, members in enumerate(clustering.members):
        today = {ticket_ids[i] for i in members}
        for position, (earlier_set, earlier_signature) in enumerate(earlier):
            overlap = len(today & earlier_set) / max(1, min(len(today), len(earlier_set)))
            signature = _cosine(clustering.signatures[index], earlier_signature)
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


# -- large windows: a sample clustered, the rest assigned ----------------------------------------


def _refresh_sampled(
    con: duckdb.DuckDBPyConnection, day: date, settings: Settings, skip: str, size: int
) -> list[dict[str, Any]]:
    """The candidates of `day` when the window holds more than `kb.max_cluster_texts` tickets.

    Clustering is superlinear and every ticket's text costs time, so a large window is not
    clustered whole every day. Instead (DECISIONLOG.md, "Knowledge-base candidates"):

    - every `kb.recluster_days` days (or when there is none, or the settings changed) a
      sample of `kb.max_cluster_texts` tickets of the window, those with the lowest MD5 of
      their ticket id, is clustered as usual; the sampled tickets are labelled with its
      clusters, which are matched to the earlier candidates (ids carry over) and kept
      (ops.kb_models, ops.kb_model_clusters);
    - each day, the window's tickets without a label (solved since the last run, solved
      again, or all of them on the first such run) are assigned to the nearest cluster of
      the clustering in use, by the same similarity thresholds (ops.kb_ticket_labels);
      other tickets keep their label;
    - a candidate is every ticket of the window labelled with one of its clusters (of any
      clustering still in use by a label), when there are at least `kb.min_cluster_size`.

    Only the day's new tickets are read and vectorised, so the run grows with the day's
    solves, not the window. The same warehouse gives the same candidates: the sample is a
    function of the window, and a run of `day` reads only labels and clusterings written
    for days up to `day` (its own earlier ones replaced).
    """
    config = settings.kb
    params = ClusterParams()
    key = _settings_key(settings, params, skip)
    con.execute("begin transaction")
    try:
        _forget_sampled(con, day)
        model, model_date, boilerplate = _sampled_model(con, day, settings, params, key, skip, size)
        _label_new_tickets(con, day, config.window_days, skip, key, model, model_date, boilerplate)
        rows = _sampled_rows(con, day, settings, key, skip, model, boilerplate)
        _write_day(con, day, rows, sampled=True)
        _prune_sampled(con, day, config.window_days)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return rows


def _settings_key(settings: Settings, params: ClusterParams, skip: str) -> str:
    """What stored clusterings and labels depend on; a change makes them unusable."""
    basis = {
        "version": _SAMPLED_VERSION,
        "window_days": settings.kb.window_days,
        "min_cluster_size": settings.kb.min_cluster_size,
        "max_cluster_texts": settings.kb.max_cluster_texts,
        "params": dataclasses.asdict(params),
        "skip": skip,
    }
    return hashlib.sha1(json.dumps(basis, sort_keys=True).encode()).hexdigest()[:16]


def _forget_sampled(con: duckdb.DuckDBPyConnection, day: date) -> None:
    """Remove what a run of `day` wrote for large windows (a re-run writes it again)."""
    con.execute("delete from ops.kb_ticket_labels where labelled_on = ?", [day])
    con.execute("delete from ops.kb_model_clusters where model_date = ?", [day])
    con.execute("delete from ops.kb_models where model_date = ?", [day])


def _sampled_model(
    con: duckdb.DuckDBPyConnection,
    day: date,
    settings: Settings,
    params: ClusterParams,
    key: str,
    skip: str,
    size: int,
) -> tuple[_Model, date, frozenset[str]]:
    """The clustering in use on `day` (its model, day and boilerplate sentences): the latest
    one before `day`, or a new one of a sample of the window."""
    config = settings.kb
    latest = con.execute(
        "select model_date, payload from ops.kb_models "
        "where settings_key = ? and model_date < ? order by model_date desc limit 1",
        [key, day],
    ).fetchone()
    if latest is not None and (day - latest[0]).days < config.recluster_days:
        model, boilerplate = _Model.load(latest[1], params)
        return model, latest[0], boilerplate

    con.execute(
        "create or replace temp table kb_listed as select ticket_id from kb_window "
        "order by md5(ticket_id), ticket_id limit ?",
        [config.max_cluster_texts],
    )
    sample = _solved_tickets(con, day, config.window_days, skip, listed=True)
    clustering = cluster_texts(
        sample.prepared_problems,
        sample.prepared_resolutions,
        min_size=config.min_cluster_size,
        params=params,
        prepared=True,
    )
    model = clustering._model if clustering._model is not None else _Model(params)
    matched = _match(con, day, clustering, sample.ticket_ids)
    con.execute(
        "insert into ops.kb_models values (?, ?, ?, ?, ?)",
        [day, key, size, len(sample.ticket_ids), model.dump(clustering.boilerplate)],
    )
    con.execute(
        "insert into ops.kb_model_clusters select ?::date, unnest(?::integer[]), "
        "unnest(?::varchar[]), unnest(?::varchar[][]), unnest(?::varchar[][]), "
        "unnest(?::double[][])",
        [
            day,
            list(range(len(matched))),
            [candidate_id for candidate_id, _, _ in matched],
            clustering.keywords,
            [list(signature) for signature in clustering.signatures],
            [list(signature.values()) for signature in clustering.signatures],
        ],
    )
    _insert_labels(con, day, day, sample, clustering.labels, clustering.similarity)
    return model, day, clustering.boilerplate


def _insert_labels(
    con: duckdb.DuckDBPyConnection,
    day: date,
    model_date: date,
    tickets: _Tickets,
    labels: np.ndarray,
    similarity: np.ndarray,
) -> None:
    subjects = tickets.clean_subjects
    con.execute(
        "insert into ops.kb_ticket_labels select unnest(?::varchar[]), "
        "unnest(?::timestamptz[]), ?::date, ?::date, unnest(?::integer[]), "
        "unnest(?::double[]), unnest(?::varchar[]), unnest(?::varchar[]), unnest(?::boolean[])",
        [
            tickets.ticket_ids,
            tickets.solved_at,
            day,
            model_date,
            [int(label) for label in labels],
            [float(value) for value in similarity],
            subjects,
            [_one_line(subject).lower() for subject in subjects],
            [bool(resolution) for resolution in tickets.clean_resolutions],
        ],
    )


def _label_new_tickets(
    con: duckdb.DuckDBPyConnection,
    day: date,
    window: int,
    skip: str,
    key: str,
    model: _Model,
    model_date: date,
    boilerplate: frozenset[str],
) -> None:
    """Label the window's tickets that have no label yet with the clustering in use.

    In batches of _LABEL_BATCH tickets, so the first run over a large window (every ticket
    new) needs no more memory than a day's run.
    """
    from threadpoolctl import threadpool_limits

    con.execute(
        """
        create or replace temp table kb_todo as
        select window_tickets.ticket_id, window_tickets.last_solved_at,
        from kb_window as window_tickets
        where not exists (
            select 1
            from ops.kb_ticket_labels as labels
            where labels.ticket_id = window_tickets.ticket_id
                and labels.solved_at = window_tickets.last_solved_at
                and labels.labelled_on <= $report_date::date
                and labels.model_date in (
                    select model_date from ops.kb_models where settings_key = $settings_key
                )
        )
        """,
        {"report_date": day, "settings_key": key},
    )
    todo = int(con.execute("select count(*) from kb_todo").fetchone()[0])
    for offset in range(0, todo, _LABEL_BATCH):
        con.execute(
            "create or replace temp table kb_listed as "
            "select ticket_id from kb_todo order by ticket_id limit ? offset ?",
            [_LABEL_BATCH, offset],
        )
        tickets = _solved_tickets(con, day, window, skip, listed=True)
        problems = [_for_vectors(_cleaned(t, boilerplate)) for t in tickets.prepared_problems]
        resolutions = [_for_vectors(_cleaned(t, boilerplate)) for t in tickets.prepared_resolutions]
        with threadpool_limits(limits=1):
            labels, similarity = model.assign_scored(problems, resolutions)
        _insert_labels(con, day, model_date, tickets, labels, similarity)
    # a ticket without any text is in no cluster (and is not looked at again)
    con.execute(
        """
        insert into ops.kb_ticket_labels
        select todo.ticket_id, todo.last_solved_at, $report_date::date, $model_date::date, -1,
            0, '', '', false,
        from kb_todo as todo
        where not exists (
            select 1
            from ops.kb_ticket_labels as labels
            where labels.ticket_id = todo.ticket_id
                and labels.solved_at = todo.last_solved_at
                and labels.labelled_on = $report_date::date
        )
        """,
        {"report_date": day, "model_date": model_date},
    )


def _sampled_rows(
    con: duckdb.DuckDBPyConnection,
    day: date,
    settings: Settings,
    key: str,
    skip: str,
    model: _Model,
    boilerplate: frozenset[str],
) -> list[dict[str, Any]]:
    """The day's candidates from the labels of the window's tickets (temp table kb_members)."""
    window = settings.kb.window_days
    con.execute(
        f"create or replace temp table kb_members as {read_sql('kb/window_members.sql')}",
        {"report_date": day, "settings_key": key, "min_size": settings.kb.min_cluster_size},
    )
    found = con.execute(
        """
        select
            candidate_id,
            count(*) as tickets,
            list(similarity order by member_rank) as similarities,
            list(ticket_id order by member_rank) as ticket_ids,
            list(subject order by member_rank) filter (where member_rank <= 15) as subjects,
            coalesce(min(member_rank) filter (where has_resolution), 1) as representative,
        from kb_members
        group by candidate_id
        order by tickets desc, min(ticket_id)
        """
    ).fetchall()
    if not found:
        return []
    symptoms = dict(
        con.execute(
            """
            select candidate_id, list(subject order by first_rank),
            from (
                select
                    candidate_id,
                    arg_min(subject, member_rank) as subject,
                    min(member_rank) as first_rank,
                from kb_members
                where subject_key <> ''
                group by candidate_id, subject_key
                qualify row_number() over (partition by candidate_id order by first_rank) <= 8
            )
            group by candidate_id
            """
        ).fetchall()
    )
    described = {
        row[0]: row[1:]
        for row in con.execute(
            """
            select candidate_id, keywords, signature_terms, signature_weights,
            from ops.kb_model_clusters
            where model_date in (
                select model_date from ops.kb_models
                where settings_key = $settings_key and model_date <= $report_date::date
            )
            qualify row_number() over (
                partition by candidate_id order by model_date desc, cluster
            ) = 1
            """,
            {"report_date": day, "settings_key": key},
        ).fetchall()
    }
    existing = {
        row[0]: (row[1], row[2])
        for row in con.execute(
            "select candidate_id, state, first_seen from ops.kb_candidates"
        ).fetchall()
    }
    # the texts of each candidate's representative ticket, for its draft
    representatives = [ticket_ids[rank - 1] for _, _, _, ticket_ids, _, rank in found]
    con.execute(
        "create or replace temp table kb_listed as select unnest(?::varchar[]) as ticket_id",
        [representatives],
    )
    texts = _solved_tickets(con, day, window, skip, listed=True)
    text_of = {
        ticket_id: (description, resolution)
        for ticket_id, description, resolution in zip(
            texts.ticket_ids, texts.clean_descriptions, texts.clean_resolutions, strict=True
        )
    }
    previous_counts = _sampled_previous_counts(con, day, window, key)
    vectors = functools.partial(_problem_vectors, model)

    rows = []
    for (candidate_id, tickets, similarities, ticket_ids, subjects, _), representative in zip(
        found, representatives, strict=True
    ):
        keywords, terms, weights = described[candidate_id]
        state, first_seen = existing.get(candidate_id, ("new", day))
        previous = None if previous_counts is None else previous_counts.get(candidate_id, 0)
        title = _title(subjects, keywords, vectors)
        description, resolution = text_of.get(representative, ("", ""))
        rows.append(
            {
                "candidate_id": candidate_id,
                "state": state,
                "first_seen": min(first_seen, day),
                "title": title,
                "keywords": keywords,
                "tickets": tickets,
                "tickets_previous": previous,
                "trend": _trend(tickets, previous),
                "ticket_ids": ticket_ids,
                # an exactly rounded mean: the same on every run, whatever the order
                "cohesion": math.fsum(similarities) / len(similarities),
                "signature": dict(zip(terms, weights, strict=True)),
                "draft": _draft(
                    candidate_id,
                    title,
                    keywords,
                    ticket_ids,
                    subjects,
                    _symptoms(symptoms.get(candidate_id, [])),
                    (representative, description, resolution),
                    day,
                    window,
                    previous,
                    boilerplate,
                ),
            }
        )
    return rows


def _sampled_previous_counts(
    con: duckdb.DuckDBPyConnection, day: date, window: int, key: str
) -> dict[str, int] | None:
    """Per candidate, how many tickets of the window before this one were labelled with it.

    None when the warehouse does not reach back that far, or when some of those tickets
    have no label (the window was clustered whole then, or the settings changed since).
    """
    if not _covers_previous_window(con, day, window):
        return None
    _list_window(con, "kb_previous", day - timedelta(days=window), window)
    counts = con.execute(
        read_sql("kb/previous_window_counts.sql"), {"report_date": day, "settings_key": key}
    ).fetchall()
    if any(labelled < tickets for _, labelled, tickets in counts):
        return None
    return {candidate_id: tickets for candidate_id, _, tickets in counts if candidate_id}


def _prune_sampled(con: duckdb.DuckDBPyConnection, day: date, window: int) -> None:
    """Drop labels of tickets solved before the previous window (and a week), and the
    clusterings no label refers to any more."""
    horizon = day - timedelta(days=2 * window + 7)
    con.execute("delete from ops.kb_ticket_labels where solved_at < ?::date", [horizon])
    for table in ("kb_model_clusters", "kb_models"):
        con.execute(
            f"delete from ops.{table} where model_date < ? "
            "and model_date not in (select distinct model_date from ops.kb_ticket_labels)",
            [horizon],
        )


# -- titles and drafts -------------------------------------------------------------------------


def _one_line(text: str, limit: int = 120) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _problem_vectors(model: _Model, texts: Sequence[str]) -> sparse.csr_matrix:
    """TF-IDF rows of cleaned problem texts: their dot products are cosine similarities."""
    return model.problem_part.transform([_for_vectors(t) for t in texts])[0]


def _title(
    subjects: Sequence[str],
    keywords: list[str],
    vectors: Callable[[Sequence[str]], sparse.csr_matrix],
) -> str:
    """The subject that best stands for the cluster: the medoid of its central subjects.

    `subjects` are the cleaned subjects of the members, most representative first.
    Long numbers (an order or invoice number of one ticket) are replaced by "…".
    """
    top = [subject for subject in subjects[:15] if subject]
    if not top:
        return _one_line("Tickets about " + ", ".join(keywords[:3]) if keywords else "Tickets")
    rows = vectors(top)
    closeness = np.asarray((rows @ rows.T).sum(axis=1)).ravel()
    best = top[int(np.argmax(closeness))]  # argmax keeps the most central on ties
    return _one_line(_LONG_NUMBER.sub("…", best))


def _symptoms(subjects: Iterable[str]) -> list[str]:
    """The first eight distinct subjects (one line each, compared ignoring case)."""
    symptoms: list[str] = []
    seen: set[str] = set()
    for text in subjects:
        subject = _one_line(text)
        if subject and subject.lower() not in seen:
            symptoms.append(subject)
            seen.add(subject.lower())
        if len(symptoms) >= 8:
            break
    return symptoms


def _steps(resolution: str, boilerplate: frozenset[str]) -> list[str]:
    """The resolution as numbered steps: its sentences, without pleasantries and footers."""
    sentences = [_one_line(part, 400) for part in _sentences(resolution)]
    steps = [
        s for s in sentences if not _PLEASANTRY.match(s) and sentence_key(s) not in boilerplate
    ]
    return steps or sentences


def _draft(
    candidate_id: str,
    title: str,
    keywords: list[str],
    ticket_ids: list[str],
    subjects: list[str],
    symptoms: list[str],
    representative: tuple[str, str, str],
    day: date,
    window: int,
    previous: int | None,
    boilerplate: frozenset[str],
) -> str:
    """The Markdown draft: Problem, Symptoms, Resolution steps, Related tickets; redacted.

    `ticket_ids`: every member, most representative first; `subjects`: the cleaned subjects
    of (at least) the first ten; `representative`: the id, cleaned description and cleaned
    resolution of the first member with a resolution (else the first member).
    """
    representative_id, description, resolution = representative
    description = description or title
    before = "" if previous is None else f" ({previous} in the {window} days before)"
    lines = [
        f"# {title}",
        "",
        f"*Knowledge-base candidate `{candidate_id}`: {len(ticket_ids)} tickets solved in the "
        f"{window} days to {day.isoformat()}{before}. Keywords: {', '.join(keywords)}.*",
        "",
        "## Problem",
        "",
        *(f"> {line}".rstrip() for line in description.split("\n")),
        "",
        "## Symptoms",
        "",
        *(f"- {s}" for s in symptoms),
        "",
        "## Resolution steps",
        "",
    ]
    if resolution:
        steps = _steps(resolution, boilerplate)
        lines += [f"{n}. {step}" for n, step in enumerate(steps, start=1)]
        lines += ["", f"*From the reply that solved ticket {representative_id}.*"]
    else:
        lines += ["*No agent reply was recorded for these tickets; write the steps.*"]
    lines += ["", "## Related tickets", ""]
    for ticket_id, text in zip(
        ticket_ids[:_MAX_RELATED_WITH_SUBJECT], subjects[:_MAX_RELATED_WITH_SUBJECT], strict=True
    ):
        subject = _one_line(text, 80)
        lines.append(f"- {ticket_id}" + (f": {subject}" if subject else ""))
    rest = ticket_ids[_MAX_RELATED_WITH_SUBJECT:]
    if rest:
        lines.append(f"- and {len(rest)} more: {', '.join(rest)}")
    return "\n".join(lines) + "\n"


# -- storage -----------------------------------------------------------------------------------


def _store(con: duckdb.DuckDBPyConnection, day: date, rows: list[dict[str, Any]]) -> None:
    """Replace the day's results and update the candidates' state rows, in one transaction."""
    con.execute("begin transaction")
    try:
        _forget_sampled(con, day)
        _write_day(con, day, rows, sampled=False)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def _write_day(
    con: duckdb.DuckDBPyConnection, day: date, rows: list[dict[str, Any]], *, sampled: bool
) -> None:
    """Replace the day's candidates and members (`sampled`: members from table kb_members),
    update the candidates' state rows and rebuild the marts."""
    con.execute("delete from ops.kb_candidate_member_lists where report_date = ?", [day])
    con.execute("delete from ops.kb_candidate_days where report_date = ?", [day])
    if sampled:
        con.execute(
            "insert into ops.kb_candidate_member_lists select ?::date, candidate_id, "
            "list(ticket_id order by member_rank), list(similarity order by member_rank), "
            "from kb_members group by candidate_id",
            [day],
        )
    else:
        con.execute(
            "insert into ops.kb_candidate_member_lists select ?::date, unnest(?::varchar[]), "
            "unnest(?::varchar[][]), unnest(?::double[][])",
            [
                day,
                [r["candidate_id"] for r in rows],
                [list(r["ticket_ids"]) for r in rows],
                [list(r["similarity"]) for r in rows],
            ],
        )
    columns = {
        "candidate_id": "varchar[]",
        "title": "varchar[]",
        "keywords": "varchar[][]",
        "tickets": "integer[]",
        "tickets_previous": "integer[]",
        "trend": "varchar[]",
        "representative_ticket_id": "varchar[]",
        "cohesion": "double[]",
        "signature_terms": "varchar[][]",
        "signature_weights": "double[][]",
        "draft": "varchar[]",
    }
    values = {
        "representative_ticket_id": [r["ticket_ids"][0] for r in rows],
        "signature_terms": [list(r["signature"]) for r in rows],
        "signature_weights": [list(r["signature"].values()) for r in rows],
    }
    select = ", ".join(f"unnest(?::{kind})" for kind in columns.values())
    con.execute(
        f"insert into ops.kb_candidate_days select ?::date, {select}",
        [
            day,
            *(values[name] if name in values else [r[name] for r in rows] for name in columns),
        ],
    )
    con.execute(read_sql("kb/upsert_candidates.sql"), {"report_date": day})
    _build_marts(con, day)


def _migrate_members(con: duckdb.DuckDBPyConnection) -> None:
    """Turn the table ops.kb_candidate_members of a warehouse made before member lists (one
    row per member per day) into ops.kb_candidate_member_lists, and that name into a view."""
    kind = con.execute(
        "select table_type from information_schema.tables "
        "where table_schema = 'ops' and table_name = 'kb_candidate_members'"
    ).fetchone()
    if kind is None or kind[0] != "BASE TABLE":
        return
    con.execute("begin transaction")
    try:
        con.execute(
            "insert or replace into ops.kb_candidate_member_lists "
            "select report_date, candidate_id, list(ticket_id order by member_rank), "
            "list(similarity order by member_rank), "
            "from ops.kb_candidate_members group by report_date, candidate_id"
        )
        con.execute("drop table ops.kb_candidate_members")
        con.execute(read_sql("schema/kb.sql"))
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def _build_marts(con: duckdb.DuckDBPyConnection, day: date) -> None:
    for name in ("fct_kb_candidates", "fct_kb_candidate_tickets"):
        con.execute(
            f"create or replace table marts.{name} as {read_sql(f'kb/{name}.sql')}",
            {"report_date": day},
        )


def _latest_mart_day(con: duckdb.DuckDBPyConnection) -> date | None:
    try:
        return con.execute("select max(report_date) from marts.fct_kb_candidates").fetchone()[0]
    except duckdb.CatalogException:
        return None


# -- reading -----------------------------------------------------------------------------------


def candidates_for_digest(con: duckdb.DuckDBPyConnection, day: date) -> list[dict[str, Any]]:
    """The digest's `kb_candidates` (SPEC 8) as found on `day`; dismissed ones left out.

    Each item: candidate_id, title, tickets (how many), ticket_ids (every member, the most
    representative first), status (new or accepted). Largest first. Empty when no run
    stored results for `day`.
    """
    _migrate_members(con)
    rows = con.execute(
        """
        select
            days.candidate_id,
            days.title,
            days.tickets,
            coalesce(members.ticket_ids, []::varchar[]) as ticket_ids,
            candidates.state,
        from ops.kb_candidate_days as days
        inner join ops.kb_candidates as candidates using (candidate_id)
        left join ops.kb_candidate_member_lists as members using (report_date, candidate_id)
        where days.report_date = ? and candidates.state <> 'dismissed'
        order by days.tickets desc, days.candidate_id
        """,
        [day],
    ).fetchall()
    return [
        {
            "candidate_id": candidate_id,
            "title": title,
            "tickets": tickets,
            "ticket_ids": list(ticket_ids),
            "status": state,
        }
        for candidate_id, title, tickets, ticket_ids, state in rows
    ]


def write_drafts(con: duckdb.DuckDBPyConnection, day: date, out_dir: Path) -> list[Path]:
    """Write `<out_dir>/kb/<candidate_id>.md` for every candidate of `day` not dismissed.

    Drafts of dismissed candidates are removed from that folder, so it lists what is
    worth writing up.
    """
    folder = Path(out_dir) / "kb"
    rows = con.execute(
        """
        select days.candidate_id, days.draft_markdown, candidates.state
        from ops.kb_candidate_days as days
        inner join ops.kb_candidates as candidates using (candidate_id)
        where days.report_date = ?
        order by days.candidate_id
        """,
        [day],
    ).fetchall()
    dismissed = [
        row[0]
        for row in con.execute(
            "select candidate_id from ops.kb_candidates where state = 'dismissed'"
        ).fetchall()
    ]
    written = []
    for candidate_id, markdown, state in rows:
        if state == "dismissed":
            continue
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{candidate_id}.md"
        path.write_text(markdown, encoding="utf-8")
        written.append(path)
    for candidate_id in dismissed:
        (folder / f"{candidate_id}.md").unlink(missing_ok=True)
    return written


def set_state(con: duckdb.DuckDBPyConnection, candidate_id: str, state: str) -> None:
    """Mark a candidate new, accepted or dismissed (the CLI's accept / dismiss)."""
    if state not in STATES:
        raise BacklogError(f"Unknown KB candidate state {state!r}; use one of {', '.join(STATES)}.")
    found = con.execute(
        "select 1 from ops.kb_candidates where candidate_id = ?", [candidate_id]
    ).fetchone()
    if found is None:
        raise BacklogError(
            f"There is no KB candidate {candidate_id!r}; run `backlog kb list` to see the ids."
        )
    _migrate_members(con)
    latest = _latest_mart_day(con)
    con.execute("begin transaction")
    try:
        con.execute(
            "update ops.kb_candidates set state = ?, state_changed_at = ? where candidate_id = ?",
            [state, datetime.now(UTC), candidate_id],
        )
        if latest is not None:
            _build_marts(con, latest)  # the marts show the new state at once
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def list_candidates(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Every candidate ever found with its state and latest figures (the CLI's `kb list`).

    Ordered new, accepted, dismissed; within a state the most recently seen and largest
    first.
    """
    rows = con.execute(
        """
        select
            candidates.candidate_id,
            candidates.state,
            candidates.title,
            candidates.keywords,
            days.tickets,
            days.trend,
            candidates.first_seen,
            candidates.last_seen,
        from ops.kb_candidates as candidates
        left join ops.kb_candidate_days as days
            on days.candidate_id = candidates.candidate_id
            and days.report_date = candidates.last_seen
        order by
            case candidates.state when 'new' then 0 when 'accepted' then 1 else 2 end,
            candidates.last_seen desc,
            days.tickets desc nulls last,
            candidates.candidate_id
        """
    ).fetchall()
    keys = ("candidate_id", "state", "title", "keywords", "tickets", "trend")
    return [
        {**dict(zip(keys, row[:6], strict=True)), "first_seen": row[6], "last_seen": row[7]}
        for row in rows
    ]


def show_candidate(con: duckdb.DuckDBPyConnection, candidate_id: str) -> str:
    """The Markdown draft of a candidate as last found (the CLI's `kb show`)."""
    row = con.execute(
        """
        select days.draft_markdown
        from ops.kb_candidates as candidates
        inner join ops.kb_candidate_days as days
            on days.candidate_id = candidates.candidate_id
            and days.report_date = candidates.last_seen
        where candidates.candidate_id = ?
        """,
        [candidate_id],
    ).fetchone()
    if row is None:
        raise BacklogError(
            f"There is no KB candidate {candidate_id!r}; run `backlog kb list` to see the ids."
        )
    return str(row[0])


def driver_by_cluster(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Ticket id -> candidate title for the tickets of the latest run's clusters.

    The text cluster as a driver dimension (SPEC 5, drivers): dismissed clusters included,
    since dismissing an article does not make the tickets less alike. The same mapping is
    the table marts.fct_kb_candidate_tickets (ticket_id, candidate_id, candidate_title).
    """
    try:
        rows = con.execute(
            "select ticket_id, candidate_title from marts.fct_kb_candidate_tickets "
            "order by ticket_id"
        ).fetchall()
    except duckdb.CatalogException:
        return {}
    return dict(rows)
