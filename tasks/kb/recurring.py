"""Whether a cluster's resolution recurs: enough members answered alike to make an article."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# two final replies are alike when the cosine of their word TF-IDF vectors reaches this
ALIKE = 0.5


def recurring_resolutions(resolutions: Sequence[str], alike: float = ALIKE) -> int:
    """How many members' resolutions have at least one other member's resolution alike.

    Empty resolutions never count: a cluster of chase-ups or of tickets solved without a
    reply has nothing to write an article from.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [text for text in resolutions if text and text.strip()]
    if len(texts) < 2:
        return 0
    try:
        vectors = TfidfVectorizer(lowercase=True, sublinear_tf=True).fit_transform(texts)
    except ValueError:  # no word at all (numbers or punctuation only)
        return 0
    similar = (vectors @ vectors.T).toarray()
    np.fill_diagonal(similar, 0.0)
    return int((similar.max(axis=1) >= alike).sum())
