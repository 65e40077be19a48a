from __future__ import annotations

from search_api.fusion import reciprocal_rank


def test_item_ranked_well_by_both_legs_comes_first():
    fused = reciprocal_rank([[1, 2, 3], [3, 1, 4]], k=5)
    assert [item for item, _ in fused][:2] == [1, 3]
    assert {item for item, _ in fused} == {1, 2, 3, 4}


def test_fused_score_is_the_sum_of_reciprocal_ranks():
    fused = dict(reciprocal_rank([[7], [8, 7]], k=5))
    assert fused[7] == 1 / 6 + 1 / 7
    assert fused[8] == 1 / 6


def test_weights_scale_a_leg():
    fused = reciprocal_rank([[1], [2]], weights=[1.0, 2.0], k=5)
    assert [item for item, _ in fused] == [2, 1]
