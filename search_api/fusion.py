"""Fusing ranked lists from the dense and keyword legs.

Reciprocal-rank fusion (Cormack et al., 2009) needs no score calibration between cosine
similarities and bm25: each leg contributes weight / (k + rank).
"""

from __future__ import annotations

from collections.abc import Sequence

RRF_K = 60


def reciprocal_rank(
    rankings: Sequence[Sequence[int]], weights: Sequence[float] | None = None, k: int = RRF_K
) -> list[tuple[int, float]]:
    """Ids ordered by fused score, best first, with the score."""
    weights = weights or [1.0] * len(rankings)
    scores: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))
