"""The transformers backend: a Transformer + Pooling model of an architecture other than
plain BERT, its transformer run through transformers' AutoModel."""

from __future__ import annotations

from typing import Any

from indexer.embedders.token_pooling import TokenPoolingEmbedder


class TransformersEmbedder(TokenPoolingEmbedder):
    """A Transformer + Pooling model whose transformer transformers' AutoModel loads."""

    def _forward_module(self) -> Any:
        return auto_model_forward(str(self.path))


def auto_model_forward(path: str) -> Any:
    """The model in `path` loaded by AutoModel, as a module of (token ids, attention mask) to
    its last hidden state, like `indexer.embedders.bert_module.Bert`."""
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # a bar per load is noise in CLI output

    class Forward(torch.nn.Module):
        def __init__(self, model) -> None:
            super().__init__()
            self.model = model
            self.vocabulary = int(getattr(model.config, "vocab_size", 1_000))

        def forward(self, ids, mask):
            return self.model(
                input_ids=ids, attention_mask=mask, token_type_ids=torch.zeros_like(ids)
            ).last_hidden_state

    return Forward(AutoModel.from_pretrained(path)).eval()
