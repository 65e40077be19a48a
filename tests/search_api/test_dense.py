"""The dense leg's best-sentence re-score over the memory-mapped sentence vectors."""

from __future__ import annotations

from pathlib import Path

import faiss
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
    several = np.random.default_rng(6).standard_normal((3, 8)).astype(np.float32)
    rows = best_sentences(arrays, ids, several)  # a row of bests for each vector
    expected = np.vstack([best_sentences(arrays, ids, v) for v in several])
    assert rows.shape == (3, len(ids)) and np.allclose(rows, expected, equal_nan=True)


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


def test_float16_conversion_gives_numpy_cast_for_every_value():
    every = np.arange(1 << 16, dtype=np.uint16).view(np.float16).reshape(-1, 16)
    assert np.array_equal(dense.as_float32(every), every.astype(np.float32), equal_nan=True)


class Described:
    """Two passages and their sentences, as a generation gives them to the dense leg: the
    same sentence vectors pooled and alone, so that only the scoring differs."""

    def __init__(self, passages: np.ndarray, sentences: list[np.ndarray]) -> None:
        self.index = faiss.IndexFlatIP(passages.shape[1])
        self.index.add(passages.astype(np.float32))
        self.manifest = {"index": {"type": "flat"}}
        self.sentence_offsets = np.cumsum([0, *map(len, sentences)]).astype(np.int64)
        self.sentences = np.concatenate(sentences).astype(np.float16)
        self.sentences_alone = self.sentences

    gather_sentences = Generation.gather_sentences


def unit(*components: float) -> np.ndarray:
    vector = np.array(components, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def test_a_passage_holding_every_detail_outranks_one_holding_one_when_clauses_are_matched():
    # The question joins two details (axes 0 and 1); passage 0 says each in a sentence of its
    # own, passage 1 is nearer the question as a whole but says only the first detail.
    qv, first, second = unit(1, 1, 0, 0), unit(1, 0, 0, 0), unit(0, 1, 0, 0)
    passages = np.vstack([0.6 * qv + 0.8 * unit(0, 0, 1, 0), 0.8 * qv + 0.6 * unit(0, 0, 0, 1)])
    generation = Described(passages, [np.vstack([first, second]), unit(1, 0, 0.2, 0)[None]])
    leg = DenseLeg(sentence_weight=0.5)
    assert leg.search(generation, qv, 2, None) == [1, 0]
    assert leg.search(generation, qv, 2, None, np.vstack([first, second])) == [0, 1]
    scores = dense.clause_scores(generation, np.array([0, 1]), passages @ qv, qv,
                                 np.vstack([first, second]))  # fmt: skip
    assert np.allclose(scores[0], (0.6 + np.sqrt(0.5) + 1.0) / 3, atol=2e-3)
