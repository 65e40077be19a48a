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
