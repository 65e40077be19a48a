"""Fixtures of the search API tests: one shared read-only index, clients over it, and the
error-shape check every failure response must pass."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from indexer.build import build
from indexer.embedders.fake import FakeEmbedder
from indexer.embedding import Embedder
from search_api.app import create_app
from search_api.settings import Settings
from tests.conftest import copy_corpus

TUV_2019 = "ungdc-pacific/TUV_74_2019.txt"
TUV_2005 = "ungdc-pacific/TUV_60_2005.txt"
FJI_2019 = "ungdc-pacific/FJI_74_2019.txt"
AUS_2024 = "ungdc-pacific/AUS_79_2024.txt"


@contextmanager
def serve(settings: Settings, embedder: Embedder | None = None) -> Iterator[TestClient]:
    """The app with its lifespan run; server errors come back as responses (never raised)
    so that a test can assert that no input gives a 500."""
    app = create_app(settings, embedder or FakeEmbedder())
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def indexed(tmp_path: Path, documents: dict[str, tuple[str, dict]]) -> Settings:
    """Settings over an index (the fake embedder) of `documents`, each file name → its text
    and its metadata (written beside it, as `<name>.meta.json`)."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, (text, meta) in documents.items():
        (corpus / name).write_text(text, encoding="utf-8")
        (corpus / f"{name}.meta.json").write_text(json.dumps(meta))
    assert build(corpus, tmp_path / "index", FakeEmbedder()).published
    return Settings(index_dir=tmp_path / "index", corpus_dir=corpus, model="fake",
                    state_dir=tmp_path / "state")  # fmt: skip


@pytest.fixture(scope="session")
def shared_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The standard slice of the corpus; tests must not modify it."""
    return copy_corpus(tmp_path_factory.mktemp("shared") / "corpus")


@pytest.fixture(scope="session")
def shared_index(shared_corpus: Path) -> Path:
    """An index of `shared_corpus` built with the fake embedder; tests must not modify it."""
    index_dir = shared_corpus.parent / "index"
    report = build(shared_corpus, index_dir, FakeEmbedder())
    assert report.published and not report.skipped
    return index_dir


@pytest.fixture
def settings(shared_index: Path, shared_corpus: Path, tmp_path: Path) -> Settings:
    """Each test's app has its own shared state (rate-limit buckets, tasks): the index is
    shared by all tests, the limits must not be."""
    return Settings(
        index_dir=shared_index, corpus_dir=shared_corpus, model="fake", state_dir=tmp_path / "state"
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with serve(settings) as test_client:
        yield test_client


def check_error(response, status: int, code: str | None = None) -> str:
    """Assert the one error shape, {"error": {"code": str, "message": str}}; return message."""
    assert response.status_code == status, response.text
    body = json.loads(response.text)
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message"}, body
    assert isinstance(body["error"]["code"], str) and body["error"]["code"]
    assert isinstance(body["error"]["message"], str) and body["error"]["message"].strip()
    if code is not None:
        assert body["error"]["code"] == code, body
    return body["error"]["message"]


def overlaps(a: dict, b: dict) -> bool:
    return a["start"] < b["end"] and b["start"] < a["end"]


@pytest.fixture
def search(client: TestClient) -> Callable[..., list[dict]]:
    """POST /search on the shared index; the results of a 200 response."""

    def run(query: str, **body) -> list[dict]:
        response = client.post("/search", json={"query": query, **body})
        assert response.status_code == 200, response.text
        return response.json()["results"]

    return run
