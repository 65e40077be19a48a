"""Security Council resolutions: metadata read from the text, structure for passages."""

from __future__ import annotations

import pytest

from indexer import resolutions
from indexer.build import build
from indexer.chunking import chunk
from indexer.embedders.fake import FakeEmbedder
from indexer.metadata import derive
from indexer.normalise import normalise
from tests.conftest import CORPUS

RESOLUTIONS = CORPUS / "unsc-resolutions"


def text_of(name: str):
    return normalise([(RESOLUTIONS / name).read_text(encoding="utf-8")])


def test_metadata_of_resolution_242_comes_from_its_text():
    document = derive({}, "unsc-resolutions/S_RES_0242_1967_EN_GOLD.txt", text_of(
        "S_RES_0242_1967_EN_GOLD.txt"))  # fmt: skip

    assert document.doc_type == "resolution"
    assert document.organisation == "United Nations Security Council"
    assert document.symbol == "S/RES/242 (1967)" and document.number == 242
    assert document.title == "Resolution 242 (1967) of 22 November 1967"
    assert (document.year, document.date) == (1967, "1967-11-22")
    assert (document.meeting, document.vote) == (1382, "unanimous")
    assert document.warnings == []


def test_recorded_votes_are_counted():
    found = resolutions.read(text_of("S_RES_0678_1990_EN_GOLD.txt"))

    assert found.vote == "recorded" and found.meeting == 2963
    assert (found.votes_for, found.votes_against, found.votes_abstaining) == (12, 2, 1)


def test_the_oldest_header_form_and_its_topic_heading_are_read():
    found = resolutions.read(text_of("S_RES_0001_1946_EN_GOLD.txt"))

    assert (found.number, found.year, found.date) == (1, 1946, "1946-01-25")
    assert found.topic == "Military Staff Committee"
    assert found.meeting == 2


def test_a_file_holding_another_resolution_is_indexed_under_the_texts_symbol_with_a_warning():
    document = derive({}, "unsc-resolutions/S_RES_0542_1983_EN_GOLD.txt", text_of(
        "S_RES_0542_1983_EN_GOLD.txt"))  # fmt: skip

    assert document.symbol == "S/RES/538 (1983)" and document.number == 538
    assert any("file name says resolution 542" in w for w in document.warnings)


def test_a_misprinted_year_in_the_header_gives_way_to_the_date():
    found = resolutions.read(text_of("S_RES_0434_1978_EN_GOLD.txt"))

    assert found.year == 1978 and found.date == "1978-09-18"
    assert any("(1973)" in w for w in found.warnings)


@pytest.mark.parametrize(
    "text",
    [
        "Resolution 1325 was adopted by 2500 delegates in room 3001.",  # no year or date
        "Resolution 3 (2024)\n\nThe Conference agreed on customs valuation.",  # no Council
    ],
)
def test_other_documents_are_not_taken_for_resolutions(text: str):
    assert resolutions.read(normalise([text])) is None


def test_a_header_without_the_council_is_read_when_the_metadata_says_resolution():
    text = normalise(["Resolution 462 (1980)\n\nHaving considered the item on the agenda."])

    assert resolutions.read(text) is None
    assert resolutions.read(text, known=True).number == 462


def test_paragraph_numbers_stay_in_the_text_and_sub_paragraphs_belong_to_their_paragraph():
    text = text_of("S_RES_0242_1967_EN_GOLD.txt")
    blocks = {b.text[:12]: b.paragraph for b in text.blocks}

    assert "1. Affirms that the fulfilment" in text.text
    assert blocks["1. Affirms t"] == "1"
    assert blocks["(ii) Termina"] == "1"  # a sub-paragraph of paragraph 1
    assert blocks["(a) For guar"] == "2"
    assert blocks["The Security"] is None  # the preamble


def test_passages_follow_the_preamble_then_each_operative_paragraph():
    text = text_of("S_RES_0242_1967_EN_GOLD.txt")
    structured = resolutions.structure(text, resolutions.read(text))
    passages = chunk(structured, FakeEmbedder().count_tokens)

    assert [(p.section, p.paragraphs) for p in passages] == [
        ("Preamble", None),
        ("Paragraph 1", "1"),
        ("Paragraph 2", "2"),
        ("Paragraph 3", "3"),
        ("Paragraph 4", "4"),
    ]
    assert passages[2].text.startswith("2. Affirms further the necessity")
    assert "(c) For guaranteeing the territorial inviolability" in passages[2].text


def sections_of(name: str) -> list[tuple[str | None, str]]:
    text = text_of(name)
    passages = chunk(resolutions.structure(text, resolutions.read(text)),
                     FakeEmbedder().count_tokens)  # fmt: skip
    return [(p.section, p.text) for p in passages]


