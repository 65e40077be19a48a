"""The cap on JSON request bodies (CONFSEARCH_MAX_BODY_KB): 413 before anything parses them,
whether the body declares its length, declares none, or is sent in many pieces."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from indexer.embedders.fake import FakeEmbedder
from search_api.app import create_app
from search_api.settings import Settings
from tests.helpers import call_asgi
from tests.search_api.conftest import check_error, serve


def padded(size: int) -> bytes:
    """A JSON search body of about `size` bytes (a long query)."""
    body = {"query": "climate " * max(1, (size - 20) // 8)}
    return json.dumps(body).encode()


def test_a_json_body_over_the_cap_gets_413(client: TestClient):
    response = client.post(
        "/search", content=padded(65 * 1024), headers={"content-type": "application/json"}
    )
    message = check_error(response, 413, "too_large")
    assert "64 kB" in message


def test_a_body_under_the_cap_is_parsed(client: TestClient):
    response = client.post(
        "/search", content=padded(60 * 1024), headers={"content-type": "application/json"}
    )
    check_error(response, 422, "invalid_request")  # read and validated: the query is too long


def test_a_body_without_length_is_counted(client: TestClient):
    def chunks():  # chunked transfer: no Content-Length
        yield b'{"query": "climate'
        for _ in range(100):
            yield b" " * 1024
        yield b'"}'

    headers = {"content-type": "application/json"}
    response = client.post("/search", content=chunks(), headers=headers)
    check_error(response, 413, "too_large")


def test_the_cap_is_a_setting(settings: Settings):
    with serve(settings.model_copy(update={"max_body_kb": 1})) as client:
        ok = client.post("/search", json={"query": "climate", "k": 2})
        over = client.post(
            "/search", content=padded(2048), headers={"content-type": "application/json"}
        )
    assert ok.status_code == 200
    check_error(over, 413, "too_large")


def test_the_cap_holds_on_every_endpoint(client: TestClient):
    big = b"x" * (70 * 1024)
    for method, path in [("post", "/admin/reindex"), ("delete", "/admin/documents/x"),
                         ("get", "/documents"), ("post", "/nowhere")]:  # fmt: skip
        response = client.request(method, path, content=big)
        check_error(response, 413, "too_large")


def _call(app, headers: list, chunks: list[bytes]) -> tuple[list[dict], int]:
    read = 0

    async def receive():
        nonlocal read
        read += 1
        if read > len(chunks):
            raise AssertionError("read past the end of the body")
        return {"type": "http.request", "body": chunks[read - 1], "more_body": read < len(chunks)}

    sent = call_asgi(
        app, "POST", "/search", [(b"content-type", b"application/json"), *headers], receive
    )
    return sent, read


@pytest.fixture
def raw_app(settings: Settings):
    return create_app(settings, FakeEmbedder())


def test_a_declared_length_over_the_cap_is_refused_unread(raw_app):
    sent, read = _call(raw_app, [(b"content-length", b"999999999")], [b"{}"])
    assert read == 0
    assert sent[0]["status"] == 413
    assert (b"connection", b"close") in sent[0]["headers"]
    assert json.loads(sent[1]["body"])["error"]["code"] == "too_large"


def test_a_body_longer_than_it_claims_stops_being_read_at_the_cap(raw_app):
    chunks = [b" " * 8192] * 1000  # 8 MB, claiming 10 bytes
    sent, read = _call(raw_app, [(b"content-length", b"10")], chunks)
    assert sent[0]["status"] == 413
    assert read <= 9  # 64 kB / 8 kB, then one more


def test_an_upload_is_not_held_to_the_json_cap(raw_app):
    # POST /admin/documents streams to disk under its own cap: here it is refused for want
    # of the admin key, having been let through by the JSON cap.
    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    length = str(1024 * 1024).encode()
    sent = call_asgi(raw_app, "POST", "/admin/documents", [(b"content-length", length)], receive)
    assert sent[0]["status"] == 403  # admin is off here; not 413
