"""The dense leg's best-sentence re-score over the memory-mapped sentence vectors."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from indexer.embedders.fake import FakeEmbedder
from indexer.store import Generation
from search_api import dense
from search_api.dense import DenseLeg, best_sentences


class Arrays:
    """A generation's two sentence arrays and nothing else."""

    gather_sentences = Generation.gather_sentences

    def __init__(self, counts: list[int], dimension: int, seed: int = 3) -> None:
        rng = np.random.default_rng(seed)
        self.sentence_offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self.sentences = rng.standard_normal((sum(counts), dimension)).astype(np.float16)


def test_best_sentence_is_each_passage_maximum_and_nan_without_sentences():
    arrays = Arrays([2, 0, 3, 1, 0, 4], dimension=8)
    qv = np.random.default_rng(5).standard_normal(8).astype(np.float32)
    ids = np.array([5, 1, 2, 0, 4, 3, 2])  # any order, repeats, passages without sentences
    best = best_sentences(arrays, ids, qv)
    offsets = arrays.sentence_offsets
    for passage, score in zip(ids.tolist(), best.tolist(), strict=True):
        rows = arrays.sentences[offsets[passage] : offsets[passage + 1]]
        if len(rows):
            assert np.isclose(score, (rows.astype(np.float32) @ qv).max(), rtol=1e-6)
        else:
            assert np.isnan(score)
    assert best_sentences(arrays, np.zeros(0, dtype=np.int64), qv).shape == (0,)


def test_dense_search_mixes_each_passage_score_with_its_best_sentence(shared_index: Path):
    generation = Generation.open_current(shared_index)
    try:
        qv = FakeEmbedder().embed_batch(["sea level rise and the future of atolls"])[0]
        leg = DenseLeg(sentence_weight=0.5)
        ids, scores = leg.nearest(generation, qv, 40, None)
        expected = []
        for pid, score in zip(ids.tolist(), scores.tolist(), strict=True):
            rows = generation.sentence_vectors([pid])[0].astype(np.float32)
            best = float((rows @ qv).max()) if len(rows) else score
            expected.append((0.5 * score + 0.5 * best, pid))
        ranked = [pid for _, pid in sorted(expected, key=lambda pair: -pair[0])[:20]]
        assert leg.search(generation, qv, 20, None) == ranked
    finally:
        generation.close()


def test_the_float16_table_gives_numpy_cast_for_every_value():
    every = np.arange(1 << 16, dtype=np.uint16).view(np.float16)
    assert np.array_equal(dense._FLOAT16, every.astype(np.float32), equal_nan=True)
