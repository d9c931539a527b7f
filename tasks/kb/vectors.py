"""TF-IDF vectors of problem and resolution texts, cluster sums and their similarities.

Words and word pairs, problem text and resolution weighted 35/65 so tickets group by how
they were solved. The fitted weights and cluster sums (:class:`Model`) assign other
tickets by the same rules and can be stored and loaded (the sampled mode keeps them).
"""

from __future__ import annotations

import io
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

from tasks.kb.text import default_stop_words, for_vectors, terms_of

# texts ready for vectors, or per text its terms (tasks.kb.text.terms_of) already made
Documents = Sequence[str] | Sequence[list[str]]


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
        self.stop_words: frozenset[str] | None = None  # None: default_stop_words()

    def fit(self, texts: Documents) -> tuple[sparse.csr_matrix, sparse.csr_matrix, np.ndarray]:
        """Term counts, rows (dimensions only) and which texts have a term, of the texts the
        weights are learned from (texts, or each text's terms already made)."""
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

    def transform(self, texts: Documents) -> tuple[sparse.csr_matrix, np.ndarray]:
        """Rows (dimensions only) of other texts (or their terms) with the learned weights;
        which have a term."""
        rows: list[int] = []
        terms: list[str] = []
        counts: list[int] = []
        for row, text in enumerate(texts):
            counted = Counter(text if isinstance(text, list) else terms_of(text, self.stop_words))
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


def _terms(text: str | list[str]) -> list[str]:
    """The terms of a text, or the terms themselves when they are already made."""
    return text if isinstance(text, list) else terms_of(text)


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
class Vectors:
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

    def take(self, rows: np.ndarray) -> Vectors:
        """The vectors of the given tickets only."""
        return Vectors(
            self.combined[rows],
            self.problem[rows],
            self.resolution[rows],
            self.combined_rest[rows],
            self.problem_rest[rows],
            self.resolution_rest[rows],
            self.resolved[rows],
        )


@dataclass
class Sums:
    """Per cluster: the sum of its members' rows and of their squared length outside."""

    rows: sparse.csr_matrix
    rest: np.ndarray

    @property
    def squared_length(self) -> np.ndarray:
        return _row_mass(self.rows) + self.rest


class Model:
    """The fitted weights and the clusters' member sums: assigns tickets to clusters."""

    def __init__(self, params: ClusterParams) -> None:
        self.params = params
        self.problem_part = _Part()
        self.resolution_part = _Part()
        self.counts = sparse.csr_matrix((0, 0))
        self.names: list[str] = []
        empty = Sums(sparse.csr_matrix((0, 1)), np.zeros(0))
        self.sums = self.problem_sums = self.resolution_sums = empty

    def fit_transform(self, problems: Documents, resolutions: Documents) -> Vectors:
        """Learn the weights from these texts (or their terms); their vectors."""
        problem_counts, problem, has_problem = self.problem_part.fit(problems)
        resolution_counts, resolution, resolved = self.resolution_part.fit(resolutions)
        self.counts = sparse.hstack([problem_counts, resolution_counts], format="csr")
        self.names = [f"p:{t}" for t in self.problem_part.names]
        self.names += [f"r:{t}" for t in self.resolution_part.names]
        return self._combine(problem, has_problem, resolution, resolved)

    def transform(self, problems: Documents, resolutions: Documents) -> Vectors:
        """Vectors of other texts (or their terms) with the learned weights."""
        problem, has_problem = self.problem_part.transform(problems)
        resolution, resolved = self.resolution_part.transform(resolutions)
        return self._combine(problem, has_problem, resolution, resolved)

    def _combine(
        self,
        problem: sparse.csr_matrix,
        has_problem: np.ndarray,
        resolution: sparse.csr_matrix,
        resolved: np.ndarray,
    ) -> Vectors:
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
        return Vectors(
            combined=combined,
            problem=problem,
            resolution=resolution,
            combined_rest=problem_share * problem_rest + resolution_share * resolution_rest,
            problem_rest=problem_rest,
            resolution_rest=resolution_rest,
            resolved=resolved,
        )

    def set_centroids(self, vectors: Vectors, labels: np.ndarray, clusters: Sequence[int]) -> None:
        """The member sums of the given clusters (leave-one-out comparisons need sums)."""
        self.sums = member_sums(vectors.combined, vectors.combined_rest, labels, clusters)
        self.problem_sums = member_sums(vectors.problem, vectors.problem_rest, labels, clusters)
        self.resolution_sums = member_sums(
            vectors.resolution, vectors.resolution_rest, labels, clusters
        )

    @property
    def centroids(self) -> sparse.csr_matrix:
        """Unit-direction centroids over the dimensions."""
        from sklearn.preprocessing import normalize

        return normalize(self.sums.rows)

    def similarities(
        self,
        vectors: Vectors,
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

    def assign(self, problems: Documents, resolutions: Documents) -> np.ndarray:
        """Cluster index of texts ready for vectors, or of their terms (-1: none)."""
        return self.assign_scored(problems, resolutions)[0]

    def assign_scored(
        self, problems: Documents, resolutions: Documents
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
            "stop_words": _text_array(sorted(default_stop_words())),
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
    def load(cls, payload: bytes, params: ClusterParams) -> tuple[Model, frozenset[str]]:
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
                sums.append(Sums(rows, arrays[f"{name}rest"]))
            model.sums, model.problem_sums, model.resolution_sums = sums
            boilerplate = frozenset(_array_text(arrays["boilerplate"]))
            stop_words = frozenset(_array_text(arrays["stop_words"]))
            model.problem_part.stop_words = model.resolution_part.stop_words = stop_words
        return model, boilerplate


def membership_matrix(labels: np.ndarray, clusters: Sequence[int]) -> sparse.csr_matrix:
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


def member_sums(
    matrix: sparse.csr_matrix, rest: np.ndarray, labels: np.ndarray, clusters: Sequence[int]
) -> Sums:
    """Per cluster of `clusters`, the sum of its members' rows and of their `rest`."""
    indicator = membership_matrix(labels, clusters)
    return Sums(sparse.csr_matrix(indicator @ matrix), indicator @ rest)


def _cosines(rows: sparse.csr_matrix, sums: Sums, own: np.ndarray | None) -> np.ndarray:
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


def problem_vectors(model: Model, texts: Sequence[str]) -> sparse.csr_matrix:
    """TF-IDF rows of cleaned problem texts: their dot products are cosine similarities."""
    return model.problem_part.transform([for_vectors(t) for t in texts])[0]
