"""The server's query vectors: one model thread, coalesced batches, an LRU cache."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np
import pytest

from indexer.embedders.fake import FakeEmbedder
from search_api.query_embedding import QueryEmbedder
from tests.helpers import SlowEmbedder


@pytest.fixture
def queries():
    embedder = SlowEmbedder(delay_s=0.2)
    queries = QueryEmbedder(embedder, cache_size=3)
    yield queries
    queries.close()


def test_question_vector_is_the_embedders(queries: QueryEmbedder):
    expected = FakeEmbedder().embed_batch(["sea level rise"])[0]
    assert np.array_equal(queries.embed("sea level rise"), expected)


def test_submit_returns_before_the_model_has_finished(queries: QueryEmbedder):
    future = queries.submit("customs valuation")
    assert not future.done()  # the model takes 0.2 s; the caller goes on meanwhile
    assert future.result(timeout=5).shape == (64,)


def test_repeated_question_is_answered_from_the_cache(queries: QueryEmbedder):
    first = queries.embed("e-commerce thresholds")
    calls = queries.embedder.calls
    future = queries.submit("e-commerce thresholds")
    assert future.done() and np.array_equal(future.result(), first)
    assert queries.embedder.calls == calls


def test_cache_forgets_the_least_recently_used_question(queries: QueryEmbedder):
    for text in ("a", "b", "c"):
        queries.embed(text)
    queries.embed("a")  # used again: "b" is now the oldest
    queries.embed("d")
    calls = queries.embedder.calls
    queries.embed("a")
    assert queries.embedder.calls == calls
    queries.embed("b")
    assert queries.embedder.calls == calls + 1


def test_questions_arriving_while_the_model_is_busy_share_one_batch(queries: QueryEmbedder):
    busy = queries.submit("first question")
    waiting = [queries.submit(f"question {i}") for i in range(6)]
    busy.result(timeout=5)
    for future in waiting:
        future.result(timeout=5)
    # Seven questions, at most two model calls: the first (perhaps alone), then the rest.
    assert queries.batches <= 2
    assert queries.embedder.embedded == 7


class FailsOnce(FakeEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.failed = threading.Event()

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        if not self.failed.is_set():
            self.failed.set()
            raise RuntimeError("model out of memory")
        return super().embed_batch(texts)


def test_model_error_fails_that_request_only_and_is_not_cached():
    queries = QueryEmbedder(FailsOnce())
    try:
        with pytest.raises(RuntimeError, match="model out of memory"):
            queries.embed("tuna fisheries")
        # The thread lives on, and the failed question is embedded on the next try.
        assert queries.embed("tuna fisheries").shape == (64,)
        assert queries.embed("other question").shape == (64,)
    finally:
        queries.close()


def test_a_question_and_its_clauses_are_embedded_in_one_batch(queries: QueryEmbedder):
    queries.embed("already asked")
    calls = queries.embedder.calls
    texts = ["a question in two parts", "a question", "already asked", "in two parts"]
    futures = queries.submit_all(texts)
    vectors = [future.result(timeout=5) for future in futures]
    expected = FakeEmbedder().embed_batch(texts)
    assert all(np.array_equal(v, e) for v, e in zip(vectors, expected, strict=True))
    assert queries.embedder.calls == calls + 1  # one model call; the cached one not in it
    assert queries.embedder.embedded == 1 + 3


def test_a_question_and_its_clauses_spans_take_one_forward_pass(queries: QueryEmbedder):
    text = "the leader thanked the donors and promised mangroves"
    spans = [(0, 30), (35, len(text))]
    rows = queries.submit_pooled(text, spans).result(timeout=5)
    fake = FakeEmbedder()
    assert rows.shape == (3, 64) and queries.batches == 1
    assert np.allclose(rows[0], fake.embed_batch([text])[0])
    expected = fake.embed_with_sentences([text], [spans])[1][0]
    expected = expected / np.linalg.norm(expected, axis=1, keepdims=True)
    assert np.allclose(rows[1:], expected, atol=1e-6)
    assert np.allclose(np.linalg.norm(rows, axis=1), 1, atol=1e-5)
    again = queries.submit_pooled(text, spans)
    assert again.done() and queries.batches == 1  # cached, with its spans
    assert np.array_equal(queries.embed(text), rows[0])  # the plain question is its own entry
    assert queries.batches == 2
