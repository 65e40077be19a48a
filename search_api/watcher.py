"""Hot reload: the published index generation, switched to a newer one when the indexer
publishes it, without a restart and without a failed request."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from indexer.store import Generation, IndexError_, current_generation

log = logging.getLogger(__name__)


class GenerationWatcher:
    """Looks for a newly published generation at most every `check_seconds` and serves it
    once it opens and was built with the server's model; a generation that fails is logged
    and not retried, and the one served stays."""

    def __init__(
        self, index_dir: Path, model: str, dimension: int, check_seconds: float = 1.0
    ) -> None:
        self.index_dir = Path(index_dir)
        self.model = model
        self.dimension = dimension
        self.check_seconds = check_seconds
        self._lock = threading.Lock()
        self._checked = 0.0
        self._rejected: Path | None = None
        self._generation = Generation.open_current(self.index_dir)
        self._check_model(self._generation)

    def current(self) -> Generation:
        """The generation to answer from (a newer one if it was published)."""
        now = time.monotonic()
        if now - self._checked >= self.check_seconds:
            self._checked = now
            latest = current_generation(self.index_dir)
            if latest is not None and latest not in (self._generation.path, self._rejected):
                with self._lock:
                    if latest != self._generation.path:
                        self._switch(latest)
        return self._generation

    def refresh(self) -> str:
        """Look for a newly published generation now; the name of the one served."""
        self._checked = float("-inf")
        return self.current().name

    def close(self) -> None:
        self._generation.close()

    def _check_model(self, generation: Generation) -> None:
        built_with = generation.manifest.get("model")
        dimension = generation.manifest["dimension"]
        if built_with != self.model or dimension != self.dimension:
            raise IndexError_(
                f"the index was built with model {built_with!r} but the server uses "
                f"{self.model!r}: rebuild the index or set CONFSEARCH_MODEL={built_with}"
            )

    def _switch(self, path: Path) -> None:
        try:
            fresh = Generation.open(path)
            self._check_model(fresh)
        except Exception as exc:  # keep serving the generation we have
            log.error("new index generation %s not opened, still serving %s: %s",
                      path.name, self._generation.name, exc)  # fmt: skip
            self._rejected = path  # not retried (and re-hashed) every second
            return
        log.info("switched to index generation %s", fresh.name)
        self._generation = fresh  # the old one is closed by the garbage collector
