"""GET /search, /documents, /health, the OpenAPI pages, reloading a newly published index
and CORS."""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

import indexer.store
from indexer.build import build
from indexer.embedders.fake import FakeEmbedder
from indexer.fields import FILTERS, NAMES, SUMMARY
from search_api.settings import Settings
from tests.conftest import CORPUS, copy_corpus
from tests.search_api.conftest import FJI_2019, TUV_2005, TUV_2019, check_error, serve

# -- GET /search ---------------------------------------------------------------------------


def test_get_search_answers_like_post(client: TestClient):
    got = client.get("/search", params={"q": "climate change", "k": 4})
    posted = client.post("/search", json={"query": "climate change", "k": 4})

    assert got.status_code == 200
    assert [r["id"] for r in got.json()["results"]] == [r["id"] for r in posted.json()["results"]]
    assert got.json()["k"] == 4 and len(got.json()["results"]) == 4


def test_get_search_offset_pages(client: TestClient):
    first = client.get("/search", params={"q": "trade", "k": 3}).json()["results"]
    second = client.get("/search", params={"q": "trade", "k": 3, "offset": 3}).json()["results"]
    both = client.get("/search", params={"q": "trade", "k": 6}).json()["results"]

    assert [r["id"] for r in first + second] == [r["id"] for r in both]


@pytest.fixture(scope="module")
def deep_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """Thirty speeches: enough passages that a deep page's pool reaches past the first's."""
    root = tmp_path_factory.mktemp("deep")
    speeches = sorted(p.name for p in (CORPUS / "ungdc-pacific").glob("*.txt"))[:30]
    corpus = copy_corpus(root / "corpus", speeches=speeches, pdf=False)
    build(corpus, root / "index", FakeEmbedder())
    settings = Settings(index_dir=root / "index", corpus_dir=corpus, model="fake",
                        state_dir=root / "state")  # fmt: skip
    with serve(settings) as client:
        yield client


@pytest.mark.parametrize("extra", [{}, {"group_by": "document", "per_document": 2}])
def test_pages_join_up_with_no_result_twice_and_none_skipped(deep_client: TestClient, extra):
    """Deeper pages rank from deeper pools; a position is ranked by the same pool whatever
    page holds it, so pages of 10 and of 50 give the same results in the same order."""

    def page(k: int, offset: int) -> list[str]:
        body = {"query": "sea level rise and climate change", "k": k, "offset": offset}
        answer = deep_client.post("/search", json=body | extra).json()
        if extra:
            return [group["document"]["id"] for group in answer["groups"]]
        return [hit["id"] for hit in answer["results"]]

    count = 150 if not extra else 30  # thirty documents
    tens = [unit for offset in range(0, count, 10) for unit in page(10, offset)]
    fifties = [unit for offset in range(0, count, 50) for unit in page(50, offset)][:count]

    assert len(tens) == count and len(set(tens)) == count
    assert tens == fifties


def test_get_search_country_and_year_filters(client: TestClient):
    response = client.get("/search?q=climate&k=10&country=TUV&year=2019")

    results = response.json()["results"]
    assert len(results) == 10
    assert {r["source"] for r in results} == {TUV_2019}


def test_get_search_string_filter_ignores_case(client: TestClient):
    results = client.get("/search?q=climate&k=50&country=tuv").json()["results"]

    assert {r["source"] for r in results} == {TUV_2019, TUV_2005}


def test_get_search_year_range(client: TestClient):
    results = client.get("/search?q=climate&k=50&year_from=2006&year_to=2020").json()["results"]

    assert results
    assert {r["document"]["year"] for r in results} == {2019}


def test_get_search_open_year_range(client: TestClient):
    results = client.get("/search?q=climate&k=50&year_to=2005").json()["results"]

    assert {r["source"] for r in results} == {TUV_2005}


