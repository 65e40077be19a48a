"""Serving replicas: API processes are stateless over a published generation.

Two `confsearch serve` processes on two loopback ports share one index folder; a build
publishes a new generation while clients search both; each replica switches to it by itself,
and not one request fails. A replica also serves an index folder it may not write to, and
leaves no file behind in it.
"""

from __future__ import annotations

import contextlib
import os
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from indexer.build import build
from indexer.embedders.fake import FakeEmbedder
from tests.conftest import REPO, copy_corpus
from tests.helpers import free_ports

RELOAD_CHECK_SECONDS = 0.2
QUESTIONS = ["climate change", "fisheries", "sea level", "ocean governance"]
NEW_SOURCE = "oco/breadfruit-session.md"
NEW_DOCUMENT = (
    "# Session paper\n\nThe breadfruit orchards of the atolls were surveyed after the drought.\n"
)


def server_env(index_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "CONFSEARCH_INDEX_DIR": str(index_dir),
        "CONFSEARCH_MODEL": "fake",
        "CONFSEARCH_RELOAD_CHECK_SECONDS": str(RELOAD_CHECK_SECONDS),
        "CONFSEARCH_RATE_LIMIT": "0",
        "CONFSEARCH_WORKERS": "1",  # a replica of one process (tests/deploy/test_workers.py: more)
    }


