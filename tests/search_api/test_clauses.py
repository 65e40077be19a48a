"""A long question cut into the clauses the dense leg matches one by one."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from search_api import clauses
from search_api import search as search_module
from search_api.dense import DenseLeg
from search_api.settings import Settings
from tests.search_api.conftest import serve


def test_a_description_is_cut_into_its_details():
    question = (
        "minister said his country had paid off its last foreign loan, "
        "the same year its fish exports doubled"
    )
    assert clauses.split(question) == [
        "minister said his country had paid off its last foreign loan",
        "the same year its fish exports doubled",
    ]


def test_conjunctions_and_relative_pronouns_open_new_details():
    question = "leader who thanked the donors for the new seawall and promised to plant mangroves"
    # "leader" alone is under three words: no detail of its own
    assert clauses.split(question) == [
        "thanked the donors for the new seawall",
        "promised to plant mangroves",
    ]


def test_a_question_of_one_clause_is_not_cut():
    for question in ("Falepili Union", "what did Tuvalu say about climate change in 2019",
                     "sea level rise, Kiribati"):  # fmt: skip
        assert clauses.split(question) == []


def test_pieces_under_three_words_are_no_detail_of_their_own():
    assert clauses.split("in 2019, Tuvalu asked the world to cut emissions faster") == []
    assert clauses.split("And then the ocean rose over the islands, and the reef died") == [
        "And then the ocean rose over the islands",
        "the reef died",
    ]


@pytest.fixture
def legs(monkeypatch: pytest.MonkeyPatch) -> dict[str, list]:
    """What the dense leg gets as clause vectors and the fusion as weights, per search."""
    seen: dict[str, list] = {"clauses": [], "weights": []}
    search, fuse = DenseLeg.search, search_module.reciprocal_rank

    def dense_spy(self, gen, qv, n, candidates, clauses=None):
        seen["clauses"].append(None if clauses is None else clauses.shape)
        return search(self, gen, qv, n, candidates, clauses)

    def fusion_spy(ranked, weights, k):
        seen["weights"].append(list(weights))
        return fuse(ranked, weights, k=k)

    monkeypatch.setattr(DenseLeg, "search", dense_spy)
    monkeypatch.setattr(search_module, "reciprocal_rank", fusion_spy)
    return seen


DESCRIPTION = "which leader thanked the donors for the new seawall and promised to plant mangroves"


def test_a_description_is_matched_clause_by_clause_with_the_keyword_leg_at_half_weight(
    client: TestClient, legs: dict[str, list]
):
    response = client.post("/search", json={"query": DESCRIPTION})
    assert response.status_code == 200 and response.json()["results"]
    assert legs["clauses"] == [(2, 64)]  # the fake embedder's 64 dimensions
    assert legs["weights"] == [[1.0, search_module.CLAUSE_KEYWORD_WEIGHT]]


def test_a_question_whose_words_name_a_country_is_not_cut_into_clauses(
    client: TestClient, legs: dict[str, list]
):
    question = "what did Tuvalu say about the donors who paid for the seawall and the mangroves"
    body = client.post("/search", json={"query": question}).json()
    assert body["understood"]["country"]["value"] == "TUV"
    assert legs["clauses"] and set(legs["clauses"]) == {None}
    assert all(w[:2] == [1.0, 1.0] for w in legs["weights"])


def test_semantic_mode_matches_the_clauses_too(client: TestClient, legs: dict[str, list]):
    client.post("/search", json={"query": DESCRIPTION, "mode": "semantic"})
    assert legs["clauses"] == [(2, 64)] and legs["weights"] == [[1.0]]


def test_clause_matching_can_be_turned_off(settings: Settings, legs: dict[str, list]):
    with serve(settings.model_copy(update={"clause_matching": "off"})) as client:
        client.post("/search", json={"query": DESCRIPTION})
    assert legs["clauses"] == [None] and legs["weights"] == [[1.0, 1.0]]


@pytest.mark.parametrize("mode", ["pooled", "separate"])
def test_clause_vectors_come_from_the_question_pass_or_their_own(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, mode: str
):
    """pooled: one forward pass of the question, its clauses' vectors pooled from it;
    separate: the question and each clause embedded, in one batch."""
    asked = []
    with serve(settings.model_copy(update={"clause_matching": mode})) as client:
        embedder = client.app.state.embedder
        plain, pooling = embedder.embed_batch, embedder.embed_with_sentences
        monkeypatch.setattr(
            embedder, "embed_batch", lambda t: asked.append(("batch", t)) or plain(t)
        )
        monkeypatch.setattr(
            embedder,
            "embed_with_sentences",
            lambda t, s: asked.append(("pooled", t, s)) or pooling(t, s),
        )
        client.post("/search", json={"query": DESCRIPTION})
    content = DESCRIPTION  # wording.content keeps it whole: no "which … said" to take off
    first = "which leader thanked the donors for the new seawall"
    second = "promised to plant mangroves"
    if mode == "pooled":
        spans = [
            (content.index(first), content.index(first) + len(first)),
            (content.index(second), len(content)),
        ]
        assert asked[0] == ("pooled", [content], [spans])
    else:
        assert asked == [("batch", [content, first, second])]
