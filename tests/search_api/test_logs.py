"""Request ids and JSON logs (CONFSEARCH_LOG_FORMAT=json): one access line a request, other
records as JSON too, the id echoed in X-Request-ID on every answer, errors included."""

from __future__ import annotations

import io
import json
import logging
import random
import subprocess
import sys
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from indexer.embedders.fake import FakeEmbedder
from search_api.app import create_app
from search_api.logs import JsonFormatter, logging_config, sane_request_id
from search_api.settings import Settings
from tests.conftest import REPO
from tests.search_api.conftest import check_error, serve

ACCESS = {"time", "level", "logger", "message", "request_id", "method", "path", "route",
          "status", "duration_ms", "client"}  # fmt: skip


def fresh_address() -> tuple[str, int]:
    """A client address no other test used, so that a rate limit starts full."""
    return f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}", 1


@pytest.fixture
def written() -> Iterator[io.StringIO]:
    """What the root logger writes through the JSON formatter, meanwhile."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


@pytest.fixture
def json_client(settings: Settings, written: io.StringIO) -> Iterator[TestClient]:
    unlimited = {"log_format": "json", "rate_limit": "0"}
    with serve(settings.model_copy(update=unlimited)) as client:
        yield client


def records(stream: io.StringIO) -> list[dict]:
    """Every line must be one JSON object."""
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def access_lines(stream: io.StringIO) -> list[dict]:
    return [r for r in records(stream) if r["logger"] == "search_api.access"]


def test_each_request_writes_one_json_access_line_with_its_id(json_client, written):
    found = json_client.post("/search", json={"query": "climate change"})
    missing = json_client.get("/documents/no-such-document")

    search, not_found = access_lines(written)
    assert set(search) == ACCESS and set(not_found) == ACCESS
    assert search["request_id"] == found.headers["x-request-id"]
    assert not_found["request_id"] == missing.headers["x-request-id"]
    assert search["request_id"] != not_found["request_id"]
    assert len(search["request_id"]) == 32  # a new id: uuid4, hex
    assert (search["method"], search["path"], search["route"], search["status"]) == (
        "POST", "/search", "/search", 200)  # fmt: skip
    assert (not_found["path"], not_found["route"], not_found["status"]) == (
        "/documents/no-such-document", "/documents/{doc_id}", 404)  # fmt: skip
    assert search["level"] == "INFO" and search["client"] == "testclient"
    assert search["duration_ms"] >= 0 and search["time"].endswith("Z")


def test_a_plain_request_id_from_the_client_is_kept(json_client, written):
    sent = "req-2024.11/abc_DEF:42"
    response = json_client.get("/health", headers={"X-Request-ID": sent})
    assert response.headers["x-request-id"] == sent
    assert access_lines(written)[-1]["request_id"] == sent


@pytest.mark.parametrize(
    "sent", ["abc\ninjected", "x" * 500, "with space", "", "tab\there", "caf\u00e9"]
)
def test_a_request_id_that_is_no_plain_token_is_replaced(json_client, written, sent):
    response = json_client.get("/health", headers={"X-Request-ID": sent.encode("utf-8")})
    echoed = response.headers["x-request-id"]
    assert echoed != sent and len(echoed) == 32 and echoed.isalnum()
    assert access_lines(written)[-1]["request_id"] == echoed


def test_sane_request_ids():
    assert sane_request_id("a" * 128) == "a" * 128
    assert sane_request_id("a" * 129) != "a" * 129
    assert sane_request_id(None) != sane_request_id(None)


def test_errors_echo_the_request_id_and_keep_their_shape(settings: Settings, monkeypatch):
    limited = settings.model_copy(update={"rate_limit": "1/minute", "max_body_kb": 1})
    app = create_app(limited, FakeEmbedder())
    with TestClient(app, raise_server_exceptions=False, client=fresh_address()) as client:
        sent = {"X-Request-ID": "trace-1"}
        answers = [
            (client.get("/documents/missing", headers=sent), 404),
            (client.get("/documents", params={"limit": 0}, headers=sent), 422),
            (client.post("/documents", content=b"{" + b" " * 4096 + b"}", headers=sent), 413),
            (client.get("/search", params={"q": "fish"}, headers=sent), 200),
            (client.get("/search", params={"q": "fish"}, headers=sent), 429),
        ]
        for response, status in answers:
            if status != 200:
                check_error(response, status)
            assert response.headers["x-request-id"] == "trace-1", status

        def broken(*args, **kwargs):
            raise RuntimeError("boom")

        monkeypatch.setattr(client.app.state.searcher, "documents", broken)
        failed = client.get("/documents", headers=sent)
    check_error(failed, 500, "internal_error")
    assert failed.headers["x-request-id"] == "trace-1"


def test_records_logged_within_a_request_carry_its_id(json_client, written, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(json_client.app.state.searcher, "documents", broken)
    failed = json_client.get("/documents")

    assert failed.status_code == 500
    rid = failed.headers["x-request-id"]
    error = next(r for r in records(written) if r["logger"] == "search_api.errors")
    assert error["request_id"] == rid and error["level"] == "ERROR"
    assert "RuntimeError: boom" in error["exc"]
    assert access_lines(written)[-1] == {**access_lines(written)[-1], "status": 500,
                                         "request_id": rid}  # fmt: skip


def test_text_logs_write_no_access_lines_of_their_own(settings: Settings, written):
    with serve(settings) as client:  # CONFSEARCH_LOG_FORMAT=text, the default
        assert "x-request-id" in client.get("/health").headers
    assert access_lines(written) == []  # uvicorn writes them, as before


def test_cors_lets_a_browser_read_the_request_id(settings: Settings):
    origin = "https://example.org"
    with serve(settings.model_copy(update={"cors_origins": [origin]})) as client:
        response = client.get("/health", headers={"Origin": origin})
        preflight = client.options("/search", headers={
            "Origin": origin, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, x-request-id"})  # fmt: skip
    assert "x-request-id" in response.headers["access-control-expose-headers"].lower()
    assert preflight.status_code == 200
    assert "x-request-id" in preflight.headers["access-control-allow-headers"].lower()


def test_serve_logging_makes_uvicorn_lines_json_too():
    """`confsearch serve` applies logging_config (in each worker, through uvicorn)."""
    code = (
        "import logging, logging.config\n"
        "from search_api.logs import logging_config\n"
        "logging.config.dictConfig(logging_config('json'))\n"
        "logging.getLogger('uvicorn.error').info('Started server process [%d]', 7)\n"
        "logging.getLogger('uvicorn.access').info('muted: the app writes access lines')\n"
        "logging.getLogger('search_api.watcher').warning('switched')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                          text=True, timeout=60, check=True)  # fmt: skip
    lines = [json.loads(line) for line in done.stderr.splitlines()]
    assert [(r["logger"], r["message"]) for r in lines] == [
        ("uvicorn.error", "Started server process [7]"),
        ("search_api.watcher", "switched"),
    ]
    text = logging_config("text")
    assert text["root"]["handlers"] == ["plain"] and "uvicorn.access" in text["loggers"]
