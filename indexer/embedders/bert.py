"""The plain-torch BERT backend: BERT models (all-MiniLM-L6-v2 and its kin) run on
`indexer.embedders.bert_module`, which needs torch and safetensors only.

Why not transformers: importing its BERT pulls in torch._dynamo, torch.distributed and scipy,
which took longer than the rest of the server's start-up together, and that import was most
of the cold start to a first answer (docs/performance.md, "Embedding").

Whether a folder is such a BERT is decided here without torch and without reading weights:
from config.json and the names and shapes in model.safetensors' header, so that building the
embedder (or sizing passages with its tokenizer) stays cheap. The model lives in another
module because defining torch modules needs torch imported.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

from indexer.embedders.token_pooling import TokenPoolingEmbedder

# transformers' hidden_act → torch's GELU approximation
ACTIVATIONS = {"gelu": "none", "gelu_new": "tanh", "gelu_pytorch_tanh": "tanh"}
_UNUSED = ("embeddings.position_ids", "pooler.")  # buffers and heads the encoder never reads
_T = TypeVar("_T")


class BertEmbedder(TokenPoolingEmbedder):
    """A Transformer + Pooling model whose transformer is a plain BERT, run in plain torch."""

    runs = (
        "a Transformer + Pooling sentence-transformers folder holding a plain BERT "
        "(absolute positions, GELU) in model.safetensors"
    )
    int8_questions = True  # question vectors at a median cosine of 0.994 to fp32

    @classmethod
    def can_run(cls, path: Path) -> bool:
        return super().can_run(path) and plain_bert(path)

    def _forward_module(self) -> Any:
        from indexer.embedders import bert_module

        model = bert_module.load(self.path)
        if model is None:  # the header said it would fit: the file changed since
            raise ValueError(f"{self.path} no longer holds a plain BERT checkpoint")
        return model


def bert_config(path: Path) -> dict | None:
    """The folder's config.json when it describes a BERT this backend covers and the folder
    has model.safetensors (BERT as sentence-transformers models ship it: absolute
    positions, GELU, post-layer-norm); None otherwise."""
    try:
        config = json.loads((path / "config.json").read_text())
    except (OSError, ValueError):
        return None
    if (
        config.get("model_type") != "bert"
        or config.get("position_embedding_type", "absolute") != "absolute"
        or config.get("hidden_act") not in ACTIVATIONS
        or not (path / "model.safetensors").is_file()
    ):
        return None
    return config


def plain_bert(path: Path) -> bool:
    """Whether `bert_module.load` accepts the folder: a covered config, and weights whose
    names and shapes (read from the safetensors header, not the weights) are the encoder's."""
    config = bert_config(path)
    if config is None:
        return False
    from safetensors import safe_open

    try:
        with safe_open(str(path / "model.safetensors"), framework="numpy") as weights:
            names = weights.keys()  # a safe_open is no mapping: it has no __iter__
            shapes = {k: tuple(weights.get_slice(k).get_shape()) for k in names}
        return encoder_entries(shapes) == encoder_shapes(config)
    except (OSError, ValueError, KeyError, TypeError):  # no header, or a config it lacks
        return False


def encoder_entries(entries: dict[str, _T]) -> dict[str, _T]:
    """The checkpoint entries the encoder reads, under BertModel's names: without unused
    buffers and heads, and without the `bert.` prefix of a model saved inside a task head."""
    kept = {k: v for k, v in entries.items() if not k.startswith(_UNUSED)}
    if all(k.startswith("bert.") for k in kept):
        kept = {k.removeprefix("bert."): v for k, v in kept.items()}
    return kept


def encoder_shapes(config: dict) -> dict[str, tuple[int, ...]]:
    """Name → shape of every weight of `bert_module.Bert(config)`."""
    hidden, inner = config["hidden_size"], config["intermediate_size"]
    shapes: dict[str, tuple[int, ...]] = {
        "embeddings.word_embeddings.weight": (config["vocab_size"], hidden),
        "embeddings.position_embeddings.weight": (config["max_position_embeddings"], hidden),
        "embeddings.token_type_embeddings.weight": (config.get("type_vocab_size", 2), hidden),
    }

    def linear(name: str, inputs: int, outputs: int) -> None:
        shapes[f"{name}.weight"], shapes[f"{name}.bias"] = (outputs, inputs), (outputs,)

    def norm(name: str) -> None:
        shapes[f"{name}.weight"] = shapes[f"{name}.bias"] = (hidden,)

    norm("embeddings.LayerNorm")
    for i in range(config["num_hidden_layers"]):
        layer = f"encoder.layer.{i}"
        for part in ("query", "key", "value"):
            linear(f"{layer}.attention.self.{part}", hidden, hidden)
        linear(f"{layer}.attention.output.dense", hidden, hidden)
        norm(f"{layer}.attention.output.LayerNorm")
        linear(f"{layer}.intermediate.dense", hidden, inner)
        linear(f"{layer}.output.dense", inner, hidden)
        norm(f"{layer}.output.LayerNorm")
    return shapes
