"""Questions as people type them: years, countries, organisations and document types read
from the words, as preferences; what was understood is in the response."""

from __future__ import annotations

import functools
import json
import re
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pycountry
import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import settings as examples
from hypothesis import strategies as st

from indexer import countries
from indexer.build import build
from indexer.embedders.fake import FakeEmbedder
from search_api import search as search_module
from search_api.filters import parse_filters
from search_api.preferences import UNKNOWN_MATCHES, Preferences
from search_api.settings import Settings
from search_api.understanding import (
    DOC_TYPE_WORDS,
    LATEST,
    ORGANISATION_ALIASES,
    Reader,
    Vocabulary,
    remainder,
)
from tests.conftest import CORPUS
from tests.search_api.conftest import indexed, serve

# The countries of the shipped speeches.
PACIFIC = frozenset({"AUS", "FJI", "FSM", "KIR", "MHL", "NRU", "NZL", "PLW", "PNG", "SLB",
                     "TON", "TUV", "VUT", "WSM"})  # fmt: skip
VOCABULARY = Vocabulary(
    PACIFIC,
    frozenset({"Oceania Customs Organisation", "United Nations General Assembly",
               "United Nations Security Council"}),
    frozenset({"speech", "resolution", "communique"}),
)  # fmt: skip


def read(question: str) -> dict:
    return {r.field: (r.value, r.text) for r in Reader(VOCABULARY).read(question).readings}


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("what did Tuvalu say about climate change in 2019",
         {"year": (2019, "in 2019"), "country": ("TUV", "Tuvalu")}),
        ("TUV on West Papua at the 74th session",
         {"year": (2019, "74th session"), "country": ("TUV", "TUV")}),
        ("Fijian views 2015–2019", {"year": ({"gte": 2015, "lte": 2019}, "2015–2019"),
                                    "country": ("FJI", "Fijian")}),
        ("PNG fisheries since 2010", {"year": ({"gte": 2010}, "since 2010"),
                                      "country": ("PNG", "PNG")}),
        ("the Marshall Islands and nuclear testing", {"country": ("MHL", "the Marshall Islands")}),
        ("Federated States of Micronesia on climate", {"country": ("FSM",
                                                       "Federated States of Micronesia")}),
        ("what was agreed at the OCO conference", {"organisation": (
            "Oceania Customs Organisation", "OCO")}),
        ("resolutions of the Security Council before 1960", {
            "year": ({"lt": 1960}, "before 1960"),
            "organisation": ("United Nations Security Council", "Security Council"),
            "doc_type": ("resolution", "resolutions")}),
        ("the customs communiqué", {"doc_type": ("communique", "communiqué")}),
        # a session as people write it
        ("Tuvalu at the seventy-fourth session", {"year": (2019, "seventy-fourth session"),
                                                  "country": ("TUV", "Tuvalu")}),
        ("the sixtieth session", {"year": (2005, "sixtieth session")}),
        ("Tuvalu 74th UNGA", {"year": (2019, "74th UNGA"), "country": ("TUV", "Tuvalu")}),
        ("UNGA74 Tuvalu", {"year": (2019, "UNGA74"), "country": ("TUV", "Tuvalu")}),
        ("the first session", {}),  # of anything: no 1946
        # a financial or budget year written with a slash
        ("Fiji statement 2019/20", {"year": ({"gte": 2019, "lte": 2020}, "2019/20"),
                                    "country": ("FJI", "Fiji")}),
        # a year shortened, or a fiscal year
        ("Tuvalu climate UNGA '19", {"year": (2019, "'19"), "country": ("TUV", "Tuvalu"),
                                     "organisation": ("United Nations General Assembly",
                                                      "UNGA")}),
        ("Fiji budget FY2019", {"year": (2019, "FY2019"), "country": ("FJI", "Fiji")}),
        ("Nauru aid in FY16", {"year": (2016, "FY16"), "country": ("NRU", "Nauru")}),
        ("speeches from '15 to '19", {"year": ({"gte": 2015, "lte": 2019}, "from '15 to '19"),
                                      "doc_type": ("speech", "speeches")}),
        ("Tuvalu '15–'19", {"year": ({"gte": 2015, "lte": 2019}, "'15–'19"),
                            "country": ("TUV", "Tuvalu")}),
        ("Nauru in the ‘90s", {"year": ({"gte": 1990, "lte": 1999}, "in the ‘90s"),
                              "country": ("NRU", "Nauru")}),
    ],
)  # fmt: skip
def test_years_countries_organisations_and_types_are_read_with_their_words(question, expected):
    assert read(question) == expected


def test_the_body_that_acts_is_still_read_and_the_oco_as_a_topic_too():
    assert read("what did the Security Council decide on sanctions")["organisation"][0] == (
        "United Nations Security Council"
    )
    assert read("OCO membership")["organisation"][0] == "Oceania Customs Organisation"


def test_the_longest_name_wins():
    assert read("Papua New Guinea and Bougainville") == {"country": ("PNG", "Papua New Guinea")}


@pytest.mark.parametrize(
    "question",
    [
        "200 people lost their homes",  # no year
        "Cook Islands customs modernisation",  # no document of the Cook Islands
        "James Cook and the Pacific",
        "png images in the report",  # an abbreviation only as written
        # a UN body as the topic of a speech, not whose documents to prefer
        "Security Council reform",
        "what did Pacific leaders say about the Security Council",
        "a seat on the Security Council",
        "reform of the General Assembly",
        "Parties to the Nauru Agreement",  # a name inside an agreement's name
        "resolution 77/276 core group",  # a resolution's number, not a document type
        "it's 19 degrees at noon",  # no shortened year
    ],
)
def test_what_is_not_meant_is_not_read(question: str):
    assert read(question) == {}


