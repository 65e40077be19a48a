"""Hybrid, semantic and keyword modes; grouping, facets and filters in every leg."""

from __future__ import annotations

import pytest

from indexer.build import build
from indexer.embedders.fake import FakeEmbedder
from indexer.fields import FACETS
from search_api.settings import Settings
from tests.search_api.conftest import TUV_2019, check_error, serve


def test_every_mode_answers_and_says_which_it_ran(client):
    for mode in ("hybrid", "semantic", "keyword"):
        response = client.post("/search", json={"query": "e-commerce logistics", "mode": mode})
        assert response.status_code == 200
        assert response.json()["mode"] == mode
        assert response.json()["results"]


def test_keyword_mode_finds_an_exact_phrase_first(search):
    first = search("Harmonized System", mode="keyword")[0]
    assert "Harmonized System" in first["text"]


def test_hostile_query_text_is_searched_safely_in_every_mode(client):
    for query in ['"unbalanced', "AND OR NOT", "title: customs*", "e-commerce ^x", "NEAR(a b)"]:
        for mode in ("hybrid", "keyword"):
            response = client.post("/search", json={"query": query, "mode": mode})
            assert response.status_code in (200, 422), response.text
            if response.status_code == 422:
                check_error(response, 422)


def test_keyword_mode_with_only_stopwords_is_a_clear_error(client):
    response = client.post("/search", json={"query": "what about it", "mode": "keyword"})
    assert "no word" in check_error(response, 422)


def test_unknown_mode_is_rejected(client):
    check_error(client.post("/search", json={"query": "x", "mode": "fuzzy"}), 422)
    check_error(client.get("/search", params={"q": "x", "mode": "fuzzy"}), 422)


def test_keyword_leg_filters_before_ranking(search):
    # "climate" occurs in many speeches; with the filter, k passages of that one speech.
    results = search("climate", k=8, mode="keyword", filters={"country": "TUV", "year": 2019})
    assert len(results) == 8
    assert {r["source"] for r in results} == {TUV_2019}


def test_hybrid_filtered_returns_k_from_the_filtered_set(search):
    results = search("climate change", k=10, filters={"country": "TUV", "year": 2019})
    assert len(results) == 10
    assert {r["source"] for r in results} == {TUV_2019}


def test_group_by_document_returns_k_documents_with_their_passages(client):
    body = {"query": "climate change", "k": 3, "group_by": "document", "per_document": 2}
    data = client.post("/search", json=body).json()
    groups = data["groups"]
    assert len(groups) == 3
    ids = [g["document"]["id"] for g in groups]
    assert len(set(ids)) == 3
    for group in groups:
        assert 1 <= len(group["results"]) <= 2
        assert {r["document"]["id"] for r in group["results"]} == {group["document"]["id"]}
    assert len(data["results"]) == sum(len(g["results"]) for g in groups)


def test_grouped_pages_do_not_repeat_documents(client):
    body = {"query": "climate change", "k": 2, "group_by": "document"}
    first = client.post("/search", json=body).json()["groups"]
    second = client.post("/search", json={**body, "offset": 2}).json()["groups"]
    ids = [g["document"]["id"] for g in first + second]
    assert len(ids) == len(set(ids)) == 4


def test_two_renditions_of_a_document_are_one_group(client):
    # the communiqué as a text and as a PDF: one document to a reader
    body = {"query": "customs border security cooperation", "k": 5, "group_by": "document",
            "per_document": 2}  # fmt: skip
    groups = client.post("/search", json=body).json()["groups"]
    communique = [g for g in groups if g["document"]["doc_type"] == "communique"]

    assert len(communique) == 1 and len(groups) == 5


def test_facets_count_matching_documents(client):
    data = client.post("/search", json={"query": "climate", "facets": True}).json()
    facets = data["facets"]
    assert set(facets) == set(FACETS) >= {"doc_type", "year", "country"}
    assert facets["doc_type"]["speech"] >= 2
    assert sum(facets["country"].values()) <= sum(facets["doc_type"].values())
    assert "facets" not in client.post("/search", json={"query": "climate"}).json()


def test_get_search_takes_mode_grouping_and_facets(client):
    params = {"q": "climate", "mode": "keyword", "group_by": "document", "facets": "true"}
    data = client.get("/search", params=params).json()
    assert data["mode"] == "keyword" and data["groups"] and data["facets"]


def test_highlight_of_a_keyword_hit_contains_the_word(search):
    for result in search("cyclone", mode="keyword", k=3):
        assert "cyclone" in result["highlight"].lower() or "cyclone" not in result["text"].lower()


def test_every_response_shape_matches_the_documented_schema(client):
    from search_api.schemas import SearchResponse

    bodies = [
        {"query": "climate"},
        {"query": "climate", "group_by": "document", "facets": True},
        {"query": "climate", "mode": "keyword", "k": 3, "offset": 2},
        {"query": "e-commerce", "mode": "semantic", "filters": {"doc_type": "communique"}},
    ]
    for body in bodies:
        data = client.post("/search", json=body).json()
        SearchResponse.model_validate(data)
        assert set(data) <= set(SearchResponse.model_fields)


@pytest.mark.parametrize("value", ["communiqué", "Communiqués", "communique"])
def test_a_document_type_filter_as_people_write_it(client, value):
    body = {"query": "customs", "filters": {"doc_type": value}, "k": 5}
    hits = client.post("/search", json=body).json()["results"]

    assert hits and {h["document"]["doc_type"] for h in hits} == {"communique"}


def test_a_symbol_typed_alone_puts_the_passages_that_hold_it_first(tmp_path):
    """The model reads "77/276" as a number like 276: the dense leg puts resolution 276's
    passages first; the keyword leg matches the symbol as written, and ranks."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "speech.txt").write_text(
        "Statement\n\nWe welcome resolution 77/276, which asks the International Court of "
        "Justice for an advisory opinion on the obligations of States on climate change.\n"
    )
    for n in range(3):
        (corpus / f"res{n}.txt").write_text(f"Resolution 276 ({1970 + n})\n\n276 of 276: 77 "
                                            "members noted resolution 276.\n")  # fmt: skip
    assert build(corpus, tmp_path / "index", FakeEmbedder()).published
    settings = Settings(index_dir=tmp_path / "index", corpus_dir=corpus, model="fake")
    with serve(settings) as client:
        for query in ("77/276", "A/RES/77/276"):
            body = client.post("/search", json={"query": query, "k": 4}).json()
            assert body["results"][0]["document"]["id"].startswith("speech"), query
        # a question in words keeps both legs as they were
        words = client.post("/search", json={"query": "members noted resolution 276"}).json()
        assert words["results"][0]["document"]["id"].startswith("res")
