"""British and American spellings meet in the keyword leg."""

from __future__ import annotations

import pytest

from search_api.keyword import fts_query
from search_api.spelling import variants
from tests.search_api.conftest import serve


@pytest.mark.parametrize(
    ("word", "other"),
    [("organisation", "organization"), ("organization", "organisation"),
     ("programme", "program"), ("defence", "defense"), ("harbour", "harbor"),
     ("recognised", "recognized"), ("analyse", "analyze"), ("centre", "center"),
     ("labour", "labor"), ("modelling", "modeling")],
)  # fmt: skip
def test_each_spelling_gives_the_other(word: str, other: str):
    assert other in variants(word)


@pytest.mark.parametrize("word", ["customs", "four", "tour", "rise", "is", "e-commerce", "2019"])
def test_words_without_another_spelling_get_none(word: str):
    assert [v for v in variants(word) if v.isalpha() and len(v) < 4] == []
    assert "four" not in variants("for") and variants("customs") == []


def test_the_keyword_query_asks_for_either_spelling():
    assert '("organisation" OR "organization")' in fts_query("the customs organisation")


def test_a_document_spelt_the_other_way_is_found_in_keyword_mode(settings, tmp_path):
    from indexer.build import build
    from indexer.embedders.fake import FakeEmbedder

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "news.txt").write_text(
        "Conference news\n\nThe conference welcomed the admission of Tokelau as the 24th "
        "member of the Oceania Customs Organization.\n",
        encoding="utf-8",
    )
    build(corpus, tmp_path / "index", FakeEmbedder())
    spelt = settings.model_copy(update={"index_dir": tmp_path / "index", "corpus_dir": corpus})
    with serve(spelt) as client:
        body = {"query": "24th member of the customs organisation", "mode": "keyword"}
        hits = client.post("/search", json=body).json()["results"]

    assert hits and "Tokelau" in hits[0]["text"]