# Countries whose names lie inside longer names of other places (of these only the short ones'
# documents are indexed): Samoa, Sudan, Guinea, Georgia, Rhodesia, Germany, Ireland, China.
INSIDE = Vocabulary(PACIFIC, frozenset(), frozenset(),
                    about=frozenset({"SDN", "GIN", "GEO", "RHO", "DEU", "IRL", "CHN", "GNB", "GNQ",
                                     "DOM", "DMA", "NER", "NGA", "ZAF", "TLS", "NLD"}))  # fmt: skip


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # the longer place, of which the index holds no document: nothing, never the country inside
        ("American Samoa customs", None),
        ("welcoming South Sudan as a new member", None),
        ("the Republic of South Sudan", None),
        ("what did New Guinea say about independence", None),
        ("South Georgia fisheries", None),
        ("Northern Rhodesia copper", None),
        ("East Germany and the Council", None),
        ("the troubles in Northern Ireland", None),
        ("piracy in the Gulf of Guinea", None),
        ("Netherlands New Guinea in 1962", None),
        ("the South China Sea", None),
        ("Hong Kong Special Administrative Region of China", None),
        # names that share words, each its own country
        ("Papua New Guinea and Bougainville", ("PNG", "Papua New Guinea")),
        ("Guinea-Bissau independence", ("GNB", "Guinea-Bissau")),
        ("Guinea Bissau independence", ("GNB", "Guinea Bissau")),
        ("Equatorial Guinea", ("GNQ", "Equatorial Guinea")),
        ("the Dominican Republic", ("DOM", "the Dominican Republic")),
        ("Dominica hurricane", ("DMA", "Dominica")),
        ("Niger and Nigeria", (["NER", "NGA"], "Niger, Nigeria")),
        ("South Africa apartheid", ("ZAF", "South Africa")),
        ("the Sudan", ("SDN", "the Sudan")),
        ("West Germany", ("DEU", "West Germany")),
        ("Western Samoa independence", ("WSM", "Western Samoa")),
        ("Indonesian forces in East Timor", ("TLS", "East Timor")),
    ],
)  # fmt: skip
def test_a_country_inside_a_longer_place_name_is_not_read_as_that_country(question, expected):
    found = {r.field: (r.value, r.text) for r in Reader(INSIDE).read(question).readings}
    assert found.get("country") == expected


def test_a_former_name_reads_the_country_it_names_once_the_index_holds_it():
    held = Vocabulary(PACIFIC, frozenset(), frozenset(), about=frozenset({"ZMB", "DDR", "SSD"}))
    found = [Reader(held).read(q).readings[0].value
             for q in ("Northern Rhodesia", "East Germany", "South Sudan")]  # fmt: skip
    assert found == ["ZMB", "DDR", "SSD"]


def _contained() -> dict[str, set[str]]:
    """Each ISO 3166 name (of countries, historic countries, common names) or other place
    name that holds the name of another country as whole words → the codes inside it."""
    names = {**countries.aliases(), **countries.PLACES}

    def words(name: str) -> tuple[str, ...]:
        return tuple(re.findall(r"[\w'’.()-]+", name if name.isupper() else name.lower()))

    inside: dict[str, set[str]] = {}
    for inner, code in names.items():
        if inner in countries.EITHER_CONGO:
            continue
        wanted = words(inner)
        for outer, outer_code in names.items():
            got = words(outer)
            if outer_code != code and any(
                got[i : i + len(wanted)] == wanted for i in range(len(got) - len(wanted) + 1)
            ):
                inside.setdefault(outer, set()).add(code)
    return inside


def test_no_iso_name_reads_another_country_inside_it():
    """For every name of a place (ISO 3166's, historic ones, common names, `countries.PLACES`)
    that holds another country's name: with every other country held, the name reads its
    own country or, when the index holds none of its documents, nothing."""
    every = {c.alpha_3 for c in pycountry.countries} | {
        c.alpha_3 for c in pycountry.historic_countries
    }
    names = {**countries.aliases(), **countries.PLACES}
    inside = _contained()
    assert {"American Samoa", "South Sudan", "New Guinea", "Papua New Guinea"} <= set(inside)
    readers: dict[str | None, Reader] = {}
    for outer in inside:
        code = names[outer]
        if code not in readers:  # held: every country but this one
            readers[code] = Reader(Vocabulary(frozenset(every - {code}), frozenset(), frozenset()))
        read_codes = [r.value for r in readers[code].read(outer).readings]
        assert read_codes == [], (outer, read_codes)
    everything = Reader(Vocabulary(frozenset(every), frozenset(), frozenset()))
    for outer in inside:
        expected = [] if names[outer] is None else [names[outer]]
        assert [r.value for r in everything.read(outer).readings] == expected, outer


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # abbreviations as typed in a search box, in lower case too
        ("nz climate policy", {"country": ("NZL", "nz")}),
        ("fsm fisheries", {"country": ("FSM", "fsm")}),
        ("rmi nuclear legacy", {"country": ("MHL", "rmi")}),
        ("PNG elections", {"country": ("PNG", "PNG")}),
        # ISO's codes only in capitals: in lower case they are other words
        ("tuv", {}),
        ("TUV", {"country": ("TUV", "TUV")}),
    ],
)
def test_an_abbreviation_is_read_in_lower_case_and_a_code_only_as_written(question, expected):
    assert read(question) == expected


def test_the_united_states_are_read_by_the_names_people_use_and_us_stays_a_word():
    about_usa = Reader(Vocabulary(PACIFIC, frozenset(), frozenset(), about=frozenset({"USA"})))

    def country(question: str):
        return {r.field: r.value for r in about_usa.read(question).readings}.get("country")

    assert country("USA and Cuba") == country("US bases") == country("usa bases") == "USA"
    assert country("what did us say") is country("Us and them") is None


def test_two_countries_joined_by_a_hyphen_are_both_read_and_a_joined_word_is_not():
    about = frozenset({"IRN", "IRQ", "IND", "PAK"})
    reader = Reader(Vocabulary(PACIFIC, frozenset(), frozenset(), about=about))

    def countries_of(question: str):
        return [(r.value, r.text) for r in reader.read(question).readings]

    assert countries_of("the Iran-Iraq war ceasefire") == [(["IRN", "IRQ"], "the Iran, Iraq")]
    assert countries_of("India–Pakistan talks") == [(["IND", "PAK"], "India, Pakistan")]
    assert countries_of("anti-Fiji protests") == countries_of("Fiji-based firms") == []


def test_a_renamed_state_is_read_by_either_name():
    # the index holds Burma's admission (1948): "Myanmar" read nothing
    reader = Reader(Vocabulary(PACIFIC, frozenset(), frozenset(), about=frozenset({"MMR"})))

    for name in ("Burma", "Myanmar"):
        assert [(r.field, r.value) for r in reader.read(f"{name} admission").readings] == [
            ("country", "MMR")
        ]


def test_a_longer_place_name_leaves_the_ranking_as_its_words_give_it(tmp_path: Path):
    """Samoa's speech is indexed, American Samoa's words are only in a communiqué: "American
    Samoa customs" reads nothing, and the communiqué comes first as without understanding."""
    settings = indexed(tmp_path, {
        "samoa.md": ("# Statement\n\nSamoa modernised its customs service and its border "
                     "controls.", {"doc_type": "speech", "country": "WSM", "year": 2019}),
        "communique.md": ("# Communiqué\n\nMembers welcomed American Samoa to the customs "
                          "network.", {"doc_type": "communique", "year": 2019}),
    })  # fmt: skip
    question = {"query": "American Samoa customs", "k": 5, "mode": "keyword"}
    with serve(settings) as client:
        on = client.post("/search", json=question).json()
        off = client.post("/search", json={**question, "understand": False}).json()
        samoa = client.post("/search", json={**question, "query": "Samoa customs"}).json()

    assert on["understood"] == {}
    assert [r["source"] for r in on["results"]] == [r["source"] for r in off["results"]]
    assert on["results"][0]["source"] == "communique.md"
    assert samoa["understood"]["country"]["value"] == "WSM"  # Samoa alone is read


