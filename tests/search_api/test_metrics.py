"""GET /metrics: Prometheus' text format, requests by route template and status, each search
stage's time, the generation served, builds, rate-limit refusals; and the multi-process
mode, where every worker's values are added up."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from indexer.embedders.fake import FakeEmbedder
from search_api import metrics
from search_api.app import create_app
from search_api.indexing import run_build
from search_api.settings import Settings
from tests.conftest import REPO, copy_corpus
from tests.search_api.conftest import TUV_2019, serve


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """Searches without a rate limit (its buckets may be shared by every app of the run)."""
    with serve(settings.model_copy(update={"rate_limit": "0"})) as test_client:
        yield test_client


def fresh_address() -> tuple[str, int]:
    """A client address no other test used, so that a rate limit starts full."""
    return f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}", 1


SEARCH_200 = ("confsearch_requests_total", {"route": "/search", "method": "POST", "status": "200"})


def samples(client: TestClient) -> dict[tuple[str, frozenset], float]:
    """The metrics now, {(sample name, labels): value}; the text must parse."""
    response = client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def value(found: dict, name: str, labels: dict | None = None) -> float:
    return found.get((name, frozenset((labels or {}).items())), 0.0)


def delta(before: dict, after: dict, name: str, labels: dict | None = None) -> float:
    return value(after, name, labels) - value(before, name, labels)


def doc_id(client: TestClient) -> str:
    listed = client.get("/documents", params={"limit": 500}).json()["documents"]
    return next(d["id"] for d in listed if d["source"] == TUV_2019)


def test_requests_are_counted_by_route_template_method_and_status(client: TestClient):
    known = doc_id(client)
    before = samples(client)
    for _ in range(2):
        assert client.post("/search", json={"query": "climate change"}).status_code == 200
    assert client.get(f"/documents/{known}").status_code == 200
    assert client.get("/documents/no-such-document-xyz").status_code == 404
    assert client.get("/no/such/endpoint").status_code == 404

    after = samples(client)

    assert delta(before, after, *SEARCH_200) == 2
    doc = {"route": "/documents/{doc_id}", "method": "GET"}
    assert delta(before, after, "confsearch_requests_total", {**doc, "status": "200"}) == 1
    assert delta(before, after, "confsearch_requests_total", {**doc, "status": "404"}) == 1
    unmatched = {"route": "unmatched", "method": "GET", "status": "404"}
    assert value(after, "confsearch_requests_total", unmatched) >= 1
    assert delta(before, after, "confsearch_request_seconds_count", {"route": "/search"}) == 2
    routes = {dict(labels).get("route") for _, labels in after}
    assert not any(r and ("no-such" in r or known in r) for r in routes)  # templates only


def test_each_search_stage_is_observed_once_per_search(client: TestClient):
    def count(found, stage):
        return value(found, "confsearch_search_stage_seconds_count", {"stage": stage})

    before = samples(client)
    assert client.post("/search", json={"query": "sea level rise"}).status_code == 200
    after = samples(client)
    for stage in metrics.STAGES:
        assert count(after, stage) - count(before, stage) == 1, stage
        total = "confsearch_search_stage_seconds_sum"
        assert value(after, total, {"stage": stage}) >= value(before, total, {"stage": stage})

    body = {"query": "sea level rise", "mode": "keyword"}
    assert client.post("/search", json=body).status_code == 200
    keyword_only = samples(client)
    assert count(keyword_only, "embedding") == count(after, "embedding")  # no vector waited
    assert count(keyword_only, "keyword") == count(after, "keyword") + 1


def test_each_search_says_its_stages_in_a_server_timing_header(client: TestClient):
    response = client.post("/search", json={"query": "ocean acidification and reefs"})
    timing = dict(
        (part.split(";dur=")[0], float(part.split(";dur=")[1]))
        for part in response.headers["Server-Timing"].split(", ")
    )
    assert {*metrics.STAGES, "total"} <= set(timing)
    assert timing["model"] > 0  # a question never asked: the model ran
    assert timing["total"] >= max(v for k, v in timing.items() if k not in ("total", "model"))
    assert timing["total"] == response.json()["took_ms"]  # one measure, said twice

    again = client.post("/search", json={"query": "ocean acidification and reefs"})
    assert "model;dur=0.00" in again.headers["Server-Timing"]  # from the cache
    csv = client.get("/search", params={"q": "reefs", "format": "csv"})
    assert "total;dur=" in csv.headers["Server-Timing"]


def test_the_generation_served_its_age_and_counts(client: TestClient):
    health = client.get("/health").json()
    found = samples(client)
    generation = {"generation": health["generation"]}
    assert value(found, "confsearch_generation_info", generation) == 1
    assert value(found, "confsearch_passages_indexed") == health["passages"]
    assert value(found, "confsearch_documents_indexed") == health["documents"]
    age = value(found, "confsearch_generation_age_seconds")
    assert 0 <= age < 24 * 3600  # built by this test session
    others = [labels for name, labels in found if name == "confsearch_generation_info"
              and dict(labels)["generation"] != health["generation"]]  # fmt: skip
    assert all(value(found, "confsearch_generation_info", dict(o)) == 0 for o in others)


def test_rate_limit_refusals_are_counted_and_metrics_are_not_limited(settings: Settings):
    app = create_app(settings.model_copy(update={"rate_limit": "1/minute"}), FakeEmbedder())
    with TestClient(app, client=fresh_address()) as client:
        before = samples(client)
        assert client.get("/search", params={"q": "climate"}).status_code == 200
        refused = client.get("/search", params={"q": "climate"})
        assert refused.status_code == 429
        for _ in range(3):  # scraped again and again, never refused
            after = samples(client)

    assert delta(before, after, "confsearch_rate_limited_total", {"route": "/search"}) == 1
    answered = {"route": "/search", "method": "GET", "status": "429"}
    assert delta(before, after, "confsearch_requests_total", answered) == 1


def test_metrics_are_left_out_of_the_openapi_schema(client: TestClient):
    assert "/metrics" not in client.get("/openapi.json").json()["paths"]


def test_builds_are_timed_and_counted_by_outcome(tmp_path: Path, client: TestClient):
    corpus = copy_corpus(tmp_path / "corpus", ["TUV_74_2019.txt"], pdf=False)
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", model="fake")

    before = samples(client)
    assert run_build(settings, FakeEmbedder()).published
    assert not run_build(settings, FakeEmbedder()).published
    with pytest.raises(FileNotFoundError):
        run_build(settings.model_copy(update={"corpus_dir": tmp_path / "gone"}), FakeEmbedder())
    after = samples(client)

    for outcome in ("published", "unchanged", "failed"):
        assert delta(before, after, "confsearch_builds_total", {"outcome": outcome}) == 1
    assert delta(before, after, "confsearch_build_seconds_count") == 3


# -- several worker processes --------------------------------------------------------------

WORKER = textwrap.dedent(
    """
    import sys
    from fastapi.testclient import TestClient
    from indexer.embedders.fake import FakeEmbedder
    from search_api.app import create_app
    from search_api.settings import Settings

    settings = Settings(index_dir=sys.argv[1], model="fake", rate_limit="0")
    with TestClient(create_app(settings, FakeEmbedder())) as client:
        for question in ("climate change", "fisheries", "sea level rise"):
            assert client.post("/search", json={"query": question}).status_code == 200
        assert client.get("/documents/no-such-document").status_code == 404
        if sys.argv[2] == "stay":  # a worker still serving when the scrape comes
            print("ready", flush=True)
            sys.stdin.readline()
    """
)


def start_worker(index: Path, folder: Path, stay: bool) -> subprocess.Popen:
    env = {**os.environ, metrics.MULTIPROC_ENV: str(folder), "HF_HUB_OFFLINE": "1"}
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, str(index), "stay" if stay else "go"],
        cwd=REPO, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip


def test_every_worker_process_is_counted_in_one_folder(
    shared_index: Path, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    folder = tmp_path / "metrics"
    folder.mkdir()
    gone = start_worker(shared_index, folder, stay=False)
    staying = start_worker(shared_index, folder, stay=True)
    try:
        assert gone.wait(timeout=120) == 0
        assert staying.stdout.readline().strip() == "ready"
        assert list(folder.glob(f"gauge_livemax_{gone.pid}.db"))

        # This process scrapes: it reads the folder, as any worker of the server would.
        monkeypatch.setenv(metrics.MULTIPROC_ENV, str(folder))
        with TestClient(create_app(settings, FakeEmbedder())) as client:
            found = samples(client)
            health = client.get("/health").json()
    finally:
        staying.communicate("\n", timeout=60)

    assert value(found, *SEARCH_200) == 6  # 3 searches in each worker, summed
    assert value(found, "confsearch_search_stage_seconds_count", {"stage": "dense"}) == 6
    not_found = {"route": "/documents/{doc_id}", "method": "GET", "status": "404"}
    assert value(found, "confsearch_requests_total", not_found) == 2
    # The worker still serving shows its generation; the one that is gone no longer does.
    assert value(found, "confsearch_generation_info", {"generation": health["generation"]}) == 1
    assert value(found, "confsearch_passages_indexed") == health["passages"]
    assert not list(folder.glob(f"gauge_livemax_{gone.pid}.db"))
    assert list(folder.glob(f"gauge_livemax_{staying.pid}.db"))


def test_serve_prepares_one_folder_for_its_workers(tmp_path: Path, monkeypatch):
    monkeypatch.setenv(metrics.MULTIPROC_ENV, "-")  # restored (unset) after the test
    monkeypatch.delenv(metrics.MULTIPROC_ENV)
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "counter_12345.db").write_bytes(b"stale")  # a previous run's
    (folder / "keep.txt").write_text("not ours")

    prepared = metrics.prepare(Settings(metrics_dir=folder), 1)  # one process, a folder given

    assert prepared == folder and os.environ[metrics.MULTIPROC_ENV] == str(folder)
    assert [p.name for p in folder.iterdir()] == ["keep.txt"]
    del os.environ[metrics.MULTIPROC_ENV]
    assert metrics.prepare(Settings(), 1) is None  # one process: its own registry
    assert metrics.MULTIPROC_ENV not in os.environ
    temporary = metrics.prepare(Settings(), 4)  # several, none given: a folder of their own
    assert temporary.is_dir() and os.environ[metrics.MULTIPROC_ENV] == str(temporary)
