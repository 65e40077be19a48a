"""A region as people describe a country without naming it ("a Gulf emirate", "a South
American country") is read as a preference for documents of its countries."""

from __future__ import annotations

from pathlib import Path

import pytest

from search_api import regions
from search_api.understanding import Reader, Vocabulary
from tests.search_api.conftest import indexed, serve
from tests.search_api.test_understanding import PACIFIC, _Documents

# The countries the shipped resolutions are about, some of them.
ABOUT = frozenset({"KWT", "IRQ", "IRN", "ARG", "ISR", "LBN", "CYP", "KHM", "ZAF", "COD", "CAF",
                   "GBR", "IDN", "CHN", "SAU"})  # fmt: skip
READER = Reader(Vocabulary(PACIFIC, frozenset(), frozenset({"speech", "resolution"}), about=ABOUT))


def regions_read(question: str) -> list[tuple[list[str] | str, str]]:
    return [(r.value, r.text) for r in READER.read(question).readings if r.field == "region"]


@pytest.mark.parametrize(
    ("question", "codes", "text"),
    [
        ("bar planes headed for the occupied Gulf emirate from crossing their airspace",
         {"KWT", "IRQ", "IRN", "SAU"}, "Gulf"),
        ("asking a state whose agents abducted an official from a South American country",
         {"ARG"}, "South American"),
        ("a monitoring team for a small eastern Mediterranean republic", {"LBN", "CYP", "ISR"},
         "eastern Mediterranean"),
        ("an inquiry into how a deposed Central African prime minister was killed",
         {"COD", "CAF"}, "Central African"),
        ("a freeze on timber out of a Southeast Asian kingdom", {"KHM", "IDN"}, "Southeast Asian"),
        ("the war between two Gulf neighbours", {"KWT", "IRQ", "IRN", "SAU"}, "Gulf"),
        ("Which Melanesian government asked for an envoy?", {"FJI", "PNG", "SLB", "VUT"},
         "Melanesian"),
        # beside a country documents are only about, a region stands for another
        ("a South American country's dispute with the United Kingdom over islands", {"ARG"},
         "South American"),
        ("a Gulf emirate's border dispute with Saudi Arabia", {"KWT", "IRQ", "IRN", "SAU"},
         "Gulf"),
        # the speaker's description, however it goes on
        ("Which leader of a Melanesian country spoke about West Papua?",
         {"FJI", "PNG", "SLB", "VUT"}, "Melanesian"),
        ("which melanesian government raised west papua", {"FJI", "PNG", "SLB", "VUT"},
         "melanesian"),  # in lower case: only "gulf" needs its capital
        ("Middle-Eastern countries", {"KWT", "IRQ", "IRN", "ISR", "LBN", "CYP", "SAU"},
         "Middle-Eastern"),
        ("a Persian Gulf state", {"KWT", "IRQ", "IRN", "SAU"}, "Persian Gulf"),  # not Persia
    ],
)  # fmt: skip
def test_a_region_standing_for_a_country_is_read_as_its_countries(question, codes, text):
    [(value, words)] = regions_read(question)

    assert set(value) == codes and words == text


@pytest.mark.parametrize(
    "question",
    [
        "peace in the Middle East",  # a place talked about, not a country described
        "a boy from an East African camp for displaced families",
        "sailors held by pirates off the Horn of Africa",
        "a widening gulf between rich and poor states",  # a gulf, not the Gulf
        "shipping in the Gulf of Aqaba",
        # who spoke is described first; a region after that is what was spoken about
        "Which delegation said a meeting with a grouping of Gulf states showed its reach?",
        "Which leader said his country co-led a treaty with a Central African state?",
        "Pacific island states",  # the archive's own region tells nothing apart
        # beside a country that spoke, a region is what was spoken of
        "What did Australia say about Southeast Asian countries?",
        # asked of the Pacific's states, a region beside them is compared with them
        "Pacific and Caribbean small island developing states climate finance",
        "Pacific leaders solidarity with African countries",
        # who spoke, asked in other words
        "Who said the Gulf states must stop funding terrorism?",
        "Find the leader who compared Pacific islands to Caribbean island nations",
        # a body's name
        "African Union member states",
        "Arab League states boycott",
    ],
)
def test_a_region_that_is_a_place_talked_about_is_not_read(question: str):
    assert regions_read(question) == []


def test_a_country_named_whole_is_read_as_the_country_not_its_region():
    readings = READER.read("the South African government and the Central African Republic")

    assert [(r.field, r.value) for r in readings.readings] == [("country", ["ZAF", "CAF"])]


def test_only_the_countries_the_index_holds_are_a_regions_and_none_reads_nothing():
    assert regions.held(frozenset({"KWT", "FJI"}))["Gulf"] == ("KWT",)
    assert "South American" not in regions.held(frozenset({"KWT"}))
    pacific_only = Reader(Vocabulary(PACIFIC, frozenset(), frozenset()))
    assert pacific_only.read("an emirate of the Gulf region states").readings == []


def test_a_document_about_a_country_of_the_region_matches_it_and_a_speech_does_not():
    documents = _Documents([
        ("res-kuwait", None, None, "IRQ,KWT", 1990),
        ("res-chile", None, None, "CHL", 1973),
        ("fji-speech", "United Nations General Assembly", "FJI", None, 2019),
    ])  # fmt: skip

    assert documents.shares({"region": ["KWT", "IRN"]}) == {
        "res-kuwait": 1.0, "res-chile": 0.0, "fji-speech": 0.0
    }  # fmt: skip
    assert documents.shares({"region": ["FJI", "PNG"]})["fji-speech"] == 1.0


def test_a_description_naming_a_region_ranks_its_countrys_document_first(tmp_path: Path):
    """Two resolutions on closing airspace, one about Kuwait and one (more about airspace)
    about Chile: "a Gulf emirate" puts Kuwait's first, and says so; set aside, it does not."""
    resolution = {"doc_type": "resolution", "year": 1990}
    settings = indexed(tmp_path, {
        "kuwait.md": ("# Resolution\n\nStates shall deny their airspace to aircraft bound for "
                      "Kuwait.", {**resolution, "countries": "KWT,IRQ"}),
        "chile.md": ("# Resolution\n\nStates shall deny their airspace to aircraft; airspace "
                     "closed, airspace watched over Chile.", {**resolution, "countries": "CHL"}),
    })  # fmt: skip
    question = {"query": "deny airspace to a Gulf emirate", "k": 5, "mode": "keyword"}
    with serve(settings) as client:
        read = client.post("/search", json=question).json()
        ignored = client.post("/search", json={**question, "ignore": ["region"]}).json()
        literal = client.post("/search", json={**question, "understand": False}).json()

    assert read["understood"]["region"] == {"value": ["IRQ", "KWT"], "text": "Gulf"}
    assert read["results"][0]["source"] == "kuwait.md"
    assert "region" not in ignored["understood"]
    assert [r["source"] for r in ignored["results"]] == [r["source"] for r in literal["results"]]
    assert literal["results"][0]["source"] == "chile.md"