def test_operative_clauses_without_numbers_are_the_operative_part_not_the_preamble():
    sections = sections_of("S_RES_0047_1948_EN_GOLD.txt")
    names = [name for name, _ in sections]

    assert names[:2] == ["Preamble", "Preamble"]
    part = [text for name, text in sections if name == "Operative part"]
    assert part[0].startswith("Reaffirms its resolution 38 (1948)")
    assert any(text.startswith("Recommends to the Governments of India") for text in part)
    assert names.index("Paragraph 1") > names.index("Operative part")


def test_a_short_lead_in_joins_the_first_numbered_paragraph():
    sections = sections_of("S_RES_0006_1946_EN_GOLD.txt")

    assert [name for name, _ in sections] == ["Preamble", "Paragraph 1", "Paragraph 2"]
    assert sections[1][1].startswith("Resolves")


def test_a_resolution_without_numbered_paragraphs_stays_whole_and_is_not_called_a_preamble():
    sections = sections_of("S_RES_0016_1947_EN_GOLD.txt")  # "Hereby records its approval …"

    assert {name for name, _ in sections} == {"16 (1947). Resolution of 10 January 1947"}
    assert "Hereby records its approval" in "".join(text for _, text in sections)
    # an adverb before a participle is still the preamble; before a verb, the operative part
    assert not resolutions._OPERATIVE.match("Further noting that the restriction")
    assert resolutions._OPERATIVE.match("Further requests the Secretary-General")
    assert resolutions._OPERATIVE.match("Hereby records its approval")


def test_a_short_operative_paragraph_joins_the_one_before():
    text = text_of("S_RES_0678_1990_EN_GOLD.txt")
    passages = chunk(resolutions.structure(text, resolutions.read(text)),
                     FakeEmbedder().count_tokens)  # fmt: skip

    last = passages[-1]
    assert last.text.rstrip().endswith("(China).") or "remain seized" in last.text
    assert "5" in last.paragraphs and last.section.startswith("Paragraphs")


def test_words_hyphenated_at_line_ends_and_wrapped_references_read_as_one():
    text = text_of("S_RES_0687_1991_EN_GOLD.txt").text

    assert "661 (1990) of 6 August 1990" in text  # printed "661\n(1990)"
    assert "\n(1990)" not in text


def test_a_resolutions_subjects_are_the_names_it_is_about_without_the_councils_boilerplate():
    assert resolutions.subjects(text_of("S_RES_0661_1990_EN_GOLD.txt").text)[:2] == [
        "Kuwait", "Iraq"]  # fmt: skip
    assert {"India", "Pakistan", "Kashmir"} <= set(
        resolutions.subjects(text_of("S_RES_0047_1948_EN_GOLD.txt").text)
    )
    for name in ("S_RES_0242_1967_EN_GOLD.txt", "S_RES_0678_1990_EN_GOLD.txt",
                 "S_RES_0687_1991_EN_GOLD.txt"):  # fmt: skip
        found = resolutions.subjects(text_of(name).text)
        assert found and not {"Security Council", "Decides", "Recalling", "Charter"} & set(found)


def test_a_resolution_says_which_countries_it_is_about():
    about = {
        name: derive({}, f"unsc-resolutions/{name}", text_of(name)).countries
        for name in ("S_RES_0661_1990_EN_GOLD.txt", "S_RES_0242_1967_EN_GOLD.txt",
                     "S_RES_0047_1948_EN_GOLD.txt")
    }  # fmt: skip
    assert about == {
        "S_RES_0661_1990_EN_GOLD.txt": "KWT,IRQ",
        "S_RES_0242_1967_EN_GOLD.txt": "ISR",  # "Israeli armed forces": it never says Israel
        "S_RES_0047_1948_EN_GOLD.txt": "IND,PAK",
    }


class RecordingEmbedder(FakeEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []

    def embed_batch(self, texts):
        self.texts += texts
        return super().embed_batch(texts)


def test_an_operative_paragraph_is_embedded_with_what_its_resolution_is_about(tmp_path):
    corpus = tmp_path / "corpus" / "unsc-resolutions"
    corpus.mkdir(parents=True)
    (corpus / "S_RES_0661_1990_EN_GOLD.txt").write_bytes(
        (RESOLUTIONS / "S_RES_0661_1990_EN_GOLD.txt").read_bytes()
    )
    embedder = RecordingEmbedder()
    build(tmp_path / "corpus", tmp_path / "index", embedder)

    seized = [t for t in embedder.texts if "Paragraph 10" in t.split("\n", 1)[0]]
    assert seized and seized[0].split("\n", 1)[0].endswith("— Kuwait, Iraq")
