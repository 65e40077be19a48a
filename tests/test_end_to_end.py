"""The whole path with the real embedded model: index real documents, ask over HTTP."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from indexer.build import build
from search_api.app import create_app, make_embedder
from search_api.settings import Settings
from tests.conftest import copy_corpus

pytestmark = pytest.mark.model

SPEECHES = [
    "TUV_74_2019.txt", "TUV_75_2020.txt", "TUV_73_2018.txt", "FJI_74_2019.txt",
    "KIR_74_2019.txt", "PNG_74_2019.txt", "NZL_74_2019.txt", "AUS_74_2019.txt",
]  # fmt: skip


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("e2e")
    corpus = copy_corpus(root / "corpus", SPEECHES)
    settings = Settings(corpus_dir=corpus, index_dir=root / "index")
    report = build(corpus, settings.index_dir, make_embedder(settings))
    assert report.published and not report.skipped
    return settings


@pytest.fixture(scope="module")
def client(settings: Settings):
    with TestClient(create_app(settings, make_embedder(settings))) as test_client:
        yield test_client


def test_the_servers_own_model_embeds_questions_on_query_threads(settings: Settings):
    import torch

    seen: list[int] = []
    with TestClient(create_app(settings.model_copy(update={"query_threads": 1}))) as client:
        embedder = client.app.state.searcher.queries.embedder  # int8 where the CPU is fast
        encode = embedder._encode

        def spy(*args):
            seen.append(torch.get_num_threads())  # per OS thread: read on the model's own
            return encode(*args)

        embedder._encode = spy
        assert client.post("/search", json={"query": "sea level rise"}).status_code == 200
    assert seen == [1]


def test_questions_use_the_query_precision_and_passages_the_index_precision(settings: Settings):
    chosen = settings.model_copy(update={"precision": "fp32", "query_precision": "bf16"})
    with TestClient(create_app(chosen)) as client:
        assert client.app.state.searcher.queries.embedder.precision == "bf16"
        assert client.app.state.embedder.precision == "fp32"  # what admin builds embed with
        assert client.get("/health").json()["query_precision"] == "bf16"
        response = client.post("/search", json={"query": "what was said on e-commerce"})
        assert response.json()["results"][0]["section"] == "Session Four"


def test_e_commerce_question_finds_session_four_first(client: TestClient):
    response = client.post("/search", json={"query": "what was said on e-commerce", "k": 3})
    assert response.status_code == 200
    first = response.json()["results"][0]
    assert first["section"] == "Session Four"
    assert "e-commerce" in first["highlight"]
    for name in ("Kiribati", "PNG", "New Zealand", "PIFS"):
        assert name in first["text"]
    assert first["document"]["doc_type"] == "communique"
    # The PDF rendition says the same: it is folded into the first hit, not repeated.
    sources = [r["source"] for r in response.json()["results"]]
    assert len(set(sources)) == len(sources) or first["also_in"]


DESCRIPTION = (
    "At which regional gathering did supporting organisations present new system features as "
    "tools for measuring how well administrations are doing, and stress that good handling of "
    "information yields the best outcomes?"
)  # eval/questions.jsonl db-050: none of the paragraph's own words


def test_a_description_in_other_words_finds_its_paragraph_by_its_clauses(settings: Settings):
    ranks = {}
    for clause_matching in ("pooled", "separate", "off"):
        changed = settings.model_copy(update={"clause_matching": clause_matching})
        with TestClient(create_app(changed)) as client:
            body = client.post("/search", json={"query": DESCRIPTION, "k": 10}).json()
        ranks[clause_matching] = next(
            (rank for rank, hit in enumerate(body["results"], 1)
             if "enablers for performance management" in hit["text"]), None
        )  # fmt: skip
    assert ranks["pooled"] == ranks["separate"] == 1
    assert ranks["off"] is None or ranks["off"] > 1


def test_tuvalu_climate_question_with_filters_returns_only_that_speech(client: TestClient):
    body = {
        "query": "what did Tuvalu say about climate change in 2019",
        "k": 5,
        "filters": {"country": "TUV", "year": 2019},
    }
    results = client.post("/search", json=body).json()["results"]
    assert len(results) == 5
    assert {r["source"] for r in results} == {"ungdc-pacific/TUV_74_2019.txt"}
    assert "climate" in " ".join(r["text"].lower() for r in results[:2])


def test_pdf_passages_carry_the_page_they_start_on(client: TestClient):
    pdf_id = "oco-oco-26th-annual-conference-2024-communique-pdf"
    body = {"query": "undervaluation in regional trade", "k": 5, "filters": {"document_id": pdf_id}}
    first = client.post("/search", json=body).json()["results"][0]
    assert first["section"] == "Session Ten"
    assert first["page"] == 3
