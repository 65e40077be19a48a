"""The dense leg: passages by meaning.

The nearest passages by inner product (FAISS, or an exact scan of a filter's candidates) are
re-scored with their best sentence: a passage whose one sentence answers precisely should not
lose to one that is vaguely about the topic throughout. A question in several clauses
(search_api/clauses.py) is re-scored clause by clause instead: each clause's best sentence,
sentences embedded on their own (docs/evaluation.md).
"""

from __future__ import annotations

import faiss
import numpy as np

from indexer.store import Generation
from indexer.vector_index import EXHAUSTIVE, search_parameters

EXACT_SCAN_LIMIT = 20_000  # below this many candidates, score them directly


def as_float32(vectors: np.ndarray) -> np.ndarray:
    """float16 vectors as float32, the same floats as numpy's cast. The conversion was most
    of the re-score's time: numpy's cast goes one element at a time (0.6 ms for a page's 900
    sentence vectors), torch's runs in SIMD (0.03 ms; docs/performance.md)."""
    import torch  # here: a command that never re-scores (`confsearch index`) skips its import

    return torch.from_numpy(np.require(vectors, requirements=["C", "W"])).float().numpy()


class DenseLeg:
    def __init__(self, sentence_weight: float = 0.5) -> None:
        self.sentence_weight = sentence_weight  # of the best sentence in the passage's score

    def search(
        self,
        gen: Generation,
        qv: np.ndarray,
        n: int,
        candidates: np.ndarray | None,
        clauses: np.ndarray | None = None,
    ) -> list[int]:
        """The `n` best passage ids for the question's vector `qv`, best first; `clauses`:
        the vectors of its clauses, when it has several."""
        ids, scores = self.nearest(gen, qv, 2 * n, candidates)
        if len(ids) and clauses is not None and len(clauses):
            mixed = clause_scores(gen, ids, scores, qv, clauses)
            return ids[np.argsort(-mixed, kind="stable")[:n]].tolist()
        if self.sentence_weight <= 0 or len(ids) == 0:
            return ids[:n].tolist()
        scores = scores.astype(np.float64)
        best = best_sentences(gen, ids, qv).astype(np.float64)
        w = self.sentence_weight
        # a passage without sentences keeps its own score
        mixed = (1 - w) * scores + w * np.where(np.isnan(best), scores, best)
        return ids[np.argsort(-mixed, kind="stable")[:n]].tolist()

    def nearest(
        self, gen: Generation, qv: np.ndarray, n: int, candidates: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Nearest passages by inner product, with their scores; with a filter, among its
        candidates only."""
        if n <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        params = gen.manifest.get("index", {"type": "flat"})
        # OpenMP's thread count is kept per calling thread: without this, each request
        # thread's searches ran on a team of every core, whose idle threads spin for the
        # cores the model and the other workers need (docs/performance.md).
        faiss.omp_set_num_threads(1)
        if candidates is None:
            scores, ids = gen.index.search(qv[None, :], n, params=search_parameters(params))
            keep = ids[0] >= 0
            return ids[0][keep], scores[0][keep]
        if len(candidates) > EXACT_SCAN_LIMIT:
            selector = faiss.IDSelectorBatch(candidates)
            search = search_parameters(params, selector, depth=4)
            scores, ids = gen.index.search(qv[None, :], n, params=search)
            keep = ids[0] >= 0
            if keep.sum() >= min(n, len(candidates)) or params.get("type") in EXHAUSTIVE:
                return ids[0][keep], scores[0][keep]
        return _exact(gen, qv, n, candidates)

    @staticmethod
    def similarities(gen: Generation, qv: np.ndarray, ids: list[int]) -> list[float]:
        """Cosine similarity of each passage to the question."""
        if not ids:
            return []
        return (np.asarray(gen.embeddings[ids]) @ qv).tolist()


def _exact(
    gen: Generation, qv: np.ndarray, n: int, candidates: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Few candidates (or an approximate index that found too few of them): score them
    exactly from the float32 vectors on disk."""
    ordered = np.sort(candidates)
    scores = np.empty(len(ordered), dtype=np.float32)
    for start in range(0, len(ordered), EXACT_SCAN_LIMIT):
        chunk = ordered[start : start + EXACT_SCAN_LIMIT]
        scores[start : start + len(chunk)] = np.asarray(gen.embeddings[chunk]) @ qv
    top = np.argsort(-scores, kind="stable")[:n]
    return ordered[top], scores[top]


def best_sentences(
    gen: Generation, ids: np.ndarray, qv: np.ndarray, alone: bool = False
) -> np.ndarray:
    """Similarity of each passage's best sentence to `qv` (NaN for a passage without
    sentences): the passages' rows of the memory-mapped sentence vectors gathered into one
    matrix, one matrix product, one maximum per passage. `qv` may hold several vectors as
    rows (a row of results each); `alone`: the sentences embedded on their own."""
    scores, counts = sentence_scores(gen, ids, qv, alone)
    best = np.full((len(counts), *qv.shape[:-1]), np.nan, dtype=np.float32)
    some = counts > 0
    if some.any():
        firsts = np.cumsum(counts[some]) - counts[some]  # reduceat needs non-empty segments
        best[some] = np.maximum.reduceat(scores, firsts)
    return best.T


def sentence_scores(
    gen: Generation, ids: np.ndarray, qv: np.ndarray, alone: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Every sentence of the passages `ids` against `qv` (a row per sentence, passage after
    passage; a column per row of `qv`), and how many sentences each passage has: one gather
    from the memory-mapped vectors, one conversion, one product."""
    vectors, counts = gen.gather_sentences(ids, alone=alone)
    return as_float32(vectors) @ qv.T, counts


def clause_scores(
    gen: Generation, ids: np.ndarray, scores: np.ndarray, qv: np.ndarray, clauses: np.ndarray
) -> np.ndarray:
    """Each passage's score for a question in several clauses: the mean of its own similarity,
    its best sentence's similarity to the whole question and, over the clauses, each clause's
    best sentence (sentences embedded on their own: sentence_alone.npy). A passage without
    sentences keeps its own similarity in their place."""
    own = scores.astype(np.float64)
    queries = np.vstack([qv[None, :], clauses]).astype(np.float32)
    best = best_sentences(gen, ids, queries, alone=True).astype(np.float64)
    best = np.where(np.isnan(best), own, best)
    return (own + best[0] + best[1:].mean(axis=0)) / 3
