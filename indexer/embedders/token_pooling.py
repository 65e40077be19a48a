"""Embedders that run a forward module of (token ids, attention mask) → last hidden state
and pool its token vectors themselves, as a Transformer + Pooling model does.

One tokenisation (with character offsets) and one forward pass give both the passage vector
(the model's own mean or CLS pooling) and each sentence's vector (the mean of the token
vectors inside it: late pooling). Batches are length-sorted; the forward module runs in
bfloat16 where the CPU has AMX or AVX-512-BF16, and traced with TorchScript, pooling and
normalisation included: one call into torch per batch.

Questions may run on a second copy of the model with int8 linear layers (`for_queries`,
`indexer.embedders.int8`): a lone question's forward pass is most of a search's time.
"""

from __future__ import annotations

import copy
import json
import logging
import threading
from abc import abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from indexer.embedders.model_folder import ModelFolderEmbedder
from indexer.embedding import Embedder, normalise_rows

log = logging.getLogger(__name__)


class TokenPoolingEmbedder(ModelFolderEmbedder):
    """A Transformer + Pooling (+ Normalize) model whose forward module a subclass builds."""

    runs = "a Transformer + Pooling (+ Normalize) sentence-transformers folder"
    _pooling: str | None = None  # "mean" or "cls", read when the model loads
    # Whether query precision `auto` means int8 for this backend's models: measured for BERT
    # (all-MiniLM-L6-v2); MPNet's int8 vectors fail the check (cosine 0.805), so other
    # architectures keep their precision unless int8 is asked for.
    int8_questions = False

    @classmethod
    def can_run(cls, path: Path) -> bool:
        return plain_pooling(path) is not None

    @abstractmethod
    def _forward_module(self) -> Any:
        """The model as a torch module of (token ids, attention mask) → last hidden state,
        in fp32 and eval mode; a `vocabulary` attribute (its vocabulary size) helps tracing."""

    def _load(self) -> Any:
        import torch

        self._pooling = plain_pooling(self.path)
        if self.precision == "int8":
            try:
                return self._load_int8()
            except Exception as exc:  # no quantised kernels here, or vectors that stray
                fallback = getattr(self, "_fallback", "fp32")
                log.warning("questions embedded in %s instead of int8: %s", fallback, exc)
                self.precision = fallback
        dtype = torch.bfloat16 if self.precision == "bf16" else torch.float32
        module = self._forward_module().to(self.device, dtype)
        return traced(pooled(module, cls=self._pooling == "cls"))

    def _load_int8(self) -> Any:
        """The forward module with int8 Linear layers, traced, once its vectors of a few
        probe sentences are checked against fp32's."""
        import torch

        from indexer.embedders import int8

        module = self._forward_module()
        pieces = [e.ids for e in self.tokenizer.encode_batch(list(int8.PROBES))]
        probe = self._batch_arrays(sorted(pieces, key=len, reverse=True))
        ids, mask = (torch.from_numpy(a) for a in probe)
        cls = self._pooling == "cls"
        with torch.inference_mode():
            expected = pooled(module, cls=cls)(ids, mask)[1]
            model = traced(pooled(int8.quantise(module), cls=cls))
            int8.check(expected, model(ids, mask)[1])
        return model

    def for_queries(self, precision: str = "auto") -> Embedder:
        """The same model for questions, at `precision`: auto is int8 on a CPU with int8
        dot products (AVX-512 VNNI or AMX) for a backend whose models int8 suits
        (`int8_questions`), else this embedder's own precision. The copy loads
        its own weights on first use (one copy per precision), and falls back to this
        embedder's precision if its int8 vectors fail the check against fp32."""
        if precision not in ("auto", "fp32", "bf16", "int8"):
            raise ValueError(f"query precision must be auto, fp32, bf16 or int8, not {precision!r}")
        from indexer.embedders import int8

        fast = self.device == "cpu" and int8.available()
        if precision == "auto":
            precision = "int8" if fast and self.int8_questions else self.precision
        if precision == "int8" and not fast:
            raise ValueError(
                "int8 questions need a CPU with int8 dot products (AVX-512 VNNI or AMX) and "
                "torch's quantised kernels; use query precision fp32 or bf16 here"
            )
        if precision == self.precision:
            return self
        with self._lock:
            views = self.__dict__.setdefault("_query_views", {})
            if precision not in views:
                view = copy.copy(self)
                view.precision, view._model, view._lock = precision, None, threading.Lock()
                view._query_views, view._fallback = {}, self.precision
                views[precision] = view
            return views[precision]

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self._encode(texts, None)[0]

    def embed_with_sentences(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """One forward pass: the passage vector is the model's own pooling of its token
        vectors; each sentence vector the mean of the token vectors inside that sentence."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32), []
        return self._encode(texts, spans)

    def _encode(self, texts, spans):
        """Tokenise once (with character offsets), run length-sorted batches through the
        traced module, pool the sentences."""
        import torch

        module = self.model
        if len(texts) == 1:
            # A lone question (the server's case, with its clauses' spans or not): `encode`
            # keeps the GIL where `encode_batch` hands it over, and every hand-over waits for
            # the server's other Python threads (up to 5 ms each; docs/performance.md).
            encodings = [self.tokenizer.encode(texts[0])]
        else:
            encodings = self.tokenizer.encode_batch(list(texts))
        limit = self.max_tokens
        order = sorted(range(len(texts)), key=lambda i: -min(len(encodings[i].ids), limit))
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        sentence_vectors: list[np.ndarray] = [np.zeros((0, self.dimension))] * len(texts)
        on_cpu = torch.device(self.device).type == "cpu"
        for first in range(0, len(order), self.batch_size):
            batch = order[first : first + self.batch_size]
            ids, mask = (torch.from_numpy(a) for a in self._batch_arrays(
                [encodings[i].ids for i in batch]))  # fmt: skip
            if not on_cpu:
                ids, mask = ids.to(self.device), mask.to(self.device)
            with torch.inference_mode():
                hidden, pooled_vectors = module(ids, mask)
            vectors[batch] = (pooled_vectors if on_cpu else pooled_vectors.cpu()).numpy()
            if spans is not None:
                for row, i in enumerate(batch):
                    sentence_vectors[i] = _span_means(
                        hidden[row], encodings[i].offsets[: int(mask[row].sum())], spans[i]
                    )
        return vectors, sentence_vectors

    def _batch_arrays(self, pieces: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        """Token ids and attention mask of texts sorted longest first, cut to the model's
        limit. Widths are rounded up to a multiple of 8: oneDNN builds kernels per shape, so
        a few repeated shapes beat a new shape for every length."""
        limit = self.max_tokens
        width = min(-(-len(pieces[0]) // 8) * 8, limit)
        ids = np.zeros((len(pieces), width), dtype=np.int64)
        mask = np.zeros((len(pieces), width), dtype=np.int64)
        for row, text_ids in enumerate(pieces):
            piece = text_ids[:limit]
            if len(text_ids) > limit:  # keep the closing [SEP] as the model would
                piece = [*piece[: limit - 1], text_ids[-1]]
            ids[row, : len(piece)] = piece
            mask[row, : len(piece)] = 1
        return ids, mask


def plain_pooling(path: Path) -> str | None:
    """ "mean" or "cls" when the folder holds a Transformer + Pooling (+ Normalize) model,
    read from its modules.json and pooling config; None for anything else."""
    try:
        modules = json.loads((path / "modules.json").read_text())
        kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
        pooling = json.loads((path / modules[1]["path"] / "config.json").read_text())
    except (OSError, ValueError, KeyError, IndexError):
        return None
    if kinds[:2] != ["Transformer", "Pooling"] or any(k != "Normalize" for k in kinds[2:]):
        return None
    if pooling.get("pooling_mode") in ("mean", "cls"):  # as sentence-transformers 6 saves it
        return pooling["pooling_mode"]
    if pooling.get("pooling_mode_mean_tokens"):
        return "mean"
    if pooling.get("pooling_mode_cls_token"):
        return "cls"
    return None


def pooled(module, cls: bool = False):
    """`module` (token ids, mask → hidden states) followed by the model's pooling (the mean
    of the real tokens, or CLS) and unit length: (hidden states in float32, vectors)."""
    import torch

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = module
            self.vocabulary = getattr(module, "vocabulary", 1_000)

        def forward(self, ids, mask):
            hidden = self.transformer(ids, mask).float()
            if cls:
                vectors = hidden[:, 0]
            else:
                weights = mask.to(hidden.dtype)[..., None]
                vectors = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1)
            return hidden, torch.nn.functional.normalize(vectors, dim=-1)

    return Pooled().eval()


def traced(forward):
    """`forward` traced with TorchScript: the Python of every layer is gone from each call,
    which matters most for a lone question, where that overhead is a large share of the
    forward pass; the trace itself costs little at load (docs/performance.md, "Embedding").

    The trace works for any batch shape because it is taken on a padded batch (the mask stays
    an input); a probe of another shape checks it against the eager model, and a model that
    does not trace or match runs eager."""
    import warnings

    import torch

    generator = torch.Generator().manual_seed(0)
    vocabulary = int(getattr(forward, "vocabulary", 1_000))
    device = next(forward.parameters()).device
    example = [t.to(device) for t in _probe(2, 16, vocabulary, generator)]
    probe = [t.to(device) for t in _probe(3, 40, vocabulary, generator)]
    try:
        with torch.inference_mode(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer warnings about shape-dependent Python
            trace = torch.jit.trace(forward, tuple(example), check_trace=False, strict=False)
            expected = forward(*probe)[0]
            for _ in range(2):  # TorchScript optimises the graph on its first runs
                got = trace(*probe)[0]
        mask = probe[1].bool()
        cosine = torch.nn.functional.cosine_similarity(got[mask], expected[mask], dim=-1)
        if float(cosine.min()) < 0.999:
            raise ValueError(f"traced output differs (cosine {float(cosine.min()):.4f})")
    except Exception as exc:  # an architecture the tracer cannot follow: eager
        log.warning("running the model untraced: %s", exc)
        return forward
    return trace


def _probe(rows: int, width: int, vocabulary: int, generator):
    """Token ids and a mask of `rows` texts of different lengths, up to `width` tokens."""
    import torch

    ids = torch.randint(1, vocabulary, (rows, width), generator=generator)
    mask = torch.zeros_like(ids)
    for row in range(rows):
        mask[row, : width - row * width // (rows + 1)] = 1
    return ids * mask, mask


def _span_means(hidden, offsets, spans) -> np.ndarray:
    """Mean token vector of each character span (tokens overlapping it), unit length."""
    import torch

    if not spans:
        return np.zeros((0, hidden.shape[1]), dtype=np.float32)
    starts = torch.tensor([s for s, _ in offsets], dtype=torch.int64)
    ends = torch.tensor([e for _, e in offsets], dtype=torch.int64)
    real = ends > starts  # special tokens have empty offsets
    span_starts = torch.tensor([s for s, _ in spans], dtype=torch.int64)[:, None]
    span_ends = torch.tensor([e for _, e in spans], dtype=torch.int64)[:, None]
    weights = ((ends[None, :] > span_starts) & (starts[None, :] < span_ends) & real).float()
    weights = weights.to(hidden.device)  # a GPU actor's hidden states stay on the GPU
    counts = weights.sum(1, keepdim=True)
    means = (weights @ hidden[: len(offsets)]) / counts.clamp(min=1)
    return normalise_rows(means.cpu().numpy())
