"""Nothing lost: checksums before FAISS reads a file, fallback to the previous generation,
and an indexer killed at any moment never leaves the served index broken."""

from __future__ import annotations

import logging
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from indexer.build import build
from indexer.embedders.fake import FakeEmbedder
from indexer.store import FILES, POINTER, Generation, IndexError_, current_generation
from search_api.query import Query
from search_api.search import Searcher
from tests.conftest import REPO, copy_corpus


def two_generations(tmp_path: Path, corpus_dir: Path) -> tuple[Path, str, str]:
    index_dir = tmp_path / "index"
    build(corpus_dir, index_dir, FakeEmbedder())
    first = current_generation(index_dir).name
    (corpus_dir / "oco" / "extra.md").write_text("# Extra\n\nA new paper on tariffs.\n")
    build(corpus_dir, index_dir, FakeEmbedder())
    second = current_generation(index_dir).name
    assert first != second
    return index_dir, first, second


def flip_a_byte(path: Path, at: int = 200) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", ["truncate", "flip"])
@pytest.mark.parametrize("name", FILES)
def test_a_damaged_file_is_caught_and_the_previous_generation_served(
    tmp_path: Path, corpus_dir: Path, caplog: pytest.LogCaptureFixture, damage: str, name: str
):
    index_dir, first, second = two_generations(tmp_path, corpus_dir)
    target = index_dir / second / name
    if damage == "truncate":
        target.write_bytes(target.read_bytes()[: target.stat().st_size // 2])
    else:
        flip_a_byte(target)
    with caplog.at_level(logging.ERROR):
        generation = Generation.open_current(index_dir)
    assert generation.name == first
    assert any("corrupt" in r.message and first in r.message for r in caplog.records)
    generation.close()


def test_with_no_intact_generation_the_error_says_what_is_wrong(tmp_path: Path, corpus_dir):
    index_dir = tmp_path / "index"
    build(corpus_dir, index_dir, FakeEmbedder())
    flip_a_byte(current_generation(index_dir) / "vectors.faiss")
    with pytest.raises(IndexError_, match=r"vectors\.faiss is corrupt"):
        Generation.open_current(index_dir)


@pytest.mark.parametrize(
    ("name", "at"), [("passages.sqlite", 4096), ("sentence_vectors.npy", 4096)]
)
def test_running_searcher_keeps_serving_when_a_corrupt_generation_is_published(
    tmp_path: Path, corpus_dir: Path, name: str, at: int
):
    index_dir = tmp_path / "index"
    build(corpus_dir, index_dir, FakeEmbedder())
    searcher = Searcher(index_dir, FakeEmbedder(), reload_check_seconds=0)
    served = searcher.generation.name
    (corpus_dir / "oco" / "extra.md").write_text("# Extra\n\nA new paper on tariffs.\n")
    build(corpus_dir, index_dir, FakeEmbedder())
    flip_a_byte(current_generation(index_dir) / name, at=at)
    hits = searcher.search(Query("climate change", k=3)).hits
    assert hits and all(h.highlight_end > h.highlight_start for h in hits)
    assert searcher.generation.name == served
    searcher.close()


CRASHING_BUILD = """
import sys
from pathlib import Path
from indexer.build import build
from indexer.embedders.fake import FakeEmbedder
build(Path(sys.argv[1]), Path(sys.argv[2]), FakeEmbedder(), force=True, batch_passages=64)
"""


KILLS = 12  # kill points, spread over the build's reading, embedding and publishing


def test_indexer_killed_at_random_points_never_breaks_the_served_index(tmp_path: Path):
    speeches = sorted(p.name for p in (REPO / "corpus" / "ungdc-pacific").glob("*_7*_20*.txt"))
    corpus = copy_corpus(tmp_path / "corpus", speeches[:60])
    index_dir = tmp_path / "index"
    build(corpus, index_dir, FakeEmbedder())
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    rng = random.Random(20261128)
    survived = 0
    for attempt in range(KILLS):
        process = subprocess.Popen(
            [sys.executable, "-c", CRASHING_BUILD, str(corpus), str(index_dir)], env=env
        )
        time.sleep(rng.uniform(0.2, 2.5))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        # Whatever moment the kill hit, the published generation is whole and answers.
        assert (index_dir / POINTER).read_text().strip().startswith("gen-"), attempt
        searcher = Searcher(index_dir, FakeEmbedder())
        assert searcher.search(Query("climate change", k=5)).hits, attempt
        searcher.close()
        survived += 1
    report = build(corpus, index_dir, FakeEmbedder(), force=True)
    assert report.published and not report.skipped
    assert survived == KILLS
