"""Clustering solved tickets: segments, merging, assign-and-reject rounds, keywords.

Method (see DECISIONLOG.md, "Knowledge-base candidates"): k-means on a 64-dimension
projection over-segments; average-linkage merging of the segments with a similarity
threshold sets the number of clusters (segments with different resolutions never merge);
assign-and-reject rounds keep a ticket only when it is close to the other members of its
cluster (leave-one-out cosine >= 0.30, resolution >= 0.20, and >= 60% of the cluster's
median), so noise is never forced into a cluster; further passes cluster what is left, so
small groups are found next to big ones. Everything runs on CPU with scikit-learn, seeded,
single threaded, on tickets sorted by id: the same input gives the same output.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from scipy import sparse

from tasks.kb.text import cleaned, find_boilerplate, for_vectors, prepare
from tasks.kb.vectors import (
    ClusterParams,
    Documents,
    Model,
    Sums,
    Vectors,
    member_sums,
    membership_matrix,
    problem_vectors,
)


class TicketDocuments(Protocol):
    """Per-ticket text work made elsewhere (kept between runs: tasks/kb/textcache.py)."""

    def boilerplate(self) -> frozenset[str]:
        """What ``find_boilerplate`` finds in the problems and in the resolutions."""
        ...

    def documents(self, boilerplate: frozenset[str]) -> tuple[list[list[str]], list[list[str]]]:
        """Per ticket, the terms of its cleaned problem and resolution texts."""
        ...


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
            problems = [prepare(t) for t in problems]
            resolutions = [prepare(t) for t in resolutions]
        problems = [for_vectors(cleaned(t, self.boilerplate)) for t in problems]
        resolutions = [for_vectors(cleaned(t, self.boilerplate)) for t in resolutions]
        with threadpool_limits(limits=1):
            return self._model.assign(problems, resolutions)

    def assign_documents(self, problems: Documents, resolutions: Documents) -> np.ndarray:
        """:meth:`assign` of texts already cleaned of this clustering's boilerplate and made
        ready for vectors, or of their terms."""
        from threadpoolctl import threadpool_limits

        if self._model is None or not problems:
            return np.full(len(problems), -1)
        with threadpool_limits(limits=1):
            return self._model.assign(problems, resolutions)

    def problem_vectors(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """TF-IDF rows of cleaned problem texts: their dot products are cosine similarities."""
        return problem_vectors(self._model, texts)


def cluster_texts(
    problems: Sequence[str],
    resolutions: Sequence[str],
    *,
    min_size: int = 5,
    params: ClusterParams | None = None,
    prepared: bool = False,
    documents: TicketDocuments | None = None,
) -> Clustering:
    """Cluster tickets by their problem text and resolution; noise stays unclustered.

    Args:
        problems: Per ticket, subject and description.
        resolutions: Per ticket, the resolution reply ("" when there is none).
        min_size: Smallest cluster kept.
        params: Clustering knobs.
        prepared: The texts are already prepared (redacted, without HTML and quotes).
        documents: The same tickets' boilerplate sentences and terms, made elsewhere from
            the same prepared texts (the result is the same as without).

    Returns:
        Labels (-1 for noise), similarities, members (most representative first),
        keywords and term signatures of every cluster, largest cluster first.
    """
    from threadpoolctl import threadpool_limits

    if not prepared:
        problems = [prepare(t) for t in problems]
        resolutions = [prepare(t) for t in resolutions]
    with threadpool_limits(limits=1):  # same sums in the same order on any machine
        return _cluster_texts(problems, resolutions, min_size, params or ClusterParams(), documents)


def _cluster_texts(
    problems: Sequence[str],
    resolutions: Sequence[str],
    min_size: int,
    params: ClusterParams,
    documents: TicketDocuments | None,
) -> Clustering:
    n = len(problems)
    model = Model(params)
    empty = Clustering(labels=np.full(n, -1), similarity=np.zeros(n), _model=None)
    if n < min_size:
        return empty
    if documents is None:
        # boilerplate is found before sign-offs are cut: a footer after "Best," counts too
        boilerplate = find_boilerplate(problems) | find_boilerplate(resolutions)
        vectors = model.fit_transform(
            [for_vectors(cleaned(t, boilerplate)) for t in problems],
            [for_vectors(cleaned(t, boilerplate)) for t in resolutions],
        )
    else:
        boilerplate = documents.boilerplate()
        vectors = model.fit_transform(*documents.documents(boilerplate))

    # Clusters among the tickets left over: k-means splits big clusters before it isolates
    # small ones, so a group of six can hide among thousands until the big ones are out.
    halves: dict[bytes, np.ndarray | None] = {}  # see _halves
    labels = np.full(n, -1)
    pool = np.flatnonzero(vectors.combined.getnnz(axis=1) > 0)  # no shared term: no cluster
    for _ in range(params.passes):
        if len(pool) < min_size:
            break
        found = _find_clusters(model, vectors.take(pool), min_size, halves)
        if not (found >= 0).any():
            break
        labels[pool[found >= 0]] = found[found >= 0] + labels.max() + 1
        pool = np.flatnonzero((labels < 0) & (vectors.combined.getnnz(axis=1) > 0))
    # then every ticket may move to the best of all clusters
    for _ in range(2):
        _split_mixed(labels, vectors, min_size, params, halves)
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


def _find_clusters(
    model: Model, vectors: Vectors, min_size: int, halves: dict[bytes, np.ndarray | None]
) -> np.ndarray:
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
        split = _split_mixed(labels, vectors, min_size, params, halves)
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


def _segments(vectors: Vectors, min_size: int, params: ClusterParams) -> np.ndarray:
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
    vectors: Vectors, labels: np.ndarray, groups: np.ndarray, params: ClusterParams
) -> np.ndarray:
    """Cosine similarity of the member sums of groups of tickets, for merging and splitting.

    Two groups that both hold resolutions, but resolutions that differ, are not alike
    however alike their problems: "any update?" follow-ups solved in different ways stay
    apart.
    """
    combined = member_sums(vectors.combined, vectors.combined_rest, labels, groups)
    resolution = member_sums(vectors.resolution, vectors.resolution_rest, labels, groups)
    similarity = _sum_cosines(combined)
    counts = np.asarray(membership_matrix(labels, groups).sum(axis=1)).ravel()
    resolved = membership_matrix(labels, groups) @ vectors.resolved.astype(float) >= 0.5 * counts
    differ = _sum_cosines(resolution) < params.resolution_similarity
    similarity[np.outer(resolved, resolved) & differ] = 0.0
    return similarity


def _sum_cosines(sums: Sums) -> np.ndarray:
    dots = np.asarray((sums.rows @ sums.rows.T).todense())
    lengths = np.sqrt(sums.squared_length)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.outer(lengths, lengths) > 0, dots / np.outer(lengths, lengths), 0.0)


def _assign(model: Model, vectors: Vectors, clusters: np.ndarray, labels: np.ndarray) -> np.ndarray:
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
    labels: np.ndarray,
    vectors: Vectors,
    min_size: int,
    params: ClusterParams,
    known: dict[bytes, np.ndarray | None],
) -> bool:
    """Split a cluster in two when its halves are no more alike than separate clusters.

    The merge rule in reverse, for what k-means put together. Changes `labels` in place;
    True when it split one. `known`: what :func:`_halves` found earlier in this clustering.
    """
    changed = False
    for cluster in np.unique(labels[labels >= 0]):
        rows = np.flatnonzero(labels == cluster)
        if len(rows) < 2 * min_size:
            continue
        halves = _halves(vectors.take(rows), min_size, params, known)
        if halves is not None:
            labels[rows[halves == 1]] = labels.max() + 1
            changed = True
    return changed


def _halves(
    members: Vectors, min_size: int, params: ClusterParams, known: dict[bytes, np.ndarray | None]
) -> np.ndarray | None:
    """The two halves (seeded k-means) of a cluster that should be split, else None.

    Remembered in `known` by the members' vectors: every round checks every cluster again
    though most did not change since the last one (at 200 tickets a day, 144 checks of 37
    distinct clusters), and the same vectors give the same answer (the same seed, single
    threaded), so each is worked out once.
    """
    from sklearn.cluster import KMeans

    key = _content_key(members)
    if key not in known:
        with _quiet_convergence():  # all members alike: one half is empty, no split
            halves = KMeans(n_clusters=2, n_init=1, random_state=params.seed).fit_predict(
                members.combined
            )
        split = min(np.bincount(halves, minlength=2)) >= min_size and (
            _alike(members, halves, np.array([0, 1]), params)[0, 1] < params.merge_similarity
        )
        known[key] = halves if split else None
    return known[key]


def _content_key(vectors: Vectors) -> bytes:
    """A digest of every array of `vectors` (shapes and types included)."""
    digest = hashlib.sha1()
    for matrix in (vectors.combined, vectors.problem, vectors.resolution):
        header = (matrix.shape, matrix.dtype, matrix.indptr.dtype, matrix.indices.dtype)
        digest.update(str(header).encode())
        for part in (matrix.indptr, matrix.indices, matrix.data):
            digest.update(np.ascontiguousarray(part).tobytes())
    for array in (
        vectors.combined_rest,
        vectors.problem_rest,
        vectors.resolution_rest,
        vectors.resolved,
    ):
        digest.update(str((array.shape, array.dtype)).encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.digest()


def _absorb_unresolved(
    labels: np.ndarray, vectors: Vectors, min_size: int, params: ClusterParams
) -> bool:
    """Fold a cluster of mostly unresolved tickets into the resolved cluster of its problem.

    Tickets without a resolution text are compared on their problem alone, so they can
    form a cluster of their own next to the cluster that holds the same problem with its
    resolution; one article serves both. Changes `labels` in place; True when it did.
    """
    clusters = np.flatnonzero(np.bincount(labels[labels >= 0], minlength=1) >= min_size)
    if len(clusters) < 2:
        return False
    indicator = membership_matrix(labels, clusters)
    resolved = indicator @ vectors.resolved.astype(float) >= 0.5 * indicator.sum(axis=1).A1
    similarity = _sum_cosines(member_sums(vectors.problem, vectors.problem_rest, labels, clusters))
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


def _keywords(model: Model, labels: np.ndarray, n_clusters: int, top: int) -> list[list[str]]:
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


def _signatures(model: Model, top: int) -> list[dict[str, float]]:
    """The heaviest terms of each centroid, vocabulary-independent, for matching across days."""
    signatures = []
    for row in model.centroids:
        values = row.toarray().ravel()
        order = np.argsort(-values, kind="stable")[:top]
        signatures.append({model.names[i]: float(values[i]) for i in order if values[i] > 0})
    return signatures
