"""indexer.embedders.fake: the fake embedder the tests rely on, and the embedder interface
the build uses, through it."""

from __future__ import annotations

import numpy as np

from indexer.embedders.fake import FakeEmbedder


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