@pytest.mark.parametrize(
    ("question", "text"),
    [
        ("Tuvalu's latest speech on climate", "latest"),
        ("the most recent communiqué", "most recent"),
        ("what did the last OCO conference agree", "the last"),
        ("Fiji's newest statement", "newest"),
        ("Tuvalu's last speech", "last"),
        ("what did Fiji say at the last UNGA", "the last"),
        ("Tuvalu most-recent speech", "most-recent"),
        ("Kiribati latest", "latest"),
        ("the latest on e-commerce", "latest"),
    ],
)
def test_the_latest_is_read_as_a_year_the_searcher_finds(question: str, text: str):
    assert read(question)["year"] == (LATEST, text)


@pytest.mark.parametrize(
    "question",
    ["elections by May 1993 at the latest", "in the last resort", "what happened last year",
     "Tuvalu's latest speech in 2019",  # a year named wins
     # the last of several, or of an event, not a record
     "the last three Tongan speeches", "the last decade's statements",
     "condemns the latest armed invasion by South Africa", "the newest member state admitted",
     "the last remaining colonies resolution"],
)  # fmt: skip
def test_a_deadline_or_a_year_named_is_no_latest(question: str):
    assert read(question).get("year", (None,))[0] != LATEST


def test_the_latest_is_the_newest_year_of_what_the_rest_reads(client: TestClient):
    """The test corpus holds Tuvalu's speeches of 2005 and 2019 and Australia's of 2024."""
    tuvalu = client.post("/search", json={"query": "Tuvalu's latest speech", "k": 3}).json()
    any_latest = client.post("/search", json={"query": "the latest speech", "k": 3}).json()
    ignored = client.post(
        "/search", json={"query": "Tuvalu's latest speech", "k": 3, "ignore": ["year"]}
    ).json()

    assert tuvalu["understood"]["year"] == {"value": 2019, "text": "latest", "read_as": "2019"}
    first = tuvalu["results"][0]["document"]
    assert (first["country"], first["year"]) == ("TUV", 2019)
    assert any_latest["understood"]["year"]["value"] == 2024
    assert "year" not in ignored["understood"]


def test_the_latest_within_a_year_filter_and_none_beside_a_named_resolution(client: TestClient):
    filtered = client.post("/search", json={"query": "the latest speech", "k": 3,
                                            "filters": {"year": {"lte": 2019}}}).json()  # fmt: skip
    named = client.post("/search", json={"query": "resolution 660 latest speech", "k": 3}).json()

    assert filtered["understood"]["year"]["value"] == 2019  # not 2024, which the filter leaves out
    assert filtered["results"][0]["document"]["year"] == 2019
    assert "year" not in named["understood"]


def test_two_countries_or_two_years_are_both_preferred():
    assert read("What did New Zealand say about Fiji's election in 2014?")["country"][0] == [
        "NZL",
        "FJI",
    ]
    assert read("Samoa in 2012 about hosting the 2014 SIDS conference")["year"][0] == [2012, 2014]


class _Documents:
    """A generation's documents table alone, in memory: what `Preferences` reads."""

    def __init__(self, rows: list[tuple]) -> None:
        self.db = sqlite3.connect(":memory:")
        self.db.execute("CREATE TABLE documents (id TEXT, organisation TEXT, country TEXT,"
                        " countries TEXT, year INTEGER)")  # fmt: skip
        self.db.executemany("INSERT INTO documents VALUES (?, ?, ?, ?, ?)", rows)
        self.ids = [row[0] for row in rows]

    def query(self, sql: str, params=()) -> list:
        return self.db.execute(sql, params).fetchall()

    def shares(self, preferred: dict) -> dict[str, float]:
        """Each document's share of the readings `preferred` (by id)."""
        rowids = np.arange(1, len(self.ids) + 1)
        return dict(
            zip(self.ids, Preferences(self).shares(rowids, preferred).tolist(), strict=True)
        )


def test_a_document_matches_the_share_of_understood_fields_it_has():
    documents = _Documents([
        ("tuv-2019", "United Nations General Assembly", "TUV", None, 2019),
        ("tuv-2005", "United Nations General Assembly", "TUV", None, 2005),
        ("fji-2005", "United Nations General Assembly", "FJI", None, 2005),
        ("fji-undated", None, "FJI", None, None),
    ])  # fmt: skip

    assert documents.shares({"country": "TUV", "year": {"gte": 2015, "lte": 2019}}) == {
        "tuv-2019": 1.0, "tuv-2005": 0.5, "fji-2005": 0.0,
        "fji-undated": 0.5,  # an undated one: unknown, not another year
    }  # fmt: skip


# What FTS5 indexes a word as, for the words below (Porter: "Marshall" → "marshal").
STEMS = {"marshall": "marshal", "marshalled": "marshal"}


def held(*stems: str):
    """A stand-in for the index's words, which hold `stems`: of (typed, name's word or None)
    pairs, the typed words it holds as words of their own, not only as the name's stem."""

    def known(pairs):
        stem = lambda word: STEMS.get(word, word)  # noqa: E731
        return {w for w, name in pairs
                if stem(w) in stems and (name is None or stem(w) != stem(name))}  # fmt: skip

    return known


INDEX_WORDS = held("samoan", "climate", "marshal")


def read_typed(question: str, known=INDEX_WORDS) -> dict:
    readings = Reader(VOCABULARY).read(question, known=known).readings
    return {r.field: (r.value, r.text) for r in readings}


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        (
            "what did Tuvalau say about climate change in 2019",
            {"year": (2019, "in 2019"), "country": ("TUV", "Tuvalau")},
        ),
        ("tuvalau sea level", {"country": ("TUV", "tuvalau")}),
        (
            "Soloman Islands 2014 RAMSI",
            {"year": (2014, "2014"), "country": ("SLB", "Soloman Islands")},
        ),
        # of two names one edit away (Palau, Papua), the one that reads more of the question
        ("Papau New Guinea Bougainville referendum", {"country": ("PNG", "Papau New Guinea")}),
        (
            "Austrailia and New Zeeland on refugees",
            {"country": (["AUS", "NZL"], "Austrailia, New Zeeland")},
        ),
        # a name's stem typed capitalised is the name: "Marshal Islands"
        ("the Marshal Islands nuclear legacy", {"country": ("MHL", "the Marshal Islands")}),
        # organisations and document types as well
        (
            "Secuirty Council sanctions 1990",
            {
                "year": (1990, "1990"),
                "organisation": ("United Nations Security Council", "Secuirty Council"),
            },
        ),
        ("resolutoins on Cyprus", {"doc_type": ("resolution", "resolutoins")}),
        (
            "Tuvalu comunique",
            {"country": ("TUV", "Tuvalu"), "doc_type": ("communique", "comunique")},
        ),
    ],
)
def test_a_name_misspelt_is_read_with_the_words_as_typed(question, expected):
    assert read_typed(question) == expected


