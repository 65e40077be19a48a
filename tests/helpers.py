"""Helpers the tests share: free loopback ports, raw ASGI calls, a slow embedder."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from indexer.embedders.fake import FakeEmbedder


def free_ports(count: int) -> list[int]:
    """`count` distinct free loopback ports (all sockets held open until each is chosen)."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]


def free_port() -> int:
    return free_ports(1)[0]


def call_asgi(
    app,
    method: str,
    path: str,
    headers: Sequence[tuple[bytes, bytes]],
    receive: Callable[[], Awaitable[dict]],
) -> list[dict]:
    """Call `app` with one raw ASGI HTTP request (what TestClient cannot send: a body that
    lies about its length, a stream read piece by piece); the messages it sent back."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }
    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    # In a thread of its own: Playwright's sync API (the browser tests' session fixture)
    # keeps an event loop running in the main thread, where asyncio.run refuses to start.
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, app(scope, receive, send)).result()
    return sent


class SlowEmbedder(FakeEmbedder):
    """The fake embedder, taking `delay_s` per call as a real model takes time; with
    `call_log`, each call adds a line to that file (from whichever process makes it)."""

    def __init__(self, delay_s: float, dimension: int = 64, call_log: Path | None = None) -> None:
        super().__init__(dimension)
        self.delay_s = delay_s
        self.call_log = call_log

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        time.sleep(self.delay_s)
        if self.call_log is not None:
            with self.call_log.open("a") as out:
                out.write(f"{len(texts)}\n")
        return super().embed_batch(texts)