def test_get_search_repeated_parameters_allow_several_values(client: TestClient):
    by_country = client.get("/search?q=climate&k=50&country=TUV&country=FJI").json()["results"]
    by_year = client.get("/search?q=climate&k=50&year=2005&year=2019").json()["results"]

    assert {r["document"]["country"] for r in by_country} == {"TUV", "FJI"}
    assert {r["document"]["year"] for r in by_year} == {2005, 2019}
    assert {r["source"] for r in by_year} == {TUV_2005, TUV_2019, FJI_2019}


def test_get_search_doc_type_filter(client: TestClient):
    results = client.get("/search?q=trade&k=5&doc_type=communique").json()["results"]

    assert len(results) == 5
    assert {r["document"]["doc_type"] for r in results} == {"communique"}


def test_get_search_place_filter(client: TestClient):
    # `place` is a filter field of POST /search and of the README's list; GET must honour it
    # rather than ignore it and answer from every document.
    response = client.get(
        "/search", params={"q": "climate", "k": 50, "place": "Rarotonga, Cook Islands"}
    )

    assert response.status_code == 200
    assert {r["document"]["place"] for r in response.json()["results"]} == {
        "Rarotonga, Cook Islands"
    }


def test_get_search_with_both_year_and_year_from_is_rejected(client: TestClient):
    response = client.get("/search?q=climate&year=2019&year_from=2015")

    message = check_error(response, 422, "invalid_request")
    assert "year_from" in message


# -- documents -----------------------------------------------------------------------------


def test_documents_lists_every_document_with_passage_counts(client: TestClient):
    body = client.get("/documents").json()

    assert body["total"] == 6
    assert body["offset"] == 0 and body["limit"] == 50
    assert len(body["documents"]) == 6
    health = client.get("/health").json()
    assert sum(d["passage_count"] for d in body["documents"]) == health["passages"]
    assert all(d["passage_count"] > 0 for d in body["documents"])
    assert all(d["text"] is None for d in body["documents"])  # text only on request


def test_documents_are_listed_newest_first(client: TestClient):
    years = [d["year"] for d in client.get("/documents").json()["documents"]]

    assert years == sorted(years, reverse=True)


def test_documents_paging_with_offset_and_limit(client: TestClient):
    everything = [d["id"] for d in client.get("/documents").json()["documents"]]
    pages = []
    for offset in (0, 2, 4):
        body = client.get("/documents", params={"offset": offset, "limit": 2}).json()
        assert body["total"] == 6  # the total counts all documents, not the page
        assert (body["offset"], body["limit"]) == (offset, 2)
        pages += [d["id"] for d in body["documents"]]

    assert pages == everything
    assert client.get("/documents", params={"offset": 6}).json()["documents"] == []


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"country": "TUV"}, {TUV_2019, TUV_2005}),
        ({"country": "tuv"}, {TUV_2019, TUV_2005}),
        ({"year": 2019}, {TUV_2019, FJI_2019}),
        ({"doc_type": "speech", "year": 2005}, {TUV_2005}),
        ({"country": "ZZZ"}, set()),
    ],
)
def test_documents_filters(client: TestClient, params: dict, expected: set):
    body = client.get("/documents", params=params).json()

    assert {d["source"] for d in body["documents"]} == expected
    assert body["total"] == len(expected)


def test_communique_documents_by_doc_type(client: TestClient):
    body = client.get("/documents", params={"doc_type": "communique"}).json()

    assert body["total"] == 2
    assert {d["source"].rsplit(".", 1)[1] for d in body["documents"]} == {"txt", "pdf"}


def test_document_returns_its_metadata(client: TestClient):
    response = client.get("/documents/ungdc-pacific-tuv_74_2019-txt")

    assert response.status_code == 200
    document = response.json()
    assert document["id"] == "ungdc-pacific-tuv_74_2019-txt"
    assert document["source"] == TUV_2019
    assert document["country"] == "TUV" and document["year"] == 2019
    assert document["title"].startswith("Tuvalu")
    assert document["passage_count"] > 0
    assert document["text"] is None


