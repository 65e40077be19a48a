"""Server state that every worker process shares, kept in a folder beside the index
(`CONFSEARCH_STATE_DIR`, default `INDEX_DIR.state`): the per-client token buckets of the rate
limits, the admin tasks, and the lock that lets one build run at a time.

The buckets and tasks are rows of one SQLite file in WAL mode: each take is one short
`BEGIN IMMEDIATE` transaction (tens of microseconds on a local disk; measured in
docs/performance.md), atomic across processes with nothing to run beside the server. A
well-kept rate-limit library was the first choice: `limits` keeps shared counters only in
Redis, Memcached, MongoDB or etcd, a service more to run for a few hundred requests a second,
and offers fixed or moving windows, no token bucket with an exact Retry-After; SQLite comes
with Python. The build lock is an `fcntl` lock on a file, released by the kernel if its
holder dies.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS buckets (
    family TEXT NOT NULL, client TEXT NOT NULL, tokens REAL NOT NULL, seen REAL NOT NULL,
    PRIMARY KEY (family, client)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tasks (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, status TEXT NOT NULL, created TEXT NOT NULL,
    started TEXT, finished TEXT, report TEXT, error TEXT, document TEXT, owner INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS tasks_created ON tasks(created);
"""


class StateStore:
    """The shared SQLite file; one connection per thread (SQLite connections are not to be
    shared between threads), each in autocommit mode with explicit transactions."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.path = self.folder / "state.sqlite"
        self._local = threading.local()
        # Workers forked together open the file at once: SQLite answers "database is locked"
        # without waiting to one of two connections that both upgrade a read to a write (the
        # schema) or switch the journal mode, so the first set-up is serialised by a file lock.
        # WAL mode is kept in the file; later connections only set their own options.
        with self._locked("init.lock"):
            db = self.connection()
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)  # idempotent; runs its own transaction

    def connection(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, isolation_level=None, timeout=5.0)
            db.execute("PRAGMA synchronous=NORMAL")  # a lost bucket after a crash is harmless
            self._local.db = db
        return db

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        db = self.connection()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def build_lock(self) -> contextlib.AbstractContextManager[None]:
        """Held while a build runs: other processes' builds wait for it."""
        return self._locked("build.lock")

    @contextlib.contextmanager
    def _locked(self, name: str) -> Iterator[None]:
        with (self.folder / name).open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def open_store(folder: Path) -> StateStore | None:
    """The shared state, or None (with a warning) where the folder cannot be written: then
    each process keeps its own limits and tasks, as a single process does."""
    try:
        return StateStore(folder)
    except (OSError, sqlite3.Error) as exc:
        log.warning("shared server state unavailable in %s (%s): limits and tasks are "
                    "per process", folder, exc)  # fmt: skip
        return None


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def now() -> float:
    """Wall time: shared by processes and kept across restarts (monotonic time is not)."""
    return time.time()
