"""Answers over time: group_by=year gives one bucket per year, each with its matching
documents counted and its best passages."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_one_bucket_per_year_newest_first_with_counts(client: TestClient):
    body = client.post(
        "/search", json={"query": "climate change", "group_by": "year", "per_document": 2}
    ).json()

    years = [y["year"] for y in body["years"]]
    assert years == sorted(years, reverse=True) and len(set(years)) == len(years)
    assert {2005, 2019, 2024} <= set(years)
    for bucket in body["years"]:
        assert 1 <= len(bucket["results"]) <= 2 and bucket["documents"] >= 1
        assert all(r["document"]["year"] == bucket["year"] for r in bucket["results"])
    assert body["results"] == [r for y in body["years"] for r in y["results"]]


def test_oldest_first_and_k_years(client: TestClient):
    body = client.get(
        "/search", params={"q": "climate change", "group_by": "year", "order": "asc", "k": 2}
    ).json()

    years = [y["year"] for y in body["years"]]
    assert len(years) == 2 and years == sorted(years) and years[0] == 2005


def test_a_years_count_is_of_its_distinct_matching_documents(client: TestClient):
    body = client.post("/search", json={"query": "climate change", "group_by": "year"}).json()
    bucket = next(y for y in body["years"] if y["year"] == 2019)

    assert bucket["documents"] == 2  # Tuvalu's and Fiji's 2019 speeches


def test_counts_do_not_follow_k_or_the_page(tmp_path):
    # 30 speeches over 20 years: each leg's pool holds far fewer passages than the corpus,
    # as a real archive's does. What is counted is one round's pool whatever k and offset
    # ask for (a deeper pool for a longer page counted more documents: the chart changed).
    from indexer.build import build
    from indexer.embedders.fake import FakeEmbedder
    from search_api.query import Query
    from search_api.search import Searcher
    from tests.conftest import CORPUS, copy_corpus

    speeches = sorted(p.name for p in (CORPUS / "ungdc-pacific").glob("*.txt"))[::9][:30]
    corpus = copy_corpus(tmp_path / "corpus", speeches=speeches, pdf=False)
    build(corpus, tmp_path / "index", FakeEmbedder())
    searcher = Searcher(tmp_path / "index", FakeEmbedder())
    try:

        def counts(**ask) -> tuple:
            result = searcher.search(Query(text="climate change", facets=True, **ask))
            return tuple(sorted(result.facets["year"].items()))

        def years(**ask) -> list:
            result = searcher.search(Query(text="climate change", group_by="year", **ask))
            return [(y.year, y.documents) for y in result.years]

        assert counts(k=1) == counts(k=50) == counts(k=5, offset=200)
        assert years(k=3) == years(k=1) + years(k=2, offset=1)
        assert years(k=1) == years(k=50)[:1]
    finally:
        searcher.close()


def test_the_year_a_question_asks_about_comes_first(client: TestClient):
    # "in 2019" is understood: its bucket opens the answer, the other years follow newest first
    asked = {"query": "climate change in 2019", "group_by": "year", "k": 3}
    body = client.post("/search", json=asked).json()
    years = [y["year"] for y in body["years"]]

    assert body["understood"]["year"]["value"] == 2019
    assert years[0] == 2019 and years[1:] == sorted(years[1:], reverse=True)

    literal = client.post("/search", json=asked | {"understand": False}).json()
    assert literal["years"][0]["year"] == 2024
