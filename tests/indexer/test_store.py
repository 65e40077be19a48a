"""A served generation: concurrent queries, pruned files, closing, its format and its
sentence vectors."""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
from pathlib import Path

import numpy as np
import pytest

from indexer import store
from indexer.checksums import sha256_file
from indexer.store import Generation, IndexError_, current_generation

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


def rewrite_manifest(folder: Path, **changes) -> None:
    manifest = json.loads((folder / "manifest.json").read_text())
    (folder / "manifest.json").write_text(json.dumps({**manifest, **changes}))


def test_a_generation_of_an_older_format_is_refused_with_what_to_do(built_index: Path):
    folder = current_generation(built_index)
    rewrite_manifest(folder, format_version=store.FORMAT_VERSION - 1)
    with pytest.raises(IndexError_, match="rebuild it with `confsearch index`"):
        Generation.open(folder)


def test_sentence_arrays_that_disagree_with_the_passages_are_refused(built_index: Path):
    folder = current_generation(built_index)
    offsets = np.load(folder / "sentence_offsets.npy")
    np.save(folder / "sentence_offsets.npy", offsets[:-1])  # one passage short
    manifest = json.loads((folder / "manifest.json").read_text())
    files = {
        **manifest["files"],
        "sentence_offsets.npy": sha256_file(folder / "sentence_offsets.npy"),
    }
    rewrite_manifest(folder, files=files)  # intact by its checksum, wrong by its shape
    with pytest.raises(IndexError_, match=r"sentence_offsets\.npy is int64"):
        Generation.open(folder)


def test_sentence_vectors_are_views_of_each_passage_rows(built_index: Path):
    generation = Generation.open_current(built_index)
    offsets = np.asarray(generation.sentence_offsets)
    ids = [5, 0, 5, len(offsets) - 2]  # any order, repeats, the last passage
    for passage, vectors in zip(ids, generation.sentence_vectors(ids), strict=True):
        assert np.array_equal(
            vectors, generation.sentences[offsets[passage] : offsets[passage + 1]]
        )
    gathered, counts = generation.gather_sentences(np.array(ids))
    assert counts.tolist() == [int(offsets[i + 1] - offsets[i]) for i in ids]
    assert np.array_equal(gathered, np.concatenate(generation.sentence_vectors(ids)))
    empty, none = generation.gather_sentences(np.zeros(0, dtype=np.int64))
    assert empty.shape == (0, generation.sentences.shape[1]) and len(none) == 0
    generation.close()
