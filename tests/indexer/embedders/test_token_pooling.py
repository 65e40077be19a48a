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
