"""A load test on loopback: 16 clients search before, through and after a rebuild that
publishes a new index generation; not one request may fail, and the new generation gets
served."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from indexer.build import build
from indexer.embedders.fake import FakeEmbedder
from tests.conftest import REPO, copy_corpus
from tests.helpers import free_port

pytestmark = pytest.mark.load

CLIENTS = 16
# Load before the rebuild starts and after it is published, in seconds: the clients run
# through the whole rebuild, however long it takes, and then this long again.
MARGIN = float(os.environ.get("CONFSEARCH_LOAD_MARGIN", "3"))
QUESTIONS = ["climate change", "e-commerce", "fisheries", "sea level", "customs valuation",
             "nuclear legacy", "tariffs on goods", "ocean governance"]  # fmt: skip


def test_sixteen_clients_see_no_failure_while_a_rebuild_is_published(tmp_path: Path):
    corpus = copy_corpus(tmp_path / "corpus")
    index_dir = tmp_path / "index"
    build(corpus, index_dir, FakeEmbedder())
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "CONFSEARCH_INDEX_DIR": str(index_dir),
        "CONFSEARCH_MODEL": "fake",
        "CONFSEARCH_RELOAD_CHECK_SECONDS": "0.2",
        "CONFSEARCH_RATE_LIMIT": "0",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "search_api.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            pytest.fail("the server did not start")
        first_generation = httpx.get(f"{base}/health").json()["generation"]

        latencies: list[float] = []
        failures: list[str] = []
        done = threading.Event()
        lock = threading.Lock()

        def client(number: int) -> None:
            with httpx.Client(base_url=base, timeout=10) as http:
                i = number
                while not done.is_set():
                    started = time.perf_counter()
                    try:
                        response = http.get("/search", params={"q": QUESTIONS[i % 8], "k": 5})
                        ok = response.status_code == 200 and response.json()["results"]
                        problem = None if ok else f"{response.status_code} {response.text[:80]}"
                    except httpx.HTTPError as exc:
                        problem = repr(exc)
                    with lock:
                        latencies.append(time.perf_counter() - started)
                        if problem:
                            failures.append(problem)
                    i += 1

        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        time.sleep(MARGIN)
        (corpus / "oco" / "new-paper.md").write_text(
            "# Session paper\n\nThe quarantine of kava exports was discussed at length.\n"
        )
        report = build(corpus, index_dir, FakeEmbedder())
        assert report.published
        time.sleep(MARGIN)  # served from the new generation, under the same load
        done.set()
        for thread in threads:
            thread.join()
        seconds = time.monotonic() - started

        assert failures == [], failures[:5]
        latencies.sort()
        p99 = latencies[int(0.99 * (len(latencies) - 1))] * 1000
        rate = len(latencies) / seconds
        print(f"\nload: {len(latencies)} requests, {rate:.0f} req/s, p99 {p99:.1f} ms, 0 failed")
        health = httpx.get(f"{base}/health").json()
        assert health["generation"] != first_generation
        found = httpx.get(f"{base}/search", params={"q": "kava quarantine", "mode": "keyword"})
        assert found.json()["results"][0]["source"] == "oco/new-paper.md"
    finally:
        server.terminate()
        server.wait(timeout=10)