@contextlib.contextmanager
def replicas(index_dir: Path, count: int, log_dir: Path) -> Iterator[list[str]]:
    """`count` servers over `index_dir`, each on its own port; yields their base URLs. The
    servers are always stopped; on a failure their logs are printed (pytest shows them)."""
    servers: list[tuple[subprocess.Popen, Path]] = []
    try:
        for port in free_ports(count):
            log = log_dir / f"replica-{port}.log"
            with log.open("wb") as out:  # the child keeps its own descriptor
                process = subprocess.Popen(
                    [sys.executable, "-m", "search_api.cli", "serve", "--port", str(port)],
                    env=server_env(index_dir),
                    cwd=log_dir,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            servers.append((process, log))
        bases = [f"http://127.0.0.1:{p.args[-1]}" for p, _ in servers]
        for (process, _), base in zip(servers, bases, strict=True):
            wait_healthy(base, process)
        yield bases
    except BaseException:
        for process, log in servers:
            print(f"--- {log.name} (exit code {process.poll()}) ---")
            print(log.read_text(errors="replace")[-6000:])
        raise
    finally:
        for process, _ in servers:
            process.terminate()
        for process, _ in servers:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_healthy(base: str, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server for {base} exited with code {process.returncode}")
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    pytest.fail(f"the server for {base} did not answer /health within {seconds:.0f} s")


def generation_of(base: str) -> str:
    response = httpx.get(f"{base}/health", timeout=5)
    assert response.status_code == 200, response.text
    return response.json()["generation"]


@dataclass
class Load:
    answered: dict[str, int]  # requests sent to each server
    failures: list[str]
    lock: threading.Lock


@contextlib.contextmanager
def searching(bases: list[str], clients: int = 4) -> Iterator[Load]:
    """Client threads searching `bases` in turn (POST and GET alternately, QUESTIONS in
    turn) until the block ends; a request fails unless it answers 200 with results."""
    stop = threading.Event()
    load = Load(dict.fromkeys(bases, 0), [], threading.Lock())

    def client(number: int) -> None:
        with httpx.Client(timeout=10) as http:
            i = number
            while not stop.is_set():
                base, question = bases[i % len(bases)], QUESTIONS[i % len(QUESTIONS)]
                try:
                    if (i // 2) % 2:
                        response = http.post(f"{base}/search", json={"query": question, "k": 5})
                    else:
                        response = http.get(f"{base}/search", params={"q": question, "k": 5})
                    ok = response.status_code == 200 and response.json()["results"]
                    problem = None if ok else f"{response.status_code} {response.text[:120]}"
                except httpx.HTTPError as exc:
                    problem = repr(exc)
                with load.lock:
                    load.answered[base] += 1
                    if problem:
                        load.failures.append(f"{base}: {problem}")
                i += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    try:
        yield load
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=15)


def test_two_replicas_switch_to_a_new_generation_without_a_failed_request(tmp_path: Path):
    corpus = copy_corpus(tmp_path / "corpus")
    index_dir = tmp_path / "index"
    first = build(corpus, index_dir, FakeEmbedder()).generation

    with replicas(index_dir, 2, tmp_path) as bases:
        assert [generation_of(b) for b in bases] == [first, first]

        with searching(bases) as load:
            time.sleep(1.0)
            (corpus / NEW_SOURCE).write_text(NEW_DOCUMENT)
            report = build(corpus, index_dir, FakeEmbedder())
            assert report.published and report.added == [NEW_SOURCE], report
            new = report.generation
            assert new != first
            switched_at = time.monotonic()
            deadline = switched_at + 15
            pending = set(bases)
            while pending and time.monotonic() < deadline:
                pending = {b for b in pending if generation_of(b) != new}
                time.sleep(0.05)
            assert not pending, f"still not serving {new} after 15 s: {sorted(pending)}"
            with load.lock:
                during_switch = dict(load.answered)
            time.sleep(0.5)  # keep searching the new generation a little
        answered, failures = load.answered, load.failures

        for base in bases:
            for response in (
                httpx.get(f"{base}/search", params={"q": "breadfruit", "mode": "keyword"}),
                httpx.post(f"{base}/search", json={"query": "breadfruit orchards"}),
            ):
                assert response.status_code == 200, response.text
                results = response.json()["results"]
                assert results and results[0]["source"] == NEW_SOURCE, (base, results[:1])

        assert failures == [], failures[:5]
        for base in bases:  # both replicas were searched before, during and after the switch
            assert during_switch[base] >= 20, during_switch
            assert answered[base] > during_switch[base], (answered, during_switch)


def snapshot(root: Path) -> dict[str, tuple[str, int, int]]:
    """Every file and folder under `root` (itself included): kind, size, mtime. A file made
    and removed again still changes its folder's mtime."""
    out = {}
    for path in [root, *sorted(root.rglob("*"))]:
        info = path.lstat()
        kind = "dir" if stat.S_ISDIR(info.st_mode) else "file"
        out[str(path.relative_to(root))] = (kind, info.st_size, info.st_mtime_ns)
    return out


def chmod_tree(root: Path, dirs: int, files: int) -> None:
    """Files first, then folders bottom-up (a folder made read-only last)."""
    for path in sorted(root.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        path.chmod(dirs if path.is_dir() else files)
    root.chmod(dirs)


def test_a_replica_serves_a_read_only_index_folder(tmp_path: Path):
    corpus = copy_corpus(tmp_path / "corpus")
    index_dir = tmp_path / "index"
    generation = build(corpus, index_dir, FakeEmbedder()).generation
    before = snapshot(index_dir)
    # chmod does not stop root from writing: as root the snapshot comparison below is what
    # shows that the server wrote nothing; as another user the read-only modes show it too.
    chmod_tree(index_dir, 0o555, 0o444)
    try:
        with replicas(index_dir, 1, tmp_path) as [base]:
            health = httpx.get(f"{base}/health", timeout=5).json()
            assert health["status"] == "ok" and health["generation"] == generation, health
            searches = [
                httpx.get(f"{base}/search", params={"q": "climate change"}, timeout=10),
                httpx.post(f"{base}/search", json={"query": "sea level rise"}, timeout=10),
                httpx.get(f"{base}/search", params={"q": "climate", "mode": "keyword"}, timeout=10),
                httpx.get(f"{base}/search", params={"q": "fisheries", "year": 2019}, timeout=10),
            ]
            for response in searches:
                assert response.status_code == 200, response.text
                assert response.json()["results"], response.url
            documents = httpx.get(f"{base}/documents", timeout=10)
            assert documents.status_code == 200 and documents.json()["documents"]
            time.sleep(RELOAD_CHECK_SECONDS * 2)  # let a reload check run, then ask again
            assert generation_of(base) == generation
        # The server has stopped: anything written on shutdown counts as well.
        after = snapshot(index_dir)
    finally:
        chmod_tree(index_dir, 0o755, 0o644)
    assert after == before, {
        name: (before.get(name), after.get(name))
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    }
