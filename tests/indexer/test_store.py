"""A served generation: concurrent queries, pruned files, closing."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from pathlib import Path

import pytest

from indexer.store import Generation

COUNT = "SELECT count(*) FROM passages"


def test_generation_runs_queries_of_several_threads_at_once(built_index: Path):
    generation = Generation.open_current(built_index)
    # Each thread holds a connection until both do: with one connection behind a lock the
    # second thread would wait for the first and the barrier would break.
    together = threading.Barrier(2, timeout=10)
    counts: list[int] = []

    def hold_a_connection_and_query() -> None:
        with generation._connection() as db:
            together.wait()
            counts.append(db.execute(COUNT).fetchone()[0])

    threads = [threading.Thread(target=hold_a_connection_and_query) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not together.broken
    assert len(counts) == 2 and counts[0] == counts[1] > 0


def test_generation_keeps_answering_after_its_folder_is_pruned(built_index: Path):
    generation = Generation.open_current(built_index)
    expected = generation.query_one(COUNT)[0]
    shutil.rmtree(generation.path)  # a later build pruned it while it is served
    answers: list[int] = []
    threads = [
        threading.Thread(target=lambda: answers.append(generation.query_one(COUNT)[0]))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [expected] * 8


def test_closed_generation_refuses_queries_instead_of_waiting(built_index: Path):
    generation = Generation.open_current(built_index)
    generation.close()
    with pytest.raises(sqlite3.ProgrammingError):
        generation.query(COUNT)
