"""Query vectors for the service: one model thread, coalesced batches, an LRU cache.

Every torch call runs on one dedicated thread. Calling torch from the server's many request
threads gives each its own OpenMP pool, and on 2 cores those pools spin against each other (a
lone query took twice as long; docs/performance.md). Questions that arrive while the model is
busy are embedded together in the next batch, and a repeated question (a widget user refining a
query, many users asking the same) is answered from the cache without the model.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future

import numpy as np

from indexer.embedding import Embedder


class QueryEmbedder:
    def __init__(self, embedder: Embedder, max_batch: int = 32, cache_size: int = 4096) -> None:
        self.embedder = embedder
        self.max_batch = max_batch
        self.cache_size = cache_size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue[list[tuple[str, Future]] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self.batches = 0  # how many model calls served the queries so far

    def embed(self, text: str) -> np.ndarray:
        return self.submit(text).result()

    def submit(self, text: str) -> Future:
        """The question's vector, as a future: the caller can do other work (the keyword
        leg) while the model thread embeds it."""
        return self.submit_all([text])[0]

    def submit_all(self, texts: list[str]) -> list[Future]:
        """Each text's vector, as futures: embedded in one batch (a question and its
        clauses), those already cached excepted."""
        futures: list[Future] = []
        todo: list[tuple[str, Future]] = []
        with self._lock:
            for text in texts:
                future: Future = Future()
                futures.append(future)
                vector = self._cache.get(text)
                if vector is not None:
                    self._cache.move_to_end(text)
                    future.model_seconds = 0.0
                    future.set_result(vector)
                else:
                    todo.append((text, future))
            if todo and self._thread is None:
                self._thread = threading.Thread(target=self._run, name="query-model", daemon=True)
                self._thread.start()
        for text, future in todo:
            future.add_done_callback(lambda done, text=text: self._remember(text, done))
        if todo:
            self._queue.put(todo)  # one item: the model thread takes them together
        return futures

    def _remember(self, text: str, done: Future) -> None:
        if done.exception() is not None:
            return
        with self._lock:
            self._cache[text] = done.result()
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
            texts = list(dict.fromkeys(text for text, _ in batch))
            started = time.perf_counter()
            try:
                vectors = self.embedder.embed_batch(texts)
            except Exception as exc:  # the caller's request fails, the thread lives on
                for _, future in batch:
                    future.set_exception(exc)
                continue
            self.batches += 1
            seconds = time.perf_counter() - started
            by_text = dict(zip(texts, vectors, strict=True))
            for text, future in batch:
                future.model_seconds = seconds  # the forward pass, for Server-Timing
                future.set_result(np.asarray(by_text[text], dtype=np.float32))