@pytest.mark.parametrize(
    "question",
    [
        "Samoan climate finance",  # an adjective, read as written: no respelling needed
        "the resources they marshalled",  # a word of its own in lower case
        "Kiribas relocation",  # two edits from a name of seven letters: too far
        "Ruvalu 2020",  # a misspelling keeps the first letter
        "the Solomon Islands",  # a word of a name is never respelt as another name
    ],
)
def test_words_that_are_not_a_misspelt_name_are_left_as_they_are(question):
    assert read_typed(question) == read(question)


def test_a_misspelt_name_says_how_it_was_read():
    readings = Reader(VOCABULARY).read("Soloman Islands and Tuvalu", known=INDEX_WORDS).readings
    assert [(r.text, r.read_as) for r in readings] == [
        ("Soloman Islands, Tuvalu", "Solomon Islands, Tuvalu")
    ]
    assert [r.read_as for r in Reader(VOCABULARY).read("Tuvalu in 2019").readings] == [None, None]


def test_without_the_index_words_nothing_is_respelt():
    assert read("what did Tuvalau say") == {}
    assert read_typed("what did Tuvalau say") == {"country": ("TUV", "Tuvalau")}


def test_a_misspelt_name_keeps_the_other_readings_spans_in_place():
    """ "Marshal" is respelt "Marshall", a letter longer: the spans are the question's own."""
    question = "the Marshal Islands on nuclear testing in 2019, not Tuvalau"
    readings = Reader(VOCABULARY).read(question, known=held("marshal")).readings
    spans = {r.field: [question[s:e] for s, e in r.spans] for r in readings}
    assert spans == {"year": ["in 2019"], "country": ["the Marshal Islands", "Tuvalau"]}

    one = "the Marshal Islands on nuclear testing in 2019"
    assert remainder(one, Reader(VOCABULARY).read(one, known=held("marshal")).readings) == (
        "on nuclear testing"
    )


# -- through the API -------------------------------------------------------------------------


def test_the_response_says_what_was_understood_and_the_year_wins(search, client: TestClient):
    body = client.post("/search", json={"query": "Tuvalu climate change 2019", "k": 5}).json()

    assert body["understood"] == {"year": {"value": 2019, "text": "2019"},
                                  "country": {"value": "TUV", "text": "Tuvalu"}}  # fmt: skip
    first = body["results"][0]["document"]
    assert (first["country"], first["year"]) == ("TUV", 2019)


def test_a_question_typed_in_full_width_letters_is_read_and_searched_as_ascii(
    client: TestClient,
):
    """A keyboard left in a CJK input mode types "ＴＵＶ　２０１９" (U+FF01–FF5E, U+3000)."""
    typed = "\uff34\uff35\uff36\u3000\uff12\uff10\uff11\uff19 climate"
    body = client.post("/search", json={"query": typed, "k": 5}).json()
    plain = client.post("/search", json={"query": "TUV 2019 climate", "k": 5}).json()

    assert body["understood"] == {"year": {"value": 2019, "text": "2019"},
                                  "country": {"value": "TUV", "text": "TUV"}}  # fmt: skip
    assert [r["id"] for r in body["results"]] == [r["id"] for r in plain["results"]]
    first = body["results"][0]["document"]
    assert (first["country"], first["year"]) == ("TUV", 2019)


def test_a_misspelt_country_is_understood_and_ranks_as_spelt(client: TestClient):
    typed = client.post("/search", json={"query": "Tuvalau climate change 2019", "k": 5}).json()
    spelt = client.post("/search", json={"query": "Tuvalu climate change 2019", "k": 5}).json()

    country = typed["understood"]["country"]
    assert country == {"value": "TUV", "text": "Tuvalau", "read_as": "Tuvalu"}
    assert "read_as" not in spelt["understood"]["country"]
    first = typed["results"][0]["document"]
    assert (first["country"], first["year"]) == ("TUV", 2019)
    assert typed["results"][0]["id"] == spelt["results"][0]["id"]


def test_a_word_typed_wrong_is_searched_as_it_should_be_and_said(client: TestClient):
    typed = client.post("/search", json={"query": "Tuvalu climate chnage", "k": 5}).json()
    meant = client.post("/search", json={"query": "Tuvalu climate change", "k": 5}).json()
    as_typed = client.post(
        "/search", json={"query": "Tuvalu climate chnage", "k": 5, "ignore": ["spelling"]}
    ).json()
    literal = client.post(
        "/search", json={"query": "Tuvalu climate chnage", "k": 5, "understand": False}
    ).json()

    assert typed["query"] == "Tuvalu climate chnage"  # the words as typed
    assert typed["understood"]["spelling"] == {
        "value": "change", "text": "chnage", "read_as": "change"
    }  # fmt: skip
    assert [r["id"] for r in typed["results"]] == [r["id"] for r in meant["results"]]
    assert "spelling" not in as_typed["understood"]
    assert "spelling" not in literal.get("understood", {})
    assert "spelling" not in meant["understood"]


def test_the_year_in_the_words_puts_that_years_speech_first(client: TestClient):
    older = client.post("/search", json={"query": "Tuvalu speech in 2005", "k": 3}).json()
    newer = client.post("/search", json={"query": "Tuvalu speech in 2019", "k": 3}).json()

    assert older["results"][0]["document"]["year"] == 2005
    assert newer["results"][0]["document"]["year"] == 2019


def test_understanding_off_reads_nothing_and_ignore_leaves_a_field_out(client: TestClient):
    literal = client.post("/search", json={"query": "Tuvalu in 2005", "understand": False})
    ignored = client.post("/search", json={"query": "Tuvalu in 2005", "ignore": ["year"]})
    got = client.get("/search", params={"q": "Tuvalu in 2005", "understand": "false"})

    assert "understood" not in literal.json()
    assert list(ignored.json()["understood"]) == ["country"]
    assert "understood" not in got.json()


def test_explicit_filters_win_over_the_words(client: TestClient):
    body = client.post("/search", json={"query": "Tuvalu in 2005", "k": 5,
                                        "filters": {"year": 2019}}).json()  # fmt: skip

    assert "year" not in body["understood"]
    assert {r["document"]["year"] for r in body["results"]} == {2019}


def test_questions_without_years_or_countries_rank_as_before(client: TestClient):
    for question in ["e-commerce and logistics", "sea level rise", "customs valuation reform",
                     "nuclear testing legacy", "fisheries management and tuna"]:  # fmt: skip
        on = client.post("/search", json={"query": question, "k": 10}).json()
        off = client.post("/search", json={"query": question, "k": 10, "understand": False}).json()
        assert [r["id"] for r in on["results"]] == [r["id"] for r in off["results"]], question
        assert on["understood"] == {}


