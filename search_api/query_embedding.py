"""Query vectors for the service: one model thread, coalesced batches, an LRU cache.

Every torch call runs on one dedicated thread. Calling torch from the server's many request
threads gives each its own OpenMP pool, and on 2 cores those pools spin against each other (a
lone query took twice as long; docs/performance.md). Questions that arrive while the model is
busy are embedded together in the next batch, and a repeated question (a widget user refining a
query, many users asking the same) is answered from the cache without the model. A long
question's clauses get their vectors pooled from the question's own forward pass (the mean of
their tokens' vectors, as indexing pools sentences) or, in the costlier mode, embedded alone
in the question's batch (search_api/clauses.py).
"""

from __future__ import annotations

import queue
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future

import numpy as np

from indexer.embedding import Embedder

# What the model thread is asked: a text alone (spans None), or a text and the spans of it
# whose vectors are pooled from its forward pass.
_Key = tuple[str, tuple[tuple[int, int], ...] | None]


class QueryEmbedder:
    def __init__(self, embedder: Embedder, max_batch: int = 32, cache_size: int = 4096) -> None:
        self.embedder = embedder
        self.max_batch = max_batch
        self.cache_size = cache_size
        self._cache: OrderedDict[_Key, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue[list[tuple[_Key, Future]] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self.batches = 0  # how many model calls served the queries so far

    def embed(self, text: str) -> np.ndarray:
        return self.submit(text).result()

    def submit(self, text: str) -> Future:
        """The question's vector, as a future: the caller can do other work (the keyword
        leg) while the model thread embeds it."""
        return self._submit([(text, None)])[0]

    def submit_all(self, texts: list[str]) -> list[Future]:
        """Each text's vector, as futures: embedded in one batch (a question and its
        clauses), those already cached excepted."""
        return self._submit([(text, None) for text in texts])

    def submit_pooled(self, text: str, spans: list[tuple[int, int]]) -> Future:
        """One forward pass of `text`: a future of its vector (row 0) and, below it, the unit
        vector of each (start, end) character span, pooled from the same pass."""
        return self._submit([(text, tuple(spans))])[0]

    def _submit(self, keys: list[_Key]) -> list[Future]:
        futures: list[Future] = []
        todo: list[tuple[_Key, Future]] = []
        with self._lock:
            for key in keys:
                future: Future = Future()
                futures.append(future)
                vector = self._cache.get(key)
                if vector is not None:
                    self._cache.move_to_end(key)
                    future.model_seconds = 0.0
                    future.set_result(vector)
                else:
                    todo.append((key, future))
            if todo and self._thread is None:
                self._thread = threading.Thread(target=self._run, name="query-model", daemon=True)
                self._thread.start()
        for key, future in todo:
            future.add_done_callback(lambda done, key=key: self._remember(key, done))
        if todo:
            self._queue.put(todo)  # one item: the model thread takes them together
        return futures

    def _remember(self, key: _Key, done: Future) -> None:
        if done.exception() is not None:
            return
        with self._lock:
            self._cache[key] = done.result()
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            batch = list(item)
            while len(batch) < self.max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._queue.put(None)  # finish this batch, then stop
                    break
                batch.extend(more)
            keys = list(dict.fromkeys(key for key, _ in batch))
            started = time.perf_counter()
            try:
                results = self._embed(keys)
            except Exception as exc:  # the caller's request fails, the thread lives on
                for _, future in batch:
                    future.set_exception(exc)
                continue
            self.batches += 1
            seconds = time.perf_counter() - started
            for key, future in batch:
                future.model_seconds = seconds  # the forward pass, for Server-Timing
                future.set_result(results[key])

    def _embed(self, keys: list[_Key]) -> dict[_Key, np.ndarray]:
        """One model call for the batch; spans pooled only when some text asks for them (a
        lone question's plain path is the fastest)."""
        texts = [text for text, _ in keys]
        if all(spans is None for _, spans in keys):
            vectors = self.embedder.embed_batch(texts)
            pairs = zip(keys, vectors, strict=True)
            return {key: np.asarray(v, dtype=np.float32) for key, v in pairs}
        vectors, pooled = self.embedder.embed_with_sentences(
            texts, [list(spans or ()) for _, spans in keys]
        )
        results = {}
        for key, vector, rows in zip(keys, vectors, pooled, strict=True):
            if key[1] is None:
                results[key] = np.asarray(vector, dtype=np.float32)
            else:
                rows = np.asarray(rows, dtype=np.float32).reshape(-1, len(vector))
                rows /= np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
                results[key] = np.vstack([vector, rows]).astype(np.float32)
        return results
