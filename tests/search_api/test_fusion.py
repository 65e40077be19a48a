from __future__ import annotations

import numpy as np

from search_api.fusion import reciprocal_rank


def test_item_ranked_well_by_both_legs_comes_first():
    ids, _ = reciprocal_rank([[1, 2, 3], [3, 1, 4]], k=5)
    assert ids.tolist()[:2] == [1, 3]
    assert set(ids.tolist()) == {1, 2, 3, 4}


def test_fused_score_is_the_sum_of_reciprocal_ranks():
    fused = dict(zip(*(a.tolist() for a in reciprocal_rank([[7], [8, 7]], k=5)), strict=True))
    assert fused[7] == 1 / 6 + 1 / 7
    assert fused[8] == 1 / 6


def test_weights_scale_a_leg():
    ids, scores = reciprocal_rank([[1], [2]], weights=[1.0, 2.0], k=5)
    assert ids.tolist() == [2, 1]
    assert scores.tolist() == [2 / 6, 1 / 6]


def test_equal_scores_are_ordered_by_id_and_no_leg_gives_nothing():
    ids, scores = reciprocal_rank([[9, 4], [4, 9]], k=5)
    assert ids.tolist() == [4, 9] and scores[0] == scores[1]
    ids, scores = reciprocal_rank([[], []], k=5)
    assert len(ids) == len(scores) == 0


def test_the_fused_scores_are_the_running_sums_of_a_python_loop():
    # the ranking's floats must not depend on how they are added up (results are compared
    # across builds to the last bit)
    rng = np.random.default_rng(3)
    legs = [rng.permutation(300)[:100].tolist() for _ in range(4)]
    weights = [1.0, 0.5, 0.5, 0.25]
    expected: dict[int, float] = {}
    for leg, weight in zip(legs, weights, strict=True):
        for rank, item in enumerate(leg, start=1):
            expected[item] = expected.get(item, 0.0) + weight / (5 + rank)
    ids, scores = reciprocal_rank(legs, weights, k=5)
    assert list(zip(ids.tolist(), scores.tolist(), strict=True)) == sorted(
        expected.items(), key=lambda pair: (-pair[1], pair[0])
    )