def test_a_year_of_no_document_or_of_a_plans_name_is_not_understood(client: TestClient):
    """The shared index holds 2005, 2019 and 2024: "in 1998" and "the 2030 Agenda" stay
    words, and the country is still read."""
    for question in ["Tuvalu climate change in 1998", "what did Tuvalu say about the 2030 Agenda"]:
        body = client.post("/search", json={"query": question, "k": 5}).json()
        assert body["understood"] == {"country": {"value": "TUV", "text": "Tuvalu"}}, question


def test_an_unknown_field_to_ignore_is_a_clear_error(client: TestClient):
    from tests.search_api.conftest import check_error

    response = client.post("/search", json={"query": "Tuvalu", "ignore": ["colour"]})
    check_error(response, 422, "invalid_request")


def test_a_document_that_does_not_say_its_organisation_is_not_demoted_for_it():
    """An upload without metadata, asked about as "the customs organisation": it keeps its
    place; a communiqué asked about as Tuvalu's words does not match Tuvalu."""
    from search_api.filters import preferring

    documents = _Documents([
        ("oco", "Oceania Customs Organisation", None, None, 2024),
        ("upload", None, None, None, None),
        ("unsc", "United Nations Security Council", None, "IRQ,KWT", 1990),
        ("tuv", "United Nations General Assembly", "TUV", None, 2019),
    ])  # fmt: skip
    wanted = {"organisation": "Oceania Customs Organisation"}

    def chosen(filters, preferred):
        condition = preferring(filters, preferred, UNKNOWN_MATCHES)
        sql = f"SELECT id FROM documents d WHERE {condition.sql}"
        return sorted(r[0] for r in documents.query(sql, condition.params))

    assert documents.shares(wanted) == {"oco": 1.0, "upload": 1.0, "unsc": 0.0, "tuv": 0.0}
    # a communiqué or an upload is nobody's speech: no country matches it
    assert documents.shares({"country": "TUV", "year": 2019})["upload"] == 0.5
    assert chosen(None, wanted) == ["oco", "upload"]
    assert chosen(None, {"country": "TUV"}) == ["tuv"]
    assert chosen(None, {"country": ["KWT", "FJI"]}) == ["unsc"]  # a country it is about
    assert documents.shares({"country": "KWT"})["unsc"] == 1.0
    assert chosen(None, {"year": {"gte": 2015, "lte": 2020}}) == ["tuv", "upload"]
    assert chosen({"year": 2024}, wanted) == ["oco"]  # explicit filters stay strict
    # the strict round: every reading and the filters
    both = Preferences(documents).matching_all(wanted, parse_filters({"year": 2024}))
    assert both.tolist() == [1]


def test_the_rest_of_the_question_leaves_out_the_words_of_one_valued_readings():
    def rest(question: str) -> str:
        return remainder(question, Reader(VOCABULARY).read(question).readings)

    assert rest("what did Tuvalu say about climate change in 2019") == (
        "what did say about climate change"
    )
    assert rest("TUV on West Papua at the 74th session") == "on West Papua at the"
    # two countries: one speaks, the other is the topic; both words stay (the year goes)
    assert rest("What did New Zealand say about Fiji's election in 2014?") == (
        "What did New Zealand say about Fiji's election ?"
    )
    assert rest("sea level rise") == "sea level rise"


def _tonga_speech(tmp_path: Path) -> Settings:
    """Tonga's 2023 speech greets the Assembly in three sections full of "Tonga" and
    "2023", which the words "Tonga" and "2023" rank above its one section on its goals."""
    corpus = tmp_path / "corpus"
    (corpus / "speeches").mkdir(parents=True)
    greeting = "Tonga greets the Assembly of 2023; Tonga in 2023 thanks the President; Tonga "
    sections = [
        f"## Greeting {i}\n\n{greeting}{words}."
        for i, words in enumerate(
            ["welcomes every delegation", "honours the host city", "remembers old friends"]
        )
    ]
    sections.append("## Plans\n\nOur two goals: solar power for every island, and a million trees.")
    others = [
        f"## Part {i}\n\nFiji's goals for {topic}." for i, topic in enumerate(["schools", "roads"])
    ]
    speeches = {
        "TON_2023.md": ("TON", 2023, "# Statement\n\n" + "\n\n".join(sections)),
        "FJI_2022.md": ("FJI", 2022, "# Statement\n\n" + "\n\n".join(others)),
    }  # fmt: skip
    for name, (country, year, text) in speeches.items():
        (corpus / "speeches" / name).write_text(text, encoding="utf-8")
        sidecar = {"country": country, "year": year, "doc_type": "speech"}
        (corpus / "speeches" / f"{name}.meta.json").write_text(json.dumps(sidecar))
    assert build(corpus, tmp_path / "index", FakeEmbedder()).published
    return Settings(index_dir=tmp_path / "index", corpus_dir=corpus, model="fake",
                    state_dir=tmp_path / "state")  # fmt: skip


TONGA_GOALS = {"query": "What goals did Tonga set in 2023?", "k": 3, "mode": "keyword"}


def test_within_the_documents_read_from_the_words_the_rest_of_the_question_ranks(
    tmp_path: Path,
):
    """Within Tonga's 2023 documents "Tonga" and "2023" select nothing, so there the rest
    of the question ranks, and the goals come first."""
    with serve(_tonga_speech(tmp_path)) as client:
        literal = client.post("/search", json={**TONGA_GOALS, "understand": False}).json()
        body = client.post("/search", json=TONGA_GOALS).json()

    assert literal["results"][0]["section"].startswith("Greeting")  # the words alone
    assert body["understood"]["country"]["value"] == "TON"
    first = body["results"][0]
    assert (first["document"]["country"], first["section"]) == ("TON", "Plans")


def test_documents_spread_over_the_index_rank_by_the_whole_question_there_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Where the documents read from the words lie far apart (a year's speeches among a
    million passages), a new query for the rest would read whole posting lists: the round
    there selects from the whole question's scores, as the open round ranks them."""
    monkeypatch.setattr(search_module, "REST_SPAN", 1)
    with serve(_tonga_speech(tmp_path)) as client:
        body = client.post("/search", json=TONGA_GOALS).json()

    assert body["understood"]["country"]["value"] == "TON"
    assert body["results"][0]["section"].startswith("Greeting")


