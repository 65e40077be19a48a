"""Fusing ranked lists from the dense and keyword legs.

Reciprocal-rank fusion (Cormack et al., 2009) needs no score calibration between cosine
similarities and bm25: each leg contributes weight / (k + rank).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

RRF_K = 60


def reciprocal_rank(
    rankings: Sequence[Sequence[int]], weights: Sequence[float] | None = None, k: int = RRF_K
) -> tuple[np.ndarray, np.ndarray]:
    """(ids, fused scores), best first; equal scores by id. In arrays, as the ranking stays
    until the page is read (a dict and a sort of tuples cost more: docs/performance.md)."""
    weights = weights or [1.0] * len(rankings)
    lists = [np.asarray(ranking, dtype=np.int64) for ranking in rankings]
    if not lists or not sum(map(len, lists)):
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    ids, where = np.unique(np.concatenate(lists), return_inverse=True)
    scores = np.zeros(len(ids))
    offset = 0
    for ranking, weight in zip(lists, weights, strict=True):
        # leg after leg, as a running sum would add them: the same floats
        np.add.at(scores, where[offset : offset + len(ranking)],
                  weight / (k + np.arange(1, len(ranking) + 1)))  # fmt: skip
        offset += len(ranking)
    order = np.lexsort((ids, -scores))
    return ids[order], scores[order]
