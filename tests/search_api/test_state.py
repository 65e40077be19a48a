"""What worker processes share (search_api/state.py): token buckets, tasks, the build lock."""

from __future__ import annotations

import itertools
import multiprocessing
import subprocess
import sys
import threading
import time
from pathlib import Path

from search_api.ratelimit import SharedTokenBuckets
from search_api.state import StateStore, open_store
from search_api.tasks import STOPPED, Tasks, fail_orphans


def test_two_stores_on_one_folder_share_one_bucket(tmp_path: Path):
    first = SharedTokenBuckets(StateStore(tmp_path), "search", 3, 60.0)
    second = SharedTokenBuckets(StateStore(tmp_path), "search", 3, 60.0)

    waits = [first.take("10.0.0.1"), second.take("10.0.0.1"), first.take("10.0.0.1")]
    assert waits == [0.0, 0.0, 0.0]
    assert second.take("10.0.0.1") > 0  # the fourth of three, through either
    assert second.peek("10.0.0.1") > 0 and first.peek("10.0.0.2") == 0.0
    assert SharedTokenBuckets(StateStore(tmp_path), "admin-key", 3, 60.0).take("10.0.0.1") == 0


def _open_at(folder: Path, moment: float) -> str:
    while time.time() < moment:  # every process opens the new file at the same instant
        pass
    try:
        StateStore(folder)
    except Exception as exc:  # reported whole: the assertion shows it
        return repr(exc)
    return "ok"


def test_workers_that_open_a_new_store_at_once_all_get_it(tmp_path: Path):
    # Before the set-up was serialised, about one round in four had a worker fall back to
    # limits of its own ("database is locked"): the server's rate limit then doubled.
    with multiprocessing.get_context("fork").Pool(6) as pool:
        for round_ in range(20):
            moment = time.time() + 0.05
            folder = tmp_path / str(round_)
            assert pool.starmap(_open_at, [(folder, moment)] * 6) == ["ok"] * 6


def test_a_task_is_seen_through_another_process_store(tmp_path: Path):
    tasks = Tasks(store=StateStore(tmp_path))
    done = threading.Event()
    task = tasks.submit("reindex", lambda: done.wait(5) and {"published": False})
    other = Tasks(store=StateStore(tmp_path))

    assert other.get(task["id"])["status"] in ("queued", "running")
    done.set()
    deadline = time.monotonic() + 5
    while other.get(task["id"])["status"] != "done" and time.monotonic() < deadline:
        time.sleep(0.02)
    assert other.get(task["id"])["report"] == {"published": False}
    tasks.close()


def test_tasks_a_dead_process_left_are_marked_failed(tmp_path: Path):
    store = StateStore(tmp_path)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with store.transaction() as db:
        db.execute("INSERT INTO tasks (id, kind, status, created, owner) "
                   "VALUES ('t1', 'reindex', 'running', 'now', ?)", (dead.pid,))  # fmt: skip

    assert fail_orphans(store) == 1
    found = Tasks(store=store).get("t1")
    assert found["status"] == "failed" and found["error"] == STOPPED


def test_one_build_lock_holder_at_a_time(tmp_path: Path):
    store, intervals = StateStore(tmp_path), []

    def hold() -> None:
        with StateStore(tmp_path).build_lock():
            start = time.monotonic()
            time.sleep(0.2)
            intervals.append((start, time.monotonic()))

    threads = [threading.Thread(target=hold) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    intervals.sort()
    assert store is not None and len(intervals) == 3
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(intervals))


def test_an_unwritable_folder_means_no_shared_state(tmp_path: Path):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")

    assert open_store(blocked / "state") is None
