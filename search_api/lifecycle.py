"""Opening the searcher: at start-up, and later if the index did not exist yet.

A server started before the first `confsearch index` answers 503 until an index is
published, then serves it without a restart.
"""

from __future__ import annotations

import logging
import threading
import time

from fastapi import FastAPI
from threadpoolctl import threadpool_limits

from indexer.embedding import Embedder, load_embedder
from indexer.store import IndexError_
from search_api.search import Searcher
from search_api.settings import Settings

log = logging.getLogger(__name__)
_lock = threading.Lock()


def make_embedder(settings: Settings, threads: int | None = None) -> Embedder:
    """`threads`: torch threads once the model loads (default: OMP_NUM_THREADS or every core)."""
    return load_embedder(**settings.embedder_options, threads=threads)


def make_searcher(settings: Settings, embedder: Embedder) -> Searcher:
    """A searcher over the settings' index with their limits (the app's and the CLI's).

    OpenBLAS (under numpy and FAISS) gets as many threads as the model: one question's
    products are too small to share out, and idle pool threads spin for the cores the model
    thread and the other workers need (FAISS's OpenMP threads: search_api/dense.py).
    Questions are embedded at the settings' query precision (int8 where it is fast), passages
    by `embedder` as it is."""
    threadpool_limits(limits=settings.query_threads, user_api="blas")
    return Searcher(
        settings.index_dir,
        embedder.for_queries(settings.query_precision),
        reload_check_seconds=settings.reload_check_seconds,
        limits=settings.query_limits,
        clause_matching=settings.clause_matching,
    )


def open_searcher(app: FastAPI) -> Searcher | None:
    """The app's searcher, opened now if possible; None (with `app.state.unavailable` saying
    why) when there is no usable index. Retries at most once per reload interval."""
    state = app.state
    settings: Settings = state.settings
    with _lock:
        if state.searcher is not None:
            return state.searcher
        now = time.monotonic()
        if now - state.last_attempt < settings.reload_check_seconds:
            return None
        state.last_attempt = now
        try:
            if state.embedder is None:
                state.embedder = make_embedder(settings, threads=settings.query_threads)
            searcher = make_searcher(settings, state.embedder)
            searcher.warm_up()
        except (IndexError_, ValueError) as exc:
            if state.unavailable != str(exc):
                log.error("search unavailable: %s", exc)
            state.unavailable = str(exc)
            return None
        state.searcher = searcher
        state.unavailable = None
        return searcher
