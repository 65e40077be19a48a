"""The build service: Settings turned into one build of the corpus (engine, Ray address,
chunking, reading limits), for `confsearch index` and the admin API alike."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from indexer.build import BuildReport, Engine, build
from indexer.chunking import ChunkingOptions
from indexer.embedding import Embedder
from search_api.metrics import timed_build
from search_api.settings import Settings
from search_api.state import open_store


def make_engine(settings: Settings) -> Engine | None:
    """Who reads and embeds the changed documents: None for this process, or a Ray engine
    (a RuntimeError says why Ray cannot be used)."""
    if settings.engine != "ray":
        return None
    from functools import partial

    from indexer.embedding import load_embedder
    from indexer.ray_engine import RayEngine

    # Each actor loads the model itself (on a GPU when Ray gives it one).
    return RayEngine(
        partial(load_embedder, **settings.embedder_options),
        address=settings.ray_address,
        embed_cpus=settings.ray_embed_cpus,
    )


@timed_build  # confsearch_build_seconds, confsearch_builds_total{outcome}
def run_build(
    settings: Settings,
    embedder: Embedder,
    force: bool = False,
    progress: Callable[[int, int, int], None] | None = None,
) -> BuildReport:
    """Index `settings.corpus_dir` into `settings.index_dir` (only what changed, unless
    `force`). One build at a time per index: the CLI and every server process wait for the
    shared build lock (search_api/state.py)."""
    store = open_store(settings.state_path)
    with store.build_lock() if store is not None else contextlib.nullcontext():
        return _build(settings, embedder, force, progress)


def _build(settings: Settings, embedder: Embedder, force: bool, progress) -> BuildReport:
    return build(
        settings.corpus_dir,
        settings.index_dir,
        embedder,
        ChunkingOptions(max_tokens=embedder.max_tokens),
        max_file_bytes=settings.max_file_bytes,
        progress=progress,
        force=force,
        index_type=settings.index_type,
        read_timeout_s=settings.read_timeout_s,
        read_memory_mb=settings.read_memory_mb,
        engine=make_engine(settings),
    )
