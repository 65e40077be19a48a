"""Background tasks of the admin API: one worker thread runs them one at a time, in order.

Index builds must not overlap (each would write its own generation from the same previous
one), so every task that changes the corpus queues a build here. A task is `queued`, then
`running`, then `done` (with its result) or `failed` (with a message, never a traceback;
the server log has the details). The last `keep` tasks are remembered in memory, and, with
the shared state (search_api/state.py), written beside the index, so that a task started
through one worker process is seen with its status and report through every other. A
restart never loses the files, which are in the corpus before a task is queued, so the next
build indexes them; tasks left queued or running by a process that died are marked failed.
"""

from __future__ import annotations

import json
import logging
import os
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
from search_api.state import StateStore, process_alive

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
    def __init__(self, keep: int = 1000, store: StateStore | None = None) -> None:
        self.keep = keep
        self.store = store
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
            self._save(task)
            self._queue.put((task, work))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="admin-tasks", daemon=True)
                self._thread.start()
            return task.to_dict()

    @property
    def closed(self) -> bool:
        return self._closed

    def get(self, task_id: str) -> dict | None:
        """The task, whichever worker process runs it."""
        with self._lock:
            task = self._tasks.get(task_id)
            if task is not None:
                return task.to_dict()
        return _load(self.store, task_id) if self.store is not None else None

    def _save(self, task: Task) -> None:
        if self.store is None:
            return
        row = task.to_dict()
        with self.store.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO tasks (id, kind, status, created, started, finished, "
                "report, error, document, owner) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (task.id, task.kind, task.status, task.created, task.started, task.finished,
                 json.dumps(row["report"]), task.error, json.dumps(task.document),
                 os.getpid()),
            )  # fmt: skip

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
                    self._save(task)
                    continue
                task.status, task.started = "running", _now()
            self._save(task)
            try:
                report, error = work(), None
            except Exception as exc:  # the task fails, the worker lives on
                log.warning("admin task %s (%s) failed", task.id, task.kind, exc_info=True)
                report, error = getattr(exc, "report", None), describe(exc)
            with self._lock:
                task.report, task.error, task.finished = report, error, _now()
                task.status = "failed" if error is not None else "done"
            self._save(task)


def _load(store: StateStore, task_id: str) -> dict | None:
    row = (
        store.connection()
        .execute(
            "SELECT id, kind, status, created, started, finished, report, error, document "
            "FROM tasks WHERE id = ?",
            (task_id,),
        )
        .fetchone()
    )
    if row is None:
        return None
    names = ("id", "kind", "status", "created", "started", "finished", "report", "error")
    out = {**dict(zip(names, row[:8], strict=True)), "report": json.loads(row[6] or "null")}
    document = json.loads(row[8] or "null")
    if document is not None:
        out["document"] = document
    return out


def fail_orphans(store: StateStore) -> int:
    """Mark failed the tasks a dead process left queued or running; how many."""
    with store.transaction() as db:
        rows = db.execute(
            "SELECT id, owner FROM tasks WHERE status IN ('queued', 'running')"
        ).fetchall()
        dead = [task_id for task_id, owner in rows if not process_alive(owner)]
        db.executemany(
            "UPDATE tasks SET status = 'failed', error = ?, finished = ? WHERE id = ?",
            [(STOPPED, _now(), task_id) for task_id in dead],
        )
    return len(dead)


def describe(exc: BaseException) -> str:
    """A one-line message for a failed task."""
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if isinstance(exc, OSError | ValueError | LookupError | IndexError_) or hasattr(exc, "report"):
        return message or type(exc).__name__
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__
