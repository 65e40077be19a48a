"""What every real model's embedder shares: the model folder, its tokenizer, the precision
and loading the model once, on first use."""

from __future__ import annotations

import json
import logging
import os
import threading
from abc import abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from indexer.embedding import (
    DEFAULT_MODEL,
    Embedder,
    compute_threads,
    cpu_supports_bf16,
    resolve_model_path,
)

log = logging.getLogger(__name__)


class ModelFolderEmbedder(Embedder):
    """A model read from a local folder or an installed model package, offline and lazily:
    sizing passages needs only the tokenizer, so an unchanged re-index never loads the model.

    A subclass says which folders it can run (`can_run`, `runs` in words) and how to load
    the model (`_load`); `model` loads it once, thread-safely."""

    runs: str  # what the backend can run, for the error when it is asked to run another

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        device: str = "cpu",
        batch_size: int = 32,
        precision: str = "auto",
        threads: int | None = None,
    ) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        self.path = resolve_model_path(model)
        if not self.can_run(self.path):
            raise ValueError(f"{type(self).__name__} cannot run {model!r}: it runs {self.runs}")
        self.name = model
        self.device = device
        self.batch_size = batch_size
        self.threads = threads  # torch's intra-op threads (process-wide), set at model load
        if precision == "auto":
            precision = "bf16" if device == "cpu" and cpu_supports_bf16() else "fp32"
        if precision not in ("fp32", "bf16"):
            raise ValueError(f"precision must be auto, fp32 or bf16, not {precision!r}")
        self.precision = precision
        self._model: Any = None
        self._tokenizer = None
        self._lock = threading.Lock()
        self.dimension, self.max_tokens = _read_config(self.path)

    @classmethod
    @abstractmethod
    def can_run(cls, path: Path) -> bool:
        """Whether this backend runs the model in `path`, decided without loading weights."""

    @abstractmethod
    def _load(self) -> Any:
        """The model, ready to run on `self.device`."""

    @property
    def tokenizer(self):
        """The model's fast tokenizer, without truncation: counts what the model would see."""
        if self._tokenizer is None:
            from tokenizers import Tokenizer

            tok = Tokenizer.from_file(str(self.path / "tokenizer.json"))
            tok.no_truncation()
            tok.no_padding()
            self._tokenizer = tok
        return self._tokenizer

    @property
    def model(self) -> Any:
        """The model, loaded on first use (by one thread; the others wait for it)."""
        with self._lock:
            if self._model is None:
                import torch

                torch.set_num_threads(self.threads or compute_threads())
                log.info(
                    "loading model %s from %s with %s (%s)",
                    self.name,
                    self.path,
                    type(self).__name__,
                    self.precision,
                )
                self._model = self._load()
            return self._model

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(e.ids) for e in self.tokenizer.encode_batch(list(texts))]


def _read_config(path: Path) -> tuple[int, int]:
    """(vector dimension, input limit in tokens) from the folder's JSON files."""
    max_tokens = 512
    st_config = path / "sentence_bert_config.json"
    if st_config.exists():
        max_tokens = int(json.loads(st_config.read_text()).get("max_seq_length", 512))
    dimension = None
    pooling = path / "1_Pooling" / "config.json"
    if pooling.exists():
        dimension = json.loads(pooling.read_text()).get("word_embedding_dimension")
    if dimension is None:
        dimension = json.loads((path / "config.json").read_text())["hidden_size"]
    return int(dimension), max_tokens