def test_document_text_is_what_result_offsets_point_into(client: TestClient):
    results = client.post("/search", json={"query": "climate change trade", "k": 50}).json()
    texts: dict[str, str] = {}
    for result in results["results"]:
        doc_id = result["document"]["id"]
        if doc_id not in texts:
            response = client.get(f"/documents/{doc_id}", params={"include_text": "true"})
            assert response.status_code == 200
            texts[doc_id] = response.json()["text"]
        assert texts[doc_id][result["start"] : result["end"]] == result["text"]

    assert len(texts) >= 3


def test_pdf_document_text_is_what_result_offsets_point_into(client: TestClient):
    doc_id = "oco-oco-26th-annual-conference-2024-communique-pdf"
    text = client.get(f"/documents/{doc_id}?include_text=true").json()["text"]
    results = client.post(
        "/search", json={"query": "Session", "k": 50, "filters": {"document_id": doc_id}}
    ).json()["results"]

    assert results
    for result in results:
        assert text[result["start"] : result["end"]] == result["text"]


# -- health and docs -----------------------------------------------------------------------


def test_health_names_the_published_generation_and_its_size(client: TestClient, shared_index):
    response = client.get("/health")

    assert response.status_code == 200
    health = response.json()
    assert health["status"] == "ok"
    assert health["generation"] == (shared_index / "CURRENT").read_text().strip()
    assert health["model"] == "fake-64"
    assert health["query_precision"] is None  # the fake embedder has none
    assert health["documents"] == 6
    assert health["passages"] > health["documents"]
    assert health["created"]


def test_openapi_schema_is_served(client: TestClient):
    response = client.get("/openapi.json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/search", "/documents", "/documents/{doc_id}", "/health"} <= set(paths)
    assert {"get", "post"} <= set(paths["/search"])


def test_docs_page_is_served_without_the_internet(client: TestClient):
    response = client.get("/docs")

    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]
    # its script and style come from this server, not a CDN the offline machines cannot reach
    assert "cdn." not in response.text and "http://" not in response.text
    for asset in re.findall(r"""(?:src|href)=['"](/[^'"]+\.(?:js|css))""", response.text):
        assert client.get(asset).status_code == 200
    assert client.get("/redoc").status_code == 200


# -- reloading a newly published generation ------------------------------------------------

NEW_SOURCE = "notes/savanna.txt"
NEW_TEXT = "Zebra, giraffe and okapi graze the savanna while antelope migrate. " * 4


@pytest.fixture
def own_index(tmp_path: Path) -> tuple[Path, Path]:
    """A corpus and index this test may change."""
    corpus = copy_corpus(tmp_path / "corpus")
    build(corpus, tmp_path / "index", FakeEmbedder())
    return corpus, tmp_path / "index"


def reloading(corpus: Path, index_dir: Path, every: float) -> Settings:
    """Settings of an app that looks for a newly published generation every `every` s."""
    return Settings(
        index_dir=index_dir, corpus_dir=corpus, model="fake", reload_check_seconds=every
    )


def test_running_app_answers_from_a_newly_published_generation(own_index):
    corpus, index_dir = own_index
    settings = reloading(corpus, index_dir, every=0)
    with serve(settings) as client:
        before = client.get("/health").json()
        (corpus / "notes").mkdir()
        (corpus / NEW_SOURCE).write_text(NEW_TEXT, encoding="utf-8")
        report = build(corpus, index_dir, FakeEmbedder())
        assert report.published and report.added == [NEW_SOURCE]

        after = client.get("/health").json()
        results = client.post("/search", json={"query": "zebra giraffe okapi", "k": 1}).json()
        listed = client.get("/documents").json()

    assert after["generation"] == report.generation != before["generation"]
    assert after["documents"] == before["documents"] + 1
    assert results["results"][0]["source"] == NEW_SOURCE
    assert listed["total"] == 7


