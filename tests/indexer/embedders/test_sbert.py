"""indexer.embedders.sbert: sentence-transformers' encode, for models that are more than a
Transformer and a Pooling."""

from __future__ import annotations

import numpy as np
import pytest

from indexer.embedders.sbert import SentenceTransformersEmbedder
from tests.indexer.embedders.conftest import PASSAGES, QUESTIONS

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def sbert():
    return SentenceTransformersEmbedder(precision="fp32")


def test_sentence_transformers_gives_the_bert_backends_vectors(sbert, fp32_vectors):
    questions, passages = fp32_vectors
    assert (sbert.embed_batch(QUESTIONS) * questions).sum(1).min() >= 0.999
    assert (sbert.embed_batch(PASSAGES) * passages).sum(1).min() >= 0.999
    assert type(sbert.model).__name__ == "SentenceTransformer"


def test_sentences_are_embedded_on_their_own(sbert):
    text = "Members noted the growth of e-commerce. Duty thresholds were discussed."
    spans = [(0, 39), (40, len(text))]
    vectors, sentences = sbert.embed_with_sentences([text], [spans])
    assert vectors.shape == (1, sbert.dimension)
    np.testing.assert_allclose(sentences[0], sbert.embed_batch([text[:39], text[40:]]), atol=1e-6)
    assert sbert.embed_batch([]).shape == (0, sbert.dimension)
    assert sbert.count_tokens(["customs valuation"]) == [4]
