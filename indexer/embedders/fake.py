"""The fake embedder: deterministic and fast, for tests."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

from indexer.embedding import Embedder, normalise_rows


class FakeEmbedder(Embedder):
    """Deterministic bag-of-words hashing embedder: similar words give similar vectors.

    Good enough to test ranking plumbing (a passage sharing the query's words ranks first)
    without loading a model."""

    def __init__(self, dimension: int = 64, max_tokens: int = 256) -> None:
        self.name = f"fake-{dimension}"
        self.dimension = dimension
        self.max_tokens = max_tokens
        self.calls = 0
        self.embedded = 0

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        self.embedded += len(texts)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
                out[row, int.from_bytes(digest[:4], "little") % self.dimension] += 1.0
            if not out[row].any():
                out[row, 0] = 1.0
        return normalise_rows(out)
