"""Uncertainty of evaluation figures: bootstrap intervals over questions, and paired
comparisons of two runs on the same questions (is a difference more than noise?)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

RESAMPLES = 2000
SEED = 20261130  # fixed: the same figures give the same intervals


def interval(values: Sequence[float], level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of `values`."""
    if not values:
        return (math.nan, math.nan)
    data = np.asarray(values, dtype=np.float64)
    picks = np.random.default_rng(SEED).integers(0, len(data), (RESAMPLES, len(data)))
    means = data[picks].mean(axis=1)
    tail = (1 - level) / 2
    low, high = np.quantile(means, [tail, 1 - tail])
    return float(low), float(high)


@dataclass(frozen=True)
class Difference:
    mean: float  # b − a, averaged over questions
    low: float  # 95 % paired bootstrap interval
    high: float
    better: int  # questions where b is better
    worse: int
    p_sign: float  # two-sided sign test over the questions that differ

    @property
    def noise(self) -> bool:
        """The interval holds zero: the runs are not told apart."""
        return self.low <= 0 <= self.high


def paired(a: Sequence[float], b: Sequence[float]) -> Difference:
    """How run `b` differs from run `a` on the same questions (same order)."""
    if len(a) != len(b):
        raise ValueError("paired runs must cover the same questions")
    deltas = [y - x for x, y in zip(a, b, strict=True)]
    low, high = interval(deltas)
    better = sum(d > 0 for d in deltas)
    worse = sum(d < 0 for d in deltas)
    mean = sum(deltas) / len(deltas) if deltas else math.nan
    return Difference(mean, low, high, better, worse, sign_test(better, worse))


def sign_test(better: int, worse: int) -> float:
    """Two-sided binomial sign test (ties dropped)."""
    n = better + worse
    if n == 0:
        return 1.0
    k = min(better, worse)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2**n
    return min(1.0, 2 * tail)