def test_running_app_forgets_a_removed_document_after_rebuild(own_index):
    corpus, index_dir = own_index
    settings = reloading(corpus, index_dir, every=0)
    doc_id = "ungdc-pacific-tuv_60_2005-txt"
    with serve(settings) as client:
        assert client.get(f"/documents/{doc_id}").status_code == 200
        (corpus / TUV_2005).unlink()
        assert build(corpus, index_dir, FakeEmbedder()).removed == [TUV_2005]

        gone = client.get(f"/documents/{doc_id}")
        results = client.get("/search", params={"q": "climate", "k": 50, "year": 2005})

    check_error(gone, 404, "not_found")
    assert results.json()["results"] == []


def test_groups_after_a_rebuild_hold_the_passages_of_their_own_document(own_index):
    # Removing a document renumbers the passages after it: grouping, facets and duplicate
    # collapsing must read the new generation's passages, not the old one's.
    corpus, index_dir = own_index
    settings = reloading(corpus, index_dir, every=0)
    body = {"query": "climate change", "k": 10, "group_by": "document", "facets": True}
    with serve(settings) as client:
        client.post("/search", json=body)  # the first generation's tables are read
        (corpus / TUV_2005).unlink()
        assert build(corpus, index_dir, FakeEmbedder()).removed == [TUV_2005]
        data = client.post("/search", json=body).json()

    assert data["groups"]
    for group in data["groups"]:
        assert {r["document"]["id"] for r in group["results"]} == {group["document"]["id"]}
        assert group["document"]["id"] != "ungdc-pacific-tuv_60_2005-txt"
    assert 2005 not in {int(year) for year in data["facets"]["year"]}


def test_app_waits_for_the_reload_interval_before_switching(own_index):
    corpus, index_dir = own_index
    settings = reloading(corpus, index_dir, every=3600)
    with serve(settings) as client:
        before = client.get("/health").json()["generation"]
        (corpus / "notes").mkdir()
        (corpus / NEW_SOURCE).write_text(NEW_TEXT, encoding="utf-8")
        assert build(corpus, index_dir, FakeEmbedder()).published

        assert client.get("/health").json()["generation"] == before


def test_app_keeps_serving_when_the_new_generation_has_another_model(own_index):
    corpus, index_dir = own_index
    settings = reloading(corpus, index_dir, every=0)
    with serve(settings) as client:
        before = client.get("/health").json()["generation"]
        assert build(corpus, index_dir, FakeEmbedder(dimension=32), force=True).published

        health = client.get("/health")
        search = client.post("/search", json={"query": "climate", "k": 3})

    assert health.status_code == 200 and health.json()["generation"] == before
    assert search.status_code == 200 and len(search.json()["results"]) == 3


def test_app_started_before_the_first_index_serves_it_once_built(tmp_path: Path):
    # The 503 tells the user to run `confsearch index`; doing so should be enough.
    corpus = copy_corpus(tmp_path / "corpus")
    index_dir = tmp_path / "index"
    settings = reloading(corpus, index_dir, every=0)
    with serve(settings) as client:
        check_error(client.get("/health"), 503, "unavailable")
        build(corpus, index_dir, FakeEmbedder())

        response = client.post("/search", json={"query": "climate", "k": 3})

    assert response.status_code == 200, response.text
    assert len(response.json()["results"]) == 3


def test_app_serves_the_new_generation_after_the_previous_one_is_pruned(own_index):
    corpus, index_dir = own_index
    settings = reloading(corpus, index_dir, every=0)
    with serve(settings) as client:
        client.get("/health")
        (corpus / "notes").mkdir()
        for i in range(3):  # three builds: the first generation is pruned
            (corpus / "notes" / f"note{i}.txt").write_text(f"Okapi number {i}. " + NEW_TEXT)
            assert build(corpus, index_dir, FakeEmbedder()).published
            response = client.post("/search", json={"query": "okapi zebra", "k": 3})
            assert response.status_code == 200, response.text

        listed = client.get("/documents").json()

    assert listed["total"] == 9


