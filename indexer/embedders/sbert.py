"""The sentence-transformers backend: any model folder the library loads (more modules than
Transformer + Pooling, say), run by its `encode`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from indexer.embedders.model_folder import ModelFolderEmbedder
from indexer.embedding import normalise_rows


class SentenceTransformersEmbedder(ModelFolderEmbedder):
    """sentence-transformers' `SentenceTransformer.encode`. It gives no token vectors to pool,
    so each sentence is embedded on its own (`Embedder.embed_with_sentences`)."""

    runs = "any sentence-transformers folder"

    @classmethod
    def can_run(cls, path: Path) -> bool:
        return True

    def _load(self) -> Any:
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(str(self.path), device=self.device)
        model.max_seq_length = self.max_tokens
        return model

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(
            list(texts), batch_size=self.batch_size, show_progress_bar=False
        )
        return normalise_rows(vectors)
