"""indexer.embedders.token_pooling, on the real model through the BERT backend: bfloat16
weights, traced, and eager when tracing fails."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from indexer.embedders.bert import BertEmbedder
from tests.indexer.embedders.conftest import PASSAGES, QUESTIONS

pytestmark = pytest.mark.model


def test_bf16_model_gives_vectors_within_cosine_0999_of_fp32(fp32_vectors):
    embedder = BertEmbedder(precision="bf16")
    questions, passages = fp32_vectors
    # One at a time (the server's lone questions) and padded together (indexing batches).
    lone = np.vstack([embedder.embed_batch([q]) for q in QUESTIONS])
    assert (lone * questions).sum(1).min() >= 0.999
    assert (embedder.embed_batch(PASSAGES) * passages).sum(1).min() >= 0.999
    assert isinstance(embedder.model, torch.jit.ScriptModule)  # the traced forward runs


def test_bf16_model_runs_untraced_when_tracing_fails(fp32_vectors, monkeypatch, caplog):
    def refuse(*args, **kwargs):
        raise RuntimeError("cannot trace this architecture")

    monkeypatch.setattr(torch.jit, "trace", refuse)
    embedder = BertEmbedder(precision="bf16")
    vectors = embedder.embed_batch(QUESTIONS)
    assert (vectors * fp32_vectors[0]).sum(1).min() >= 0.999
    assert not isinstance(embedder.model, torch.jit.ScriptModule)
    assert "running the model untraced: cannot trace this architecture" in caplog.text


def test_sentence_vectors_come_from_the_passage_forward_pass():
    embedder = BertEmbedder(precision="fp32")
    text = "Members noted the growth of e-commerce. Duty thresholds were discussed."
    spans = [(0, 39), (40, len(text))]
    vectors, sentences = embedder.embed_with_sentences([text, "Tuvalu"], [spans, []])
    np.testing.assert_allclose(vectors, embedder.embed_batch([text, "Tuvalu"]), atol=1e-5)
    assert [s.shape for s in sentences] == [(2, embedder.dimension), (0, embedder.dimension)]
    assert np.allclose(np.linalg.norm(sentences[0], axis=1), 1.0, atol=1e-5)
    assert embedder.embed_with_sentences([], [])[1] == []


def _int8_here() -> bool:
    from indexer.embedders import int8

    return int8.available()


@pytest.mark.skipif(not _int8_here(), reason="this CPU has no int8 dot products (VNNI or AMX)")
def test_int8_question_vectors_stay_close_to_fp32_and_rank_passages_the_same(fp32_vectors):
    embedder = BertEmbedder(precision="fp32")
    questions = embedder.for_queries("int8")
    assert questions is not embedder and questions.precision == "int8"
    assert embedder.for_queries("int8") is questions  # one copy, loaded once
    lone = np.vstack([questions.embed_batch([q]) for q in QUESTIONS])
    expected, passages = fp32_vectors
    # int8 moves a question's vector a little (median cosine 0.994 on the shipped
    # questions); what matters is that it still prefers the same passage.
    cosines = (lone * expected).sum(1)
    assert cosines.min() >= 0.98
    assert ((lone @ passages.T).argmax(1) == (expected @ passages.T).argmax(1)).all()
    assert questions.precision == "int8" and cosines.max() < 0.99999  # int8 ran: no fallback
    assert isinstance(questions.model, torch.jit.ScriptModule)
    # Passages keep the index's precision: the copy leaves the original as it was.
    assert embedder.precision == "fp32" and embedder._model is None


def test_query_precision_auto_follows_the_cpu(monkeypatch):
    from indexer.embedders import int8

    embedder = BertEmbedder(precision="fp32")
    monkeypatch.setattr(int8, "available", lambda: False)
    assert embedder.for_queries("auto") is embedder
    assert embedder.for_queries("fp32") is embedder
    with pytest.raises(ValueError, match="int8 questions need a CPU with int8 dot products"):
        embedder.for_queries("int8")
    with pytest.raises(ValueError, match="query precision must be auto, fp32, bf16 or int8"):
        embedder.for_queries("fp16")
    monkeypatch.setattr(int8, "available", lambda: True)
    assert embedder.for_queries("auto").precision == "int8"
    assert embedder.for_queries("bf16").precision == "bf16"
    # other architectures keep their precision unless int8 is asked for (MPNet strays)
    monkeypatch.setattr(BertEmbedder, "int8_questions", False)
    assert BertEmbedder(precision="fp32").for_queries("auto").precision == "fp32"


def test_int8_questions_fall_back_to_the_index_precision_when_their_vectors_stray(
    fp32_vectors, monkeypatch, caplog
):
    from indexer.embedders import int8

    def stray(expected, got):
        raise ValueError("int8 vectors differ from fp32 (cosine 0.412 < 0.97)")

    monkeypatch.setattr(int8, "available", lambda: True)
    monkeypatch.setattr(int8, "check", stray)
    questions = BertEmbedder(precision="fp32").for_queries("int8")
    vectors = questions.embed_batch(QUESTIONS)
    assert questions.precision == "fp32"
    assert (vectors * fp32_vectors[0]).sum(1).min() >= 0.9999
    assert "questions embedded in fp32 instead of int8: int8 vectors differ" in caplog.text


def test_int8_check_refuses_vectors_far_from_fp32():
    from indexer.embedders import int8

    expected = torch.eye(3)
    int8.check(expected, expected + 0.01)
    with pytest.raises(ValueError, match=r"cosine 0\.707 < 0\.97"):
        int8.check(expected, expected + torch.roll(expected, 1, dims=1))