def test_app_keeps_answering_after_the_generation_it_serves_is_pruned(
    own_index, monkeypatch: pytest.MonkeyPatch
):
    # Two builds between two reload checks prune the generation the app still serves
    # (KEEP_GENERATIONS = 2). Generation names are made to follow build order, as they do
    # when builds fall in different seconds.
    stamps = itertools.count(1)
    clock = SimpleNamespace(
        strftime=lambda fmt, t=None: f"20991231T{next(stamps):06d}",
        gmtime=time.gmtime,
        time=time.time,
    )
    monkeypatch.setattr(indexer.store, "time", clock)
    corpus, index_dir = own_index
    settings = reloading(corpus, index_dir, every=3600)
    with serve(settings) as client:
        served = client.get("/health").json()["generation"]
        (corpus / "notes").mkdir()
        for i in range(2):
            (corpus / "notes" / f"note{i}.txt").write_text(f"Okapi number {i}. " + NEW_TEXT)
            assert build(corpus, index_dir, FakeEmbedder()).published
        assert not (index_dir / served).exists()

        response = client.post("/search", json={"query": "climate", "k": 3})

    assert response.status_code == 200, response.text
    assert len(response.json()["results"]) == 3


# -- CORS ----------------------------------------------------------------------------------

MEMBER = "https://member.example"


@pytest.fixture
def cors_client(settings: Settings):
    with serve(settings.model_copy(update={"cors_origins": [MEMBER]})) as client:
        yield client


def test_cors_allows_a_configured_origin(cors_client: TestClient):
    response = cors_client.get("/search", params={"q": "climate"}, headers={"Origin": MEMBER})

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == MEMBER


def test_cors_does_not_allow_another_origin(cors_client: TestClient):
    response = cors_client.get(
        "/search", params={"q": "climate"}, headers={"Origin": "https://other.example"}
    )

    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


def test_cors_headers_are_on_error_responses_too(cors_client: TestClient):
    response = cors_client.get("/search", params={"q": ""}, headers={"Origin": MEMBER})

    check_error(response, 422)
    assert response.headers["access-control-allow-origin"] == MEMBER


def test_cors_preflight_for_a_json_post(cors_client: TestClient):
    response = cors_client.options(
        "/search",
        headers={
            "Origin": MEMBER,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == MEMBER
    assert "POST" in response.headers["access-control-allow-methods"]


def test_without_cors_origins_no_origin_is_allowed(client: TestClient):
    response = client.get("/search", params={"q": "climate"}, headers={"Origin": MEMBER})

    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


# -- fields --------------------------------------------------------------------------------


def test_fields_lists_the_declared_fields_and_the_widget_summary(client: TestClient):
    body = client.get("/fields").json()

    assert [f["name"] for f in body["fields"]] == list(NAMES)
    year = next(f for f in body["fields"] if f["name"] == "year")
    assert year == {**year, "type": "integer", "filter": True, "facet": True}
    assert body["summary"] == SUMMARY


def test_every_filter_is_a_get_parameter_of_search_and_documents(client: TestClient):
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/search", "/documents"):
        names = {p["name"] for p in paths[path]["get"]["parameters"]}
        assert set(FILTERS) | {"year_from", "year_to"} <= names, path


def test_documents_filter_by_a_year_range_and_refuse_unknown_parameters(client: TestClient):
    body = client.get("/documents", params={"year_from": 2006, "year_to": 2020}).json()
    misspelt = client.get("/documents", params={"contry": "TUV"})

    assert body["total"] > 0 and all(2006 <= d["year"] <= 2020 for d in body["documents"])
    assert "contry" in check_error(misspelt, 422, "invalid_request")
