"""Column helpers of the writer: labels looked up by code, and stable multi-key orders."""

from __future__ import annotations

import numpy as np
import polars as pl


def lookup(values: list[str] | tuple[str, ...], codes: np.ndarray) -> pl.Series:
    """``values[code]`` per code, null where the code is negative."""
    table = pl.Series(values=[*values, None], dtype=pl.String)
    return table.gather(np.where(codes < 0, len(values), codes))


def order(*keys: np.ndarray) -> np.ndarray:
    """Indices that sort by ``keys`` (first key first); keys are non-negative and unique
    together, so the order does not depend on the sort algorithm."""
    bits = [max(1, int(k.max()).bit_length()) if len(k) else 1 for k in keys]
    if sum(bits) > 63:
        return np.lexsort(keys[::-1])
    packed = np.zeros(len(keys[0]), np.int64)
    for k, b in zip(keys, bits, strict=True):
        packed = (packed << b) | k.astype(np.int64)
    return np.argsort(packed)
