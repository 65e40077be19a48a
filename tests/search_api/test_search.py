"""POST /search: the response, ranking, paging, filters before ranking and collapsing of
duplicate passages; and parse_filters, which turns the API's filter object into SQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import search_api.dense as dense_module
from indexer.build import build
from indexer.embedders.fake import FakeEmbedder
from indexer.fields import FILTERS as FILTER_FIELDS
from indexer.fields import NAMES
from indexer.store import Generation, IndexError_
from search_api import keyword
from search_api.filters import parse_filters
from search_api.keyword import Match, fts_query
from search_api.query import Query, QueryError
from search_api.search import Searcher
from search_api.settings import Settings
from tests.conftest import COMMUNIQUE_PDF, COMMUNIQUE_TXT, REPO, copy_corpus
from tests.search_api.conftest import (
    AUS_2024,
    FJI_2019,
    TUV_2005,
    TUV_2019,
    overlaps,
    serve,
)

EVAL_QUESTIONS = REPO / "eval" / "questions.jsonl"
DOCUMENT_KEYS = {"id", *NAMES, "source"}  # every declared field (indexer/fields.py)


# -- the response --------------------------------------------------------------------------


def test_search_returns_the_documented_shape(client: TestClient, shared_corpus: Path):
    response = client.post("/search", json={"query": "climate change", "k": 3})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"query", "mode", "took_ms", "offset", "k", "results", "understood"}
    assert body["query"] == "climate change"
    assert body["understood"] == {}  # no year, country, organisation or type in the words
    assert isinstance(body["took_ms"], int | float) and body["took_ms"] >= 0
    assert body["offset"] == 0 and body["k"] == 3
    for result in body["results"]:
        assert isinstance(result["text"], str) and result["text"]
        assert isinstance(result["score"], float)
        assert not Path(result["source"]).is_absolute()
        assert (shared_corpus / result["source"]).is_file()
        assert "section" in result and "page" in result
        assert result["highlight"] and result["highlight"] in result["text"]
        assert isinstance(result["also_in"], list)
        document = result["document"]
        assert set(document) >= DOCUMENT_KEYS
        assert document["source"] == result["source"]
        assert result["id"].startswith(document["id"] + "#")


def test_speech_result_carries_its_metadata(search):
    results = search("Tuvalu", k=1, filters={"document_id": "ungdc-pacific-tuv_74_2019-txt"})

    document = results[0]["document"]
    assert document["country"] == "TUV"
    assert document["country_name"] == "Tuvalu"
    assert document["year"] == 2019
    assert document["doc_type"] == "speech"
    assert document["organisation"] == "United Nations General Assembly"
    assert results[0]["source"] == TUV_2019
    assert results[0]["page"] is None  # a text file has no pages


def test_pdf_result_carries_the_page_it_starts_on(search):
    results = search(
        "Session",
        k=5,
        filters={"document_id": "oco-oco-26th-annual-conference-2024-communique-pdf"},
    )

    assert results
    assert all(isinstance(r["page"], int) and r["page"] >= 1 for r in results)


def test_results_are_sorted_by_score_best_first(search):
    results = search("sea level rise and climate change", k=20)

    scores = [r["score"] for r in results]
    assert len(scores) == 20
    assert scores == sorted(scores, reverse=True)


def test_passage_sharing_the_query_words_ranks_first(search):
    query = "Session Four: Panel discussions on Emerging trends in Pacific trade and logistics"
    results = search(query + " e-commerce", k=3)

    assert results[0]["section"] == "Session Four"
    assert "e-commerce" in results[0]["text"]


@pytest.mark.parametrize("k", [1, 3, 7, 25])
def test_k_sets_the_number_of_results(client: TestClient, k: int):
    body = client.post("/search", json={"query": "climate change", "k": k}).json()

    assert body["k"] == k
    assert len(body["results"]) == k


def test_k_defaults_to_ten(search):
    assert len(search("climate change")) == 10


def test_offset_gives_the_next_page_without_overlap(client: TestClient):
    def page(offset: int, k: int) -> list[str]:
        body = client.post("/search", json={"query": "trade", "k": k, "offset": offset}).json()
        assert body["offset"] == offset
        return [r["id"] for r in body["results"]]

    first, second, both = page(0, 5), page(5, 5), page(0, 10)

    assert len(first) == len(second) == 5
    assert not set(first) & set(second)
    assert first + second == both


def test_offset_past_the_results_gives_an_empty_page(search):
    assert search("climate", k=10, offset=1000) == []


def test_highlight_is_the_text_at_its_offsets(search):
    for result in search("climate change sea level rise", k=30):
        start, end = result["highlight_offsets"]
        assert 0 <= start < end <= len(result["text"])
        assert result["text"][start:end] == result["highlight"]


def test_query_whitespace_is_collapsed_in_the_echoed_query(client: TestClient):
    body = client.post("/search", json={"query": "  climate \n  change\t"}).json()

    assert body["query"] == "climate change"


# -- filters before ranking ----------------------------------------------------------------


def test_country_and_year_filters_give_k_passages_of_that_speech(search):
    results = search(
        "what did they say on e-commerce", k=10, filters={"country": "TUV", "year": 2019}
    )

    assert len(results) == 10
    assert {r["source"] for r in results} == {TUV_2019}


def test_year_list_filter_keeps_only_those_years(search):
    results = search("climate change", k=50, filters={"year": [2005, 2019]})

    assert {r["document"]["year"] for r in results} == {2005, 2019}
    assert {r["source"] for r in results} == {TUV_2005, TUV_2019, FJI_2019}


def test_year_range_filter_is_inclusive(search):
    results = search("climate change", k=50, filters={"year": {"gte": 2005, "lte": 2019}})

    assert {r["document"]["year"] for r in results} == {2005, 2019}


def test_exclusive_year_range_filter(search):
    results = search("climate change", k=50, filters={"year": {"gt": 2005, "lt": 2024}})

    assert {r["document"]["year"] for r in results} == {2019}


def test_open_year_range_filter(search):
    results = search("climate change", k=50, filters={"year": {"gte": 2020}})

    assert results
    assert {r["document"]["year"] for r in results} == {2024}


def test_year_given_as_a_string_filters_like_a_number(search):
    assert search("climate", k=5, filters={"year": "2005"}) == search(
        "climate", k=5, filters={"year": 2005}
    )


def test_doc_type_filter(search):
    results = search("climate change and trade", k=10, filters={"doc_type": "communique"})

    assert len(results) == 10
    assert {r["document"]["doc_type"] for r in results} == {"communique"}


def test_country_list_filter(search):
    results = search("climate change", k=50, filters={"country": ["TUV", "FJI"]})

    assert {r["document"]["country"] for r in results} == {"TUV", "FJI"}


def test_place_filter(search):
    results = search("climate change", k=50, filters={"place": "Rarotonga, Cook Islands"})

    assert results
    assert {r["document"]["doc_type"] for r in results} == {"communique"}


def test_document_id_filter(search):
    results = search("climate", k=5, filters={"document_id": "ungdc-pacific-aus_79_2024-txt"})

    assert len(results) == 5
    assert {r["source"] for r in results} == {AUS_2024}


@pytest.mark.parametrize(
    "filters",
    [
        {"country": "tuv", "year": 2019},
        {"country": "Tuv", "year": 2019},
        {"country": ["tuv"], "year": 2019},
    ],
)
def test_string_filters_ignore_case(search, filters: dict):
    expected = search("climate change", k=10, filters={"country": "TUV", "year": 2019})

    assert search("climate change", k=10, filters=filters) == expected


def test_doc_type_filter_ignores_case(search):
    results = search("climate", k=5, filters={"doc_type": "SPEECH"})

    assert len(results) == 5
    assert {r["document"]["doc_type"] for r in results} == {"speech"}


@pytest.mark.parametrize(
    "filters",
    [
        {"country": "ZZZ"},
        {"year": 1950},
        {"year": {"gte": 2030}},
        {"country": "TUV", "year": 2024},
        {"doc_type": "resolution"},
    ],
)
def test_filter_matching_nothing_gives_empty_results(client: TestClient, filters: dict):
    response = client.post("/search", json={"query": "climate", "filters": filters})

    assert response.status_code == 200
    assert response.json()["results"] == []


def test_filter_with_fewer_passages_than_k_returns_only_that_document(search, client: TestClient):
    doc_id = "ungdc-pacific-tuv_60_2005-txt"
    passage_count = client.get(f"/documents/{doc_id}").json()["passage_count"]

    results = search("climate", k=50, filters={"document_id": doc_id})

    assert 0 < len(results) <= passage_count < 50
    assert {r["source"] for r in results} == {TUV_2005}


# A small document unlike any question about climate: filtering must still find it.
RARE_PARAGRAPH = (
    "Paragraph {i}. Basalt columns form when lava cools slowly; obsidian glass and pumice "
    "float. Geologists map magma chambers, fumaroles, tephra layers and caldera rims near "
    "volcano number {i}. Seismographs record tremors before eruptions."
)
RARE_SOURCE = "notes/volcano.txt"


@pytest.fixture(scope="module")
def rare_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("rare")
    corpus = copy_corpus(root / "corpus")
    (corpus / "notes").mkdir()
    text = "\n\n".join(RARE_PARAGRAPH.format(i=i) for i in range(14))
    (corpus / RARE_SOURCE).write_text(text, encoding="utf-8")
    sidecar = {"country": "NRU", "year": 1999, "doc_type": "field_note", "speaker": "Dr Rock"}
    (corpus / (RARE_SOURCE + ".meta.json")).write_text(json.dumps(sidecar), encoding="utf-8")
    report = build(corpus, root / "index", FakeEmbedder())
    assert RARE_SOURCE in report.added
    return Settings(index_dir=root / "index", corpus_dir=corpus, model="fake")


QUESTION = "climate change sea level rise Tuvalu"


def test_filter_on_a_rare_document_returns_k_of_its_passages(rare_settings: Settings):
    with serve(rare_settings) as client:
        unfiltered = client.post("/search", json={"query": QUESTION, "k": 30}).json()["results"]
        filtered = client.post(
            "/search", json={"query": QUESTION, "k": 4, "filters": {"country": "NRU"}}
        ).json()["results"]

    assert RARE_SOURCE not in {r["source"] for r in unfiltered}  # far from the question
    assert len(filtered) == 4
    assert {r["source"] for r in filtered} == {RARE_SOURCE}


def test_filter_on_a_large_index_uses_the_vector_index_and_returns_k(
    rare_settings: Settings, monkeypatch: pytest.MonkeyPatch
):
    # Above EXACT_SCAN_LIMIT candidates the filter is applied inside FAISS; force that path.
    monkeypatch.setattr(dense_module, "EXACT_SCAN_LIMIT", 0)
    with serve(rare_settings) as client:
        rare = client.post(
            "/search", json={"query": QUESTION, "k": 4, "filters": {"country": "NRU"}}
        ).json()["results"]
        tuvalu = client.post(
            "/search",
            json={"query": QUESTION, "k": 10, "filters": {"country": "TUV", "year": 2019}},
        ).json()["results"]

    assert len(rare) == 4 and {r["source"] for r in rare} == {RARE_SOURCE}
    assert len(tuvalu) == 10 and {r["source"] for r in tuvalu} == {TUV_2019}
    assert [r["score"] for r in tuvalu] == sorted((r["score"] for r in tuvalu), reverse=True)


def test_extra_sidecar_metadata_is_returned_with_the_document(rare_settings: Settings):
    with serve(rare_settings) as client:
        results = client.post(
            "/search", json={"query": "basalt", "k": 1, "filters": {"country": "NRU"}}
        ).json()["results"]

    assert results[0]["document"]["speaker"] == "Dr Rock"
    assert results[0]["document"]["doc_type"] == "field_note"


# -- collapsing duplicates -----------------------------------------------------------------


def test_communique_passage_is_returned_once_with_the_other_rendition_in_also_in(search):
    results = search("Session Four panel discussions e-commerce", k=50)

    session_four = [r for r in results if r["section"] == "Session Four"]
    assert len(session_four) == 1
    hit = session_four[0]
    renditions = {COMMUNIQUE_TXT, COMMUNIQUE_PDF}
    assert hit["source"] in renditions
    assert hit["also_in"] == sorted(renditions - {hit["source"]})


def test_no_passage_text_is_returned_twice(search):
    for query in ("Session Four e-commerce", "customs revenue undervaluation", "climate"):
        texts = [" ".join(r["text"].split()) for r in search(query, k=50)]
        assert len(texts) == len(set(texts)), query


def test_duplicates_are_collapsed_across_pages(client: TestClient):
    seen: list[str] = []
    for offset in (0, 10, 20):
        body = {"query": "customs trade conference", "k": 10, "offset": offset}
        seen += [
            " ".join(r["text"].split()) for r in client.post("/search", json=body).json()["results"]
        ]

    assert len(seen) == 30
    assert len(seen) == len(set(seen))


def test_results_of_one_document_never_overlap(search, client: TestClient):
    doc_id = "ungdc-pacific-fji_74_2019-txt"  # long sections: passages share a sentence
    passage_count = client.get(f"/documents/{doc_id}").json()["passage_count"]

    results = search("climate change and the ocean", k=50, filters={"document_id": doc_id})

    assert len(results) < passage_count  # the overlapping neighbours were left out
    for i, a in enumerate(results):
        for b in results[i + 1 :]:
            assert not overlaps(a, b), (a["id"], b["id"])


def test_unfiltered_results_of_one_document_never_overlap(search):
    results = search("climate change development ocean", k=50)

    for i, a in enumerate(results):
        for b in results[i + 1 :]:
            if a["document"]["id"] == b["document"]["id"]:
                assert not overlaps(a, b), (a["id"], b["id"])


# -- the Searcher directly -----------------------------------------------------------------


def test_searcher_rejects_an_empty_query(shared_index: Path):
    searcher = Searcher(shared_index, FakeEmbedder())
    try:
        with pytest.raises(QueryError, match="empty"):
            searcher.search(Query(" \n\t "))
    finally:
        searcher.close()


def test_searcher_refuses_an_index_built_with_another_model(shared_index: Path):
    with pytest.raises(IndexError_, match="fake-64"):
        Searcher(shared_index, FakeEmbedder(dimension=32))


# -- parse_filters -------------------------------------------------------------------------


def test_parse_filters_without_filters_is_no_condition():
    assert parse_filters(None) == ("", [])
    assert parse_filters({}) == ("", [])


def test_parse_filters_single_value_coerces_the_type():
    where, params = parse_filters({"year": "2019", "country": " TUV "})

    assert params == [2019, "TUV"]
    assert where.count("?") == 2 and " AND " in where


def test_parse_filters_list_takes_every_value():
    where, params = parse_filters({"year": [2005, "2019"]})

    assert params == [2005, 2019]
    assert "IN (?, ?)" in where


def test_parse_filters_range_takes_both_bounds():
    where, params = parse_filters({"year": {"gte": 2015, "lte": "2019"}})

    assert params == [2015, 2019]
    assert ">= ?" in where and "<= ?" in where


def test_parse_filters_unknown_field_names_the_allowed_fields():
    with pytest.raises(QueryError) as error:
        parse_filters({"colour": "red"})

    assert "colour" in str(error.value)
    for name in FILTER_FIELDS:
        assert name in str(error.value)


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"year": {"from": 2015}}, "gte, lte"),
        ({"year": {}}, "range"),
        ({"year": []}, "empty"),
        ({"year": "abc"}, "whole number"),
        ({"year": ["2019", "abc"]}, "whole number"),
        ({"year": {"gte": "abc"}}, "whole number"),
        ({"country": "  "}, "empty"),
        ({"year": True}, "not a valid value"),
        ({"country": None}, "not a valid value"),
        ({"country": [["TUV"]]}, "not a valid value"),
    ],
)
def test_parse_filters_rejects_bad_values_with_a_reason(filters: dict, message: str):
    with pytest.raises(QueryError, match=message):
        parse_filters(filters)


# -- the keyword leg at scale: cut to the rarest words -----------------------------------------


def test_generation_counts_the_passages_of_each_token(shared_index: Path):
    generation = Generation.open_current(shared_index)
    try:
        stored = generation.query("SELECT term, docs FROM passages_vocab ORDER BY term")
        generation.query("CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, passages_fts, row)")
        counted = generation.query("SELECT term, doc FROM temp.v")
    finally:
        generation.close()
    assert len(stored) > 1000
    assert list(map(tuple, stored)) == list(map(tuple, counted))


def test_eval_questions_are_searched_whole_on_a_small_index(shared_index: Path):
    questions = [json.loads(line)["question"] for line in EVAL_QUESTIONS.read_text().splitlines()]
    searcher = Searcher(shared_index, FakeEmbedder())
    try:
        for question in questions:
            matches = searcher.keyword.queries(searcher.generation, question)
            assert [m.expression for m in matches] == [fts_query(question)]
    finally:
        searcher.close()


@pytest.fixture
def searcher(shared_index: Path):
    searcher = Searcher(shared_index, FakeEmbedder())
    yield searcher
    searcher.close()


def test_over_budget_a_common_word_is_left_out_and_the_rare_word_finds_its_passage(
    searcher: Searcher, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(keyword, "POSTING_BUDGET", 10)
    monkeypatch.setattr(keyword, "CORE_BUDGET", 10)

    matches = searcher.keyword.queries(searcher.generation, "Pacific Falepili")
    hits = searcher.search(Query("Pacific Falepili", k=3, mode="keyword")).hits

    assert [m.expression for m in matches] == ['"falepili"']
    assert hits[0].source == AUS_2024 and "Falepili" in hits[0].text


def test_rare_words_never_together_fall_back_to_the_rarest_alone(
    searcher: Searcher, monkeypatch: pytest.MonkeyPatch
):
    # Every word over the budget: the rarest two are required together, which no passage
    # has ("customs" is the communiqué's, "Falepili" Australia's speech's).
    monkeypatch.setattr(keyword, "POSTING_BUDGET", 0)
    monkeypatch.setattr(keyword, "CORE_BUDGET", 0)

    matches = searcher.keyword.queries(searcher.generation, "Falepili customs")
    hits = searcher.search(Query("Falepili customs", k=3, mode="keyword")).hits

    assert [m.expression for m in matches] == ['"falepili" AND "customs"', '"falepili"']
    assert hits and "Falepili" in hits[0].text


def test_keyword_leg_ranks_the_passages_of_each_expression_after_the_previous_ones(
    searcher: Searcher,
):
    gen, leg = searcher.generation, searcher.keyword
    both = Match((("climate",), ("tuvalu",)), every=True)
    climate = Match((("climate",),))
    together = leg.search(gen, [both], 1000)
    alone = leg.search(gen, [climate], 1000)
    assert 0 < len(together) < len(alone) < 1000

    merged = leg.search(gen, [both, climate], 1000)
    first = leg.search(gen, [both, climate], 3)

    assert merged == together + [i for i in alone if i not in together]
    assert first == together[:3]  # enough passages: the next expression is not searched


# -- filters as people write them -----------------------------------------------------------


def _documents_of(client, filters: dict) -> set[str]:
    response = client.post("/search", json={"query": "customs", "k": 50, "filters": filters})
    assert response.status_code == 200, response.text
    return {hit["document"]["id"] for hit in response.json()["results"]}


def test_a_country_filter_takes_the_name_as_well_as_the_code(client):
    by_code = _documents_of(client, {"country": "TUV"})

    assert by_code and _documents_of(client, {"country": "Tuvalu"}) == by_code
    assert _documents_of(client, {"country": "tuv"}) == by_code


@pytest.mark.parametrize("when", ["2024-07", "2024", "2024-07-29", ["2019", "2024-07"]])
def test_a_date_filter_takes_a_day_a_month_or_a_year(client, when):
    # the communiqué is dated by a range, 2024-07-29/2024-07-31: it counts by its first day
    found = _documents_of(client, {"date": when})

    assert found and all("communique" in doc for doc in found)


@pytest.mark.parametrize(
    ("bounds", "found"),
    [
        ({"gte": "2024-07", "lte": "2024-07"}, True),  # lte a month: to its last day
        ({"gt": "2024-07"}, False),
        ({"lt": "2024-07-29"}, False),
        ({"lte": "2024-07-29"}, True),
    ],
)
def test_a_date_range_bounds_a_month_by_its_days(client, bounds, found):
    assert bool(_documents_of(client, {"date": bounds})) is found
