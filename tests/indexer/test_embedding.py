"""The fake embedder the tests rely on, the embedder interface the build uses, and the real
model's bfloat16 path."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from indexer.embedding import (
    FakeEmbedder,
    SentenceTransformerEmbedder,
    load_embedder,
    normalise_rows,
)


def test_fake_vectors_have_the_dimension_and_unit_length(embedder):
    vectors = embedder.embed_batch(["Tuvalu and climate change", "Fisheries", ""])
    assert vectors.shape == (3, embedder.dimension)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)


def test_fake_vectors_are_deterministic():
    first = FakeEmbedder().embed_batch(["sea level rise in the Pacific"])
    second = FakeEmbedder().embed_batch(["sea level rise in the Pacific"])
    assert np.array_equal(first, second)


def test_fake_vectors_rank_shared_words_higher(embedder):
    query, close, far = embedder.embed_batch(
        ["e-commerce trade", "growth of e-commerce and trade logistics", "nuclear testing legacy"]
    )
    assert float(query @ close) > float(query @ far)


def test_fake_embedder_counts_texts_and_calls(embedder):
    embedder.embed_batch(["one", "two", "three"])
    embedder.embed_batch(["four"])
    assert embedder.embedded == 4
    assert embedder.calls == 2


def test_fake_embedder_dimension_is_configurable():
    embedder = FakeEmbedder(dimension=16, max_tokens=128)
    assert embedder.embed_batch(["text"]).shape == (1, 16)
    assert embedder.max_tokens == 128
    assert embedder.name == "fake-16"


def test_count_tokens_includes_the_two_special_tokens(embedder):
    assert embedder.count_tokens(["", "word", "two words."]) == [2, 3, 5]


def test_count_tokens_splits_long_words_into_pieces(embedder):
    # Word pieces of at most six characters: "sovereignty" is two pieces.
    assert embedder.count_tokens(["sovereignty"]) == [4]


def test_embed_with_sentences_gives_one_vector_per_span(embedder):
    texts = ["Title\nFirst sentence. Second one.", "Other\nOnly sentence."]
    spans = [[(6, 21), (22, 33)], [(6, 20)]]
    vectors, sentence_vectors = embedder.embed_with_sentences(texts, spans)
    assert vectors.shape == (2, embedder.dimension)
    assert [s.shape for s in sentence_vectors] == [(2, embedder.dimension), (1, embedder.dimension)]
    assert np.allclose(sentence_vectors[0][1], embedder.embed_batch(["Second one."])[0])
    assert np.allclose(vectors[1], embedder.embed_batch([texts[1]])[0])


def test_embed_with_sentences_handles_passages_without_spans(embedder):
    vectors, sentence_vectors = embedder.embed_with_sentences(["Some text."], [[]])
    assert vectors.shape == (1, embedder.dimension)
    assert sentence_vectors[0].shape == (0, embedder.dimension)


def test_normalise_rows_makes_unit_rows_and_leaves_zero_rows_finite():
    rows = normalise_rows(np.array([[3.0, 4.0], [0.0, 0.0]]))
    assert np.allclose(rows[0], [0.6, 0.8])
    assert np.all(np.isfinite(rows))


@pytest.mark.parametrize(("model", "dimension"), [("fake", 64), ("fake-32", 32)])
def test_load_embedder_gives_the_fake_embedder_by_name(model, dimension):
    embedder = load_embedder(model)
    assert isinstance(embedder, FakeEmbedder)
    assert embedder.dimension == dimension


def test_load_embedder_refuses_an_unknown_model_without_downloading(tmp_path):
    with pytest.raises(ValueError, match="neither a folder nor an installed model package"):
        load_embedder(str(tmp_path / "no-such-model"))


# -- the real model: bfloat16 weights, traced -----------------------------------------------

QUESTIONS = [
    "what was said on e-commerce?",
    "resolutions on undervaluation of imported goods",
    "How did Fiji describe the threat of sea level rise to its villages at the UN in 2019?",
]
PASSAGES = [
    "Session Four: e-commerce. Members noted the growth of low-value consignments bought "
    "online and the revenue lost when duty thresholds are not applied.",
    "Tuvalu",
    " ".join(["The conference agreed on a regional approach to customs valuation."] * 20),
]


@pytest.fixture(scope="module")
def fp32_vectors():
    embedder = SentenceTransformerEmbedder(precision="fp32")
    return embedder.embed_batch(QUESTIONS), embedder.embed_batch(PASSAGES)


@pytest.mark.model
def test_bf16_model_gives_vectors_within_cosine_0999_of_fp32(fp32_vectors):
    embedder = SentenceTransformerEmbedder(precision="bf16")
    questions, passages = fp32_vectors
    # One at a time (the server's lone questions) and padded together (indexing batches).
    lone = np.vstack([embedder.embed_batch([q]) for q in QUESTIONS])
    assert (lone * questions).sum(1).min() >= 0.999
    assert (embedder.embed_batch(PASSAGES) * passages).sum(1).min() >= 0.999
    assert isinstance(embedder.model, torch.jit.ScriptModule)  # the traced forward runs


@pytest.mark.model
def test_bf16_model_runs_untraced_when_tracing_fails(fp32_vectors, monkeypatch, caplog):
    def refuse(*args, **kwargs):
        raise RuntimeError("cannot trace this architecture")

    monkeypatch.setattr(torch.jit, "trace", refuse)
    embedder = SentenceTransformerEmbedder(precision="bf16")
    vectors = embedder.embed_batch(QUESTIONS)
    assert (vectors * fp32_vectors[0]).sum(1).min() >= 0.999
    assert not isinstance(embedder.model, torch.jit.ScriptModule)
    assert "running the model untraced: cannot trace this architecture" in caplog.text