def test_the_words_of_a_reading_let_go_stay_in_the_preference_round(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
):
    """No speech of Tuvalu's is the customs organisation's: that reading is let go, Tuvalu
    and 2019 select the documents, and "the OCO" stays in the question asked within them
    (it is what the question is about)."""
    from search_api import understanding

    asked = []

    def spy(question, readings):
        asked.append(understanding.remainder.__wrapped__(question, readings))
        return asked[-1]

    spy.__wrapped__ = understanding.remainder
    monkeypatch.setattr(understanding, "remainder", spy)
    body = client.post("/search", json={"query": "What did Tuvalu say about the OCO in 2019?"})

    assert set(body.json()["understood"]) == {"country", "year", "organisation"}
    assert asked == ["What did say about the OCO ?"]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("the August 1990 sanctions resolution",
         {"year": (1990, "1990"), "date": ({"gte": "1990-08-01", "lt": "1990-09-01"},
                                          "August 1990"), "doc_type": ("resolution",
                                                                      "resolution")}),
        ("adopted on 6 August 1990", {"year": (1990, "1990"),
                                      "date": ({"gte": "1990-08-06", "lt": "1990-08-07"},
                                               "6 August 1990")}),
        ("adopted on August 6, 1990", {"year": (1990, "1990"),
                                       "date": ({"gte": "1990-08-06", "lt": "1990-08-07"},
                                                "August 6, 1990")}),
        ("what did Tonga say in december 2019", {
            "year": (2019, "2019"), "country": ("TON", "Tonga"),
            "date": ({"gte": "2019-12-01", "lt": "2020-01-01"}, "december 2019")}),
        ("adopted on 6 Aug. 1990", {"year": (1990, "1990"),
                                    "date": ({"gte": "1990-08-06", "lt": "1990-08-07"},
                                             "6 Aug. 1990")}),
        ("the Sept. 2019 address", {"year": (2019, "2019"),
                                   "date": ({"gte": "2019-09-01", "lt": "2019-10-01"},
                                            "Sept. 2019")}),
        ("the May 2019 meeting", {"year": (2019, "2019"),
                                  "date": ({"gte": "2019-05-01", "lt": "2019-06-01"}, "May 2019")}),
        # a day as people write it, and as a record gives it (ISO 8601)
        ("the 2nd of August 1990 resolution on Iraq",
         {"year": (1990, "1990"), "date": ({"gte": "1990-08-02", "lt": "1990-08-03"},
                                          "2nd of August 1990"), "doc_type": ("resolution",
                                                                             "resolution")}),
        ("adopted on August 6th, 1990", {"year": (1990, "1990"),
                                         "date": ({"gte": "1990-08-06", "lt": "1990-08-07"},
                                                  "August 6th, 1990")}),
        ("adopted 1990-08-06", {"year": (1990, "1990"),
                                "date": ({"gte": "1990-08-06", "lt": "1990-08-07"},
                                         "1990-08-06")}),
        # the verb "may" is no month, and a day the month does not have is no date
        ("what we may 2019 see", {"year": (2019, "2019")}),
        ("on 31 February 1990", {"year": (1990, "1990")}),
        ("adopted 1990-02-31", {"year": (1990, "1990")}),
        # a span of years or a season written with a hyphen is no month
        ("the 2005-06 season", {"year": ({"gte": 2005, "lte": 2006}, "the 2005-06")}),
    ],
)  # fmt: skip
def test_a_month_or_day_of_a_year_is_read_as_a_date_range(question, expected):
    assert read(question) == expected


NINETIES = {"gte": 1990, "lte": 1999}


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("what was said in the 1990s", (NINETIES, "in the 1990s")),
        ("1990s peacekeeping", (NINETIES, "1990s")),
        ("the 1990's", (NINETIES, "the 1990's")),
        ("Tuvalu in the 90s", (NINETIES, "in the 90s")),
        ("Tuvalu in the ’90s", (NINETIES, "in the ’90s")),
        ("what did the nineteen-nineties bring", (NINETIES, "the nineteen-nineties")),
        ("resolutions of the nineties", (NINETIES, "of the nineties")),
        ("climate during the 2010s", ({"gte": 2010, "lte": 2019}, "during the 2010s")),
        ("sanctions in the 1960s", ({"gte": 1960, "lte": 1969}, "in the 1960s")),
        ("the early 1960s", ({"gte": 1960, "lte": 1963}, "the early 1960s")),
        ("mid-90s peacekeeping", ({"gte": 1994, "lte": 1996}, "mid-90s")),
        ("the late 1970s", ({"gte": 1977, "lte": 1979}, "the late 1970s")),
        ("from the 1980s to the 1990s", ({"gte": 1980, "lte": 1999},
                                         "from the 1980s to the 1990s")),
        ("in the 1980s and 1990s", ({"gte": 1980, "lte": 1999}, "the 1980s and 1990s")),
        ("resolutions from the 1960s", ({"gte": 1960, "lte": 1969}, "from the 1960s")),
        ("since the 1990s", ({"gte": 1990}, "since the 1990s")),
        ("before the 1990s", ({"lt": 1990}, "before the 1990s")),
        ("after the 1990s", ({"gt": 1999}, "after the 1990s")),
        # an age, a count: no decade
        ("officials in their 20s", None),
        ("90s", None),
    ],
)  # fmt: skip
def test_a_decade_is_read_as_its_years(question, expected):
    assert read(question).get("year") == expected


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("climate from 2020 to 2010", ({"gte": 2010, "lte": 2020}, "from 2020 to 2010")),
        ("climate between 2019 and 2015", ({"gte": 2015, "lte": 2019}, "between 2019 and 2015")),
        ("climate between 2010 and 2015", ({"gte": 2010, "lte": 2015}, "between 2010 and 2015")),
        ("2015–19 climate", ({"gte": 2015, "lte": 2019}, "2015–19")),
        ("climate 2019-20", ({"gte": 2019, "lte": 2020}, "2019-20")),
        ("the 1999-00 budget", ({"gte": 1999, "lte": 2000}, "the 1999-00")),
        ("2015 through 2019", ({"gte": 2015, "lte": 2019}, "2015 through 2019")),
        # "and", "or" without "between": the years themselves
        ("Tuvalu in 2019 and 2021", ([2019, 2021], "in 2019, 2021")),
        ("Tuvalu in 2019 or 2021", ([2019, 2021], "in 2019, 2021")),
        ("in 1990, 1991 and 1992", ([1990, 1991, 1992], "in 1990, 1991, 1992")),
        # a date, a comma after a year
        ("the meeting of 2019-12-05", (2019, "of 2019")),
        ("In 2019, what did Tuvalu say", (2019, "In 2019")),
    ],
)  # fmt: skip
def test_ranges_are_read_in_either_order_and_two_years_stay_two(question, expected):
    assert read(question).get("year") == expected


@pytest.mark.parametrize(
    "question",
    [
        "what did Fiji say about the 2030 Agenda",
        "Agenda 2030 and the oceans",
        "Vision 2030 for the Pacific",
        "the 2030 agenda",
        "it set itself a 40 percent cut by 2020",
    ],
)
def test_a_year_in_a_plans_name_or_a_target_is_no_time(question: str):
    assert "year" not in read(question)


