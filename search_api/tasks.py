"""Background tasks of the admin API: one worker thread runs them one at a time, in order.

Index builds must not overlap (each would write its own generation from the same previous
one), so every task that changes the corpus queues a build here. A task is `queued`, then
`running`, then `done` (with its result) or `failed` (with a message, never a traceback;
the server log has the details). The last `keep` tasks are remembered, in memory: a
restart forgets them, but never the files, which are in the corpus before a task is queued,
so the next build indexes them.
"""

from __future__ import annotations

import logging
import queue
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from indexer.store import IndexError_
from search_api.errors import ServiceUnavailable

log = logging.getLogger(__name__)

STOPPED = (
    "the server stopped before this task ran; the corpus already holds the change, so the "
    "next index run (POST /admin/reindex or `confsearch index`) includes it"
)


def _now() -> str:
    stamp = datetime.now(UTC).isoformat(timespec="milliseconds")
    return stamp.replace("+00:00", "Z")


@dataclass
class Task:
    kind: str
    document: dict | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    status: str = "queued"  # queued | running | done | failed
    created: str = field(default_factory=_now)
    started: str | None = None
    finished: str | None = None
    report: dict | None = None
    error: str | None = None

    def to_dict(self) -> dict:
        out: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "status": self.status,
            "created": self.created,
            "started": self.started,
            "finished": self.finished,
            "report": self.report,
            "error": self.error,
        }
        if self.document is not None:
            out["document"] = self.document
        return out


class Tasks:
    def __init__(self, keep: int = 1000) -> None:
        self.keep = keep
        self._tasks: OrderedDict[str, Task] = OrderedDict()
        self._queue: queue.SimpleQueue[tuple[Task, Callable[[], dict]] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False

    def submit(self, kind: str, work: Callable[[], dict], document: dict | None = None) -> dict:
        """Queue `work` (which returns the task's report); the task as a dict."""
        task = Task(kind, document)
        with self._lock:
            if self._closed:
                raise ServiceUnavailable("the server is shutting down; try again once it is up")
            self._tasks[task.id] = task
            while len(self._tasks) > self.keep:  # forget the oldest finished ones
                oldest = next(
                    (t for t in self._tasks.values() if t.status in ("done", "failed")), None
                )
                if oldest is None:
                    break
                del self._tasks[oldest.id]
            self._queue.put((task, work))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="admin-tasks", daemon=True)
                self._thread.start()
            return task.to_dict()

    @property
    def closed(self) -> bool:
        return self._closed

    def get(self, task_id: str) -> dict | None:
        with self._lock:
            task = self._tasks.get(task_id)
            return None if task is None else task.to_dict()

    def close(self, timeout: float = 30.0) -> None:
        """Stop taking tasks; queued ones are marked failed, a running one may finish within
        `timeout` (a build cut short publishes nothing: the served index is untouched)."""
        with self._lock:
            self._closed = True
            thread = self._thread
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            task, work = item
            with self._lock:
                if self._closed:
                    task.status, task.error, task.finished = "failed", STOPPED, _now()
                    continue
                task.status, task.started = "running", _now()
            try:
                report, error = work(), None
            except Exception as exc:  # the task fails, the worker lives on
                log.warning("admin task %s (%s) failed", task.id, task.kind, exc_info=True)
                report, error = getattr(exc, "report", None), describe(exc)
            with self._lock:
                task.report, task.error, task.finished = report, error, _now()
                task.status = "failed" if error is not None else "done"


def describe(exc: BaseException) -> str:
    """A one-line message for a failed task."""
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if isinstance(exc, OSError | ValueError | LookupError | IndexError_) or hasattr(exc, "report"):
        return message or type(exc).__name__
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__
