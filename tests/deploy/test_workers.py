"""`confsearch serve --workers 2`: two processes behind one port share the published index,
switch generations without a failed request, and share one rate limit and the admin tasks."""

from __future__ import annotations

import itertools
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from indexer.build import build
from indexer.embedders.fake import FakeEmbedder
from tests.conftest import copy_corpus
from tests.deploy.test_replicas import (
    NEW_DOCUMENT,
    NEW_SOURCE,
    generation_of,
    searching,
    server_env,
    wait_healthy,
)
from tests.helpers import free_port

KEY = "k" * 24


def start(index_dir: Path, log: Path, **env: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    environment = {**server_env(index_dir), "CONFSEARCH_WORKERS": "2", **env}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "search_api.cli", "serve", "--port", str(port)],
            env=environment, cwd=log.parent, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    wait_healthy(base, process, seconds=90)
    return process, base


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def finished(task: dict) -> float:
    return datetime.fromisoformat(task["finished"].replace("Z", "+00:00")).timestamp()


def worker_pids(process: subprocess.Popen) -> set[int]:
    """The server's worker processes: forked by its forkserver (which imported torch once),
    not multiprocessing's resource tracker or the forkserver itself."""

    def children(pid: int) -> list[int]:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]

    found: set[int] = set()
    for pid in children(process.pid):
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
        if b"multiprocessing.forkserver" in command:
            found |= set(children(pid))
        elif b"spawn_main" in command:
            found.add(pid)
    return found


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    corpus = copy_corpus(tmp_path / "corpus")
    build(corpus, tmp_path / "index", FakeEmbedder())
    return tmp_path / "index"


def test_two_workers_switch_generations_under_load_without_a_failed_request(
    index_dir: Path, tmp_path: Path
):
    process, base = start(index_dir, tmp_path / "workers.log")
    try:
        assert len(worker_pids(process)) == 2
        first = generation_of(base)
        with searching([base]) as load:
            time.sleep(1.0)
            corpus = index_dir.parent / "corpus"
            (corpus / NEW_SOURCE).write_text(NEW_DOCUMENT)
            new = build(corpus, index_dir, FakeEmbedder()).generation
            deadline = time.monotonic() + 15
            seen = set()
            while time.monotonic() < deadline and seen != {new}:  # both workers, by chance
                seen = {generation_of(base) for _ in range(8)}
                time.sleep(0.05)
            assert seen == {new} and new != first
            time.sleep(0.5)
        assert load.failures == [], load.failures[:5]
        assert load.answered[base] > 50
    finally:
        stop(process)


def test_the_rate_limit_holds_for_the_whole_server(index_dir: Path, tmp_path: Path):
    process, base = start(index_dir, tmp_path / "limit.log", CONFSEARCH_RATE_LIMIT="10/minute")
    try:
        statuses = []
        for _ in range(16):  # fresh connections: the workers take turns
            with httpx.Client(timeout=10) as http:
                statuses.append(http.get(f"{base}/search", params={"q": "climate"}).status_code)
        assert statuses.count(200) == 10 and statuses.count(429) == 6, statuses
    finally:
        stop(process)


def test_admin_tasks_are_seen_from_every_worker_and_builds_run_one_at_a_time(
    index_dir: Path, tmp_path: Path
):
    process, base = start(index_dir, tmp_path / "admin.log", CONFSEARCH_API_KEY=KEY,
                          CONFSEARCH_CORPUS_DIR=str(index_dir.parent / "corpus"))  # fmt: skip
    headers = {"X-API-Key": KEY}
    try:
        tasks = []
        for _ in range(4):
            with httpx.Client(timeout=10) as http:
                response = http.post(f"{base}/admin/reindex", headers=headers)
                assert response.status_code == 202, response.text
                tasks.append(response.json()["task"]["id"])
        deadline = time.monotonic() + 60
        done: dict[str, dict] = {}
        while time.monotonic() < deadline and len(done) < len(tasks):
            for task in tasks:
                with httpx.Client(timeout=10) as http:  # whichever worker answers
                    found = http.get(f"{base}/admin/tasks/{task}", headers=headers).json()
                if found["status"] in ("done", "failed"):
                    done[task] = found
            time.sleep(0.2)
        assert len(done) == len(tasks), done
        assert all(t["status"] == "done" for t in done.values()), done
        # One build at a time across the workers: each build ran after the one that finished
        # before it, so finishing times are at least a build's own duration apart.
        runs = sorted((finished(t), t["report"]["seconds"]) for t in done.values())
        for (before, _), (after, seconds) in itertools.pairwise(runs):
            assert after - before >= seconds - 0.05, runs
    finally:
        stop(process)


def test_a_key_brute_force_gets_429_and_never_a_success(index_dir: Path, tmp_path: Path):
    process, base = start(index_dir, tmp_path / "brute.log", CONFSEARCH_API_KEY=KEY,
                          CONFSEARCH_ADMIN_KEY_FAILURES="5/hour")  # fmt: skip
    try:
        codes = []
        for guess in range(12):
            with httpx.Client(timeout=10) as http:
                wrong = {"X-API-Key": f"guess-{guess}"}
                codes.append(http.post(f"{base}/admin/reload", headers=wrong).status_code)
        with httpx.Client(timeout=10) as http:
            right = http.post(f"{base}/admin/reload", headers={"X-API-Key": KEY})
        assert codes[:5] == [401] * 5 and set(codes[5:]) == {429}, codes
        assert right.status_code == 429 and "Retry-After" in right.headers
    finally:
        stop(process)


def test_workers_answer_keep_alive_connections_without_waiting_for_a_delayed_ack():
    """uvicorn's workers listen on a socket bound with proto 0, and asyncio then leaves
    Nagle's algorithm on for every connection: each keep-alive answer waited ~40 ms."""
    import asyncio
    import socket

    import uvicorn

    from search_api.cli import tcp_listener

    listener = tcp_listener(uvicorn.Config("search_api.app:app_from_environment", port=0))
    assert listener.proto == socket.IPPROTO_TCP
    nodelay: list[int] = []

    class Accepted(asyncio.Protocol):
        def connection_made(self, transport):
            sock = transport.get_extra_info("socket")
            nodelay.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    async def accept_one() -> None:
        server = await asyncio.get_running_loop().create_server(Accepted, sock=listener)
        _, writer = await asyncio.open_connection(*listener.getsockname()[:2])
        for _ in range(100):
            if nodelay:
                break
            await asyncio.sleep(0.01)
        writer.close()
        server.close()

    asyncio.run(accept_one())
    assert nodelay and nodelay[0] != 0
