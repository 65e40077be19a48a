"""indexer.embedders.hf_transformers: transformers' AutoModel as the forward module, for
Transformer + Pooling models the plain-torch BERT declines."""

from __future__ import annotations

import os

import numpy as np
import pytest
from safetensors.torch import load_file, save_file

from indexer.embedders import bert_module
from indexer.embedders.bert import BertEmbedder
from indexer.embedders.hf_transformers import TransformersEmbedder
from indexer.embedding import load_embedder

pytestmark = pytest.mark.model

QUESTIONS = ["what was said on e-commerce?", "resolutions on undervaluation"]


def test_transformers_backend_gives_the_vectors_of_the_bert_backend():
    expected = BertEmbedder(precision="fp32").embed_batch(QUESTIONS)
    embedder = TransformersEmbedder(precision="fp32")
    np.testing.assert_allclose(embedder.embed_batch(QUESTIONS), expected, atol=1e-4)
    assert embedder.model.transformer.original_name == "Forward"  # the AutoModel wrapper, traced


def test_a_bert_checkpoint_the_plain_bert_declines_runs_on_transformers(tmp_path, model_path):
    # A BERT config whose checkpoint carries a head as well: bert_module.load declines it
    # (its weight names are not the encoder's), AutoModel loads the encoder and drops the head.
    for entry in model_path.iterdir():
        if entry.name != "model.safetensors":
            os.symlink(entry, tmp_path / entry.name)
    state = load_file(str(model_path / "model.safetensors"))
    state["classifier.weight"] = state["pooler.dense.weight"][:2].clone()
    save_file(state, tmp_path / "model.safetensors")
    assert bert_module.load(tmp_path) is None

    embedder = load_embedder(str(tmp_path), precision="fp32")
    assert isinstance(embedder, TransformersEmbedder)
    expected = BertEmbedder(precision="fp32").embed_batch(QUESTIONS)
    np.testing.assert_allclose(embedder.embed_batch(QUESTIONS), expected, atol=1e-4)