@pytest.mark.parametrize(
    ("question", "year"),
    [
        ("what was said about the 1951 Refugee Convention", None),
        ("the Treaty of Rarotonga 1985 and nuclear testing", None),
        ("the 2005 World Summit Outcome on the responsibility to protect", None),
        ("what did Tonga say in 2016 about the 2015 Paris Agreement", 2016),
        ("what did Fiji say in 2015 about the Paris Agreement", 2015),
        ("New Caledonia (Kanaky) unrest 2024 Noumea Accord", 2024),
    ],
)
def test_a_treatys_or_summits_year_in_its_name_is_no_time(question: str, year):
    # read as the year asked about, 1951 brought unrelated resolutions of 1951 up
    held = Reader(Vocabulary(PACIFIC, frozenset(), frozenset(),
                             years=frozenset(range(1946, 2025))))  # fmt: skip

    assert {r.field: r.value for r in held.read(question).readings}.get("year") == year


def test_a_year_the_index_holds_no_documents_of_is_not_read():
    """ "in 1998" where the index holds none of 1998 would leave only undated documents
    matching: the year stays words (and the other readings keep their strict round)."""
    held = Reader(Vocabulary(PACIFIC, frozenset(), frozenset(),
                             years=frozenset({1990, 1994, *range(2005, 2025)})))  # fmt: skip

    def year(question: str):
        found = {r.field: r.value for r in held.read(question).readings}
        return found.get("year"), found.get("date")

    assert year("Fiji climate targets for 2030") == (None, None)
    assert year("Tuvalu in 1998") == (None, None)
    assert year("the August 1998 resolution") == (None, None)
    assert year("the 50th session") == (None, None)  # 1995
    assert year("after 2024") == (None, None)
    assert year("Tuvalu in 2019 and 2030") == (2019, None)
    assert year("the 1990s") == (NINETIES, None)  # some of its years are held
    assert year("between 1995 and 2006") == ({"gte": 1995, "lte": 2006}, None)
    assert year("the August 1990 resolution")[1] == {"gte": "1990-08-01", "lt": "1990-09-01"}


def _dated_resolutions(tmp_path: Path) -> Settings:
    """Two resolutions of 1990 saying the same, one adopted in August, one in September;
    and a speech of 1990, which has no date."""
    text = "# Resolution\n\nThe Council decides on sanctions, except medical supplies and food."
    documents = {
        "res_aug.md": {"doc_type": "resolution", "year": 1990, "date": "1990-08-06"},
        "res_sep.md": {"doc_type": "resolution", "year": 1990, "date": "1990-09-25"},
        "speech.md": {"doc_type": "speech", "year": 1990, "country": "TUV"},
    }
    # not word for word: copies would be collapsed
    return indexed(tmp_path, {name: (f"{text} ({name})", meta) for name, meta in documents.items()})


def test_a_month_in_the_words_puts_that_months_resolution_first(tmp_path: Path):
    question = "what exemptions did the sanctions of {} allow"
    with serve(_dated_resolutions(tmp_path)) as client:
        august = client.post("/search", json={"query": question.format("August 1990")}).json()
        september = client.post("/search", json={"query": question.format("September 1990")})
        ignored = client.post("/search", json={"query": question.format("September 1990"),
                                               "ignore": ["date"]}).json()  # fmt: skip
        filtered = client.post("/search", json={"query": question.format("August 1990"),
                                                "filters": {"year": 1991}}).json()  # fmt: skip

    assert august["understood"]["date"] == {
        "value": {"gte": "1990-08-01", "lt": "1990-09-01"},
        "text": "August 1990",
    }

    def order(body: dict) -> list[str]:
        return [r["source"] for r in body["results"]]

    assert order(august).index("res_aug.md") < order(august).index("res_sep.md")
    assert order(september.json()).index("res_sep.md") < order(september.json()).index("res_aug.md")
    # a speech says no day: the month does not push it out
    assert "speech.md" in order(august)
    assert "date" not in ignored["understood"]
    assert "date" not in filtered["understood"]  # an explicit year wins over the words' month


def test_documents_filter_on_a_range_of_dates(tmp_path: Path):
    august = {"date": {"gte": "1990-08-01", "lt": "1990-09-01"}}
    with serve(_dated_resolutions(tmp_path)) as client:
        body = client.post("/search", json={"query": "sanctions", "filters": august}).json()
        bad = client.post("/search", json={"query": "sanctions",
                                           "filters": {"date": {"after": "1990"}}})  # fmt: skip

    assert {r["source"] for r in body["results"]} == {"res_aug.md"}
    assert bad.status_code == 422 and "gte, lte, gt or lt" in bad.json()["error"]["message"]


CONFERENCES = Vocabulary(
    PACIFIC, frozenset({"Oceania Customs Organisation"}),
    frozenset({"communique", "speech"}),
    frozenset({"24th OCO Annual Conference", "26th OCO Annual Conference",
               "UN General Debate, 74th session"}),
)  # fmt: skip


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("what did the 24th OCO conference decide on e-commerce",
         {"conference": ("24th OCO Annual Conference", "24th OCO conference")}),
        ("the 26th annual conference communiqué",
         {"conference": ("26th OCO Annual Conference", "26th annual conference"),
          "doc_type": ("communique", "communiqué")}),
        # a session is a year; a number no conference of the index has is nothing
        ("TUV at the 74th session", {"year": (2019, "74th session"), "country": ("TUV", "TUV")}),
        ("the 25th conference on valuation", {}),
    ],
)  # fmt: skip
def test_a_conference_is_read_by_its_number_among_those_the_index_holds(question, expected):
    readings = Reader(CONFERENCES).read(question).readings
    assert {r.field: (r.value, r.text) for r in readings} == expected


