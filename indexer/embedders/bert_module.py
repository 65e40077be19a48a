"""A BERT encoder in plain torch, loaded from the model folder's safetensors.

It covers BERT as sentence-transformers models ship it (absolute positions, GELU,
post-layer-norm): all-MiniLM-L6-v2 and its kin. It needs torch and safetensors only, not
transformers (`indexer.embedders.bert` says why). `load` returns None for anything else.
"""

from __future__ import annotations

import logging
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from indexer.embedders.bert import ACTIVATIONS, bert_config, encoder_entries

log = logging.getLogger(__name__)


def load(path: Path) -> Bert | None:
    """The folder's BERT as a module of (token ids, attention mask) → last hidden state,
    in fp32 and eval mode; None when the folder holds another architecture."""
    config = bert_config(path)
    if config is None:
        return None
    from safetensors.torch import load_file

    state = encoder_entries(load_file(str(path / "model.safetensors")))
    model = Bert(config)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:  # weight names or shapes of another BERT variant
        log.info("%s: not a plain BERT checkpoint (%s)", path, str(exc).splitlines()[0])
        return None
    return model.float().eval()


def _container(**children: nn.Module) -> nn.Module:
    """A module holding `children` under transformers' names, so its checkpoints load as is."""
    module = nn.Module()
    for name, child in children.items():
        setattr(module, name, child)
    return module


class Layer(nn.Module):
    def __init__(self, hidden: int, intermediate: int, heads: int, eps: float, gelu: str):
        super().__init__()
        self.heads, self.gelu = heads, gelu
        self.attention = _container(
            self=_container(
                query=nn.Linear(hidden, hidden),
                key=nn.Linear(hidden, hidden),
                value=nn.Linear(hidden, hidden),
            ),
            output=_container(dense=nn.Linear(hidden, hidden), LayerNorm=nn.LayerNorm(hidden, eps)),
        )
        self.intermediate = _container(dense=nn.Linear(hidden, intermediate))
        self.output = _container(
            dense=nn.Linear(intermediate, hidden), LayerNorm=nn.LayerNorm(hidden, eps)
        )

    def forward(self, x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        rows, width, hidden = x.shape
        attention = self.attention

        def heads(linear: nn.Linear) -> torch.Tensor:
            return linear(x).view(rows, width, self.heads, -1).transpose(1, 2)

        context = F.scaled_dot_product_attention(
            heads(attention.self.query),
            heads(attention.self.key),
            heads(attention.self.value),
            attn_mask=keep,
        )
        context = context.transpose(1, 2).reshape(rows, width, hidden)
        x = attention.output.LayerNorm(attention.output.dense(context) + x)
        inner = F.gelu(self.intermediate.dense(x), approximate=self.gelu)
        return self.output.LayerNorm(self.output.dense(inner) + x)


class Bert(nn.Module):
    """BertModel's encoder without dropout, pooler or token types other than 0."""

    def __init__(self, config: dict) -> None:
        super().__init__()
        hidden, eps = config["hidden_size"], config.get("layer_norm_eps", 1e-12)
        self.vocabulary = config["vocab_size"]
        self.embeddings = _container(
            word_embeddings=nn.Embedding(self.vocabulary, hidden),
            position_embeddings=nn.Embedding(config["max_position_embeddings"], hidden),
            token_type_embeddings=nn.Embedding(config.get("type_vocab_size", 2), hidden),
            LayerNorm=nn.LayerNorm(hidden, eps),
        )
        layer = (
            hidden,
            config["intermediate_size"],
            config["num_attention_heads"],
            eps,
            ACTIVATIONS[config["hidden_act"]],
        )
        self.encoder = _container(
            layer=nn.ModuleList(Layer(*layer) for _ in range(config["num_hidden_layers"]))
        )

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        embeddings = self.embeddings
        positions = torch.arange(ids.shape[1], device=ids.device)
        x = (
            embeddings.word_embeddings(ids)
            + embeddings.position_embeddings(positions)[None]
            + embeddings.token_type_embeddings.weight[0]
        )
        x = embeddings.LayerNorm(x)
        keep = mask.bool()[:, None, None, :]  # every query attends to the real tokens only
        for layer in self.encoder.layer:
            x = layer(x, keep)
        return x