def test_the_numbered_conference_in_the_words_puts_its_communique_first(tmp_path: Path):
    settings = indexed(tmp_path, {
        f"communique-{number}.md": (
            f"# Communiqué\n\nMembers agreed to advance e-commerce and paperless trade, {number}.",
            {"doc_type": "communique", "year": year,
             "conference": f"{number} OCO Annual Conference",
             "organisation": "Oceania Customs Organisation"},
        )
        for number, year in (("24th", 2022), ("26th", 2024))
    })  # fmt: skip
    question = "what did the {} OCO conference agree on e-commerce"
    with serve(settings) as client:
        first = {n: client.post("/search", json={"query": question.format(n)}).json()
                 for n in ("24th", "26th")}  # fmt: skip
        ignored = client.post("/search", json={"query": question.format("24th"),
                                               "ignore": ["conference"]}).json()  # fmt: skip

    for number, body in first.items():
        assert body["understood"]["conference"] == {
            "value": f"{number} OCO Annual Conference",
            "text": f"{number} OCO conference",
        }
        assert body["results"][0]["source"] == f"communique-{number}.md"
    assert "conference" not in ignored["understood"]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("what did the Cook Islands say on e-commerce", ("COK", "the Cook Islands")),
        ("Cook Islander views on valuation", ("COK", "Cook Islander")),
        ("New Caledonia and biosecurity", ("NCL", "New Caledonia")),
        ("border controls in the Republic of Cyprus", ("CYP", "the Republic of Cyprus")),
        ("Cyprus peacekeeping", ("CYP", "Cyprus")),
        ("James Cook and the Pacific", None),  # a person, not the country
        ("can the customs union cope", None),  # CAN only as written, and not held
        ("Moldova and the Council", ("MDA", "Moldova")),  # documents are about it
        ("MDA intelligence tools", None),  # its code is maritime domain awareness
        ("what Fiji asked of the Paris agreement", ("FJI", "Fiji")),  # an agreement's name
        ("UN representation for the Republic of China", ("TWN", "the Republic of China")),
        ("ties with Beijing", ("CHN", "Beijing")),
        ("the United Kingdom of Great Britain and Northern Ireland and Cyprus",
         (["GBR", "CYP"], "the United Kingdom of Great Britain and Northern Ireland, Cyprus")),
    ],
)  # fmt: skip
def test_any_country_the_index_holds_is_read_by_its_names(question, expected):
    held = Vocabulary(PACIFIC | {"COK", "NCL", "CYP"}, frozenset(), frozenset(),
                      about=frozenset({"MDA", "FRA", "CHN", "TWN", "GBR", "IRL"}))  # fmt: skip
    found = {r.field: (r.value, r.text) for r in Reader(held).read(question).readings}
    assert found.get("country") == expected


@pytest.mark.parametrize(
    ("about", "question", "expected"),
    [
        ({"COD", "COG"}, "the Congo crisis of 1960", (["COD", "COG"], "the Congo")),
        ({"COD", "COG"}, "admission of the Republic of the Congo",
         (["COD", "COG"], "the Republic of the Congo")),
        ({"COD", "COG"}, "mercenaries in Zaire", ("COD", "Zaire")),
        ({"COD", "COG"}, "the DRC's mineral wealth", ("COD", "the DRC")),
        ({"COD"}, "the Congo crisis", ("COD", "the Congo")),  # the one the index holds
        (set(), "the Congo crisis", None),
    ],
)  # fmt: skip
def test_the_congo_alone_is_read_as_either_congo_the_index_holds(about, question, expected):
    held = Vocabulary(PACIFIC, frozenset(), frozenset(), about=frozenset(about))
    found = {r.field: (r.value, r.text) for r in Reader(held).read(question).readings}
    assert found.get("country") == expected


def test_a_session_paper_of_a_member_beyond_the_speeches_is_found_by_its_name(tmp_path: Path):
    settings = indexed(tmp_path, {
        f"paper-{code.lower()}.md": (
            f"# Session paper\n\nOur administration in {place} moved to electronic manifests.",
            {"doc_type": "session_paper", "year": 2024, "country": code},
        )
        for code, place in (("COK", "Rarotonga"), ("NIU", "Alofi"), ("TON", "Nuku'alofa"))
    })  # fmt: skip
    with serve(settings) as client:
        bodies = {
            name: client.post("/search", json={"query": f"what did {name} say on manifests"}).json()
            for name in ("the Cook Islands", "Niue", "Tonga")
        }

    for name, code in (("the Cook Islands", "COK"), ("Niue", "NIU"), ("Tonga", "TON")):
        body = bodies[name]
        assert body["understood"]["country"] == {"value": code, "text": name}
        assert body["results"][0]["source"] == f"paper-{code.lower()}.md"
    # the country's name comes from its code when the metadata gives only the code
    assert bodies["Niue"]["results"][0]["document"]["country_name"] == "Niue"


def test_a_new_generations_documents_match_the_readings(tmp_path: Path):
    """The documents of each reading are remembered per generation: a speech indexed later
    (an admin upload, a rebuild) is preferred as soon as it is served."""
    from search_api.query import Query
    from search_api.search import Searcher
    from tests.conftest import copy_corpus

    corpus = copy_corpus(tmp_path / "corpus", ["TUV_60_2005.txt", "FJI_74_2019.txt"])
    index_dir = tmp_path / "index"
    build(corpus, index_dir, FakeEmbedder())
    searcher = Searcher(index_dir, FakeEmbedder(), reload_check_seconds=0)
    question = Query("what did Tuvalu say about climate change in 2019", k=5)
    before = searcher.search(question).hits

    shutil.copy(CORPUS / "ungdc-pacific" / "TUV_74_2019.txt", corpus / "ungdc-pacific")
    build(corpus, index_dir, FakeEmbedder())
    searcher.refresh()
    after = searcher.search(question).hits
    searcher.close()

    def spoken(hits) -> set:
        return {(h.document.values["country"], h.document.values["year"]) for h in hits}

    assert ("TUV", 2019) not in spoken(before)
    assert spoken(after) == {("TUV", 2019)}  # its passages, within the readings' documents


@functools.cache
def _every_name_reader() -> Reader:
    """One reader for every example: building its patterns takes longer than a search."""
    every = {c.alpha_3 for c in pycountry.countries}
    return Reader(Vocabulary(frozenset(every), frozenset(ORGANISATION_ALIASES),
                             frozenset(DOC_TYPE_WORDS)))  # fmt: skip


def _pattern_matches(found, question: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group("name")) for m in found.pattern.finditer(question)]


@pytest.mark.parametrize("field", ["_names", "_organisations", "_doc_types"])
@examples(max_examples=300, deadline=None)
@given(data=st.data())
def test_names_are_tried_only_where_one_can_open_and_found_as_the_pattern_finds_them(
    field: str, data
):
    """The reader tries its alternation of ~800 names only at the words that can open one
    (for speed); it finds exactly what scanning every character finds, in questions made of
    names, their parts, articles, hyphens and other words, in any case."""
    found = getattr(_every_name_reader(), field)
    words = sorted({w for name in found.values for w in re.split(r"(\s+)", name)})
    pieces = st.one_of(
        st.sampled_from(sorted(found.values)),
        st.sampled_from(words),
        st.sampled_from(["the", "The", "THE", "-", " ", "  ", ", ", "'s", "2019", "x"]),
        st.text(alphabet="abcXYZ-' ", max_size=6),
    )
    typed = [
        "the Cook Islands",
        "The the Fiji",
        "anti-Fiji and THE FIJI's",
        "the Papua New Guinea-ish",
        "PNG, png and the Federated States of Micronesia",
    ]
    for question in typed:
        fast = [(m.start(), m.end(), m.group("name")) for m in found.finditer(question)]
        assert fast == _pattern_matches(found, question), question
    parts = data.draw(st.lists(pieces, max_size=12))
    question = "".join(p.upper() if data.draw(st.booleans()) and len(p) < 4 else p for p in parts)
    fast = [(m.start(), m.end(), m.group("name")) for m in found.finditer(question)]
    assert fast == _pattern_matches(found, question)
