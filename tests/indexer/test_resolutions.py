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


def read_number(number: int) -> resolutions.Resolution:
    """The resolution in the collection's file named for `number`."""
    path = next(RESOLUTIONS.glob(f"S_RES_{number:04d}_*"))
    return resolutions.read(text_of(path.name), path.name, known=True)


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
    ("number", "vote", "meeting"),
    [
        (419, "without vote", 2049),  # "Adopted at the 2049th meeting without a vote."
        (406, "without vote", 2008),  # "Adopted unanimously, without a vote, at the …"
        (702, "without vote", 3001),  # "Adopted without vote at the 3001st meeting."
        (1, "without vote", 2),  # "Adopted at the 2nd meeting. 22" … "22 Adopted without vote."
        (591, "consensus", 2723),  # "Adopted by consensus at the 2723rd meeting."
        (521, "unanimous", 2396),  # "at the resumed 2396th meeting"
        (720, "unanimous", 3017),  # "at the 3017th (closed) meeting"
        (594, "unanimous", 2731),  # "at the 273 1st meeting"
        (724, "unanimous", 3023),  # OCR's "ai the 3023rd meeting"
        # "16" … "16 In the absence of any objection, the President stated that the draft
        # resolution was adopted unanimously."
        (99, "unanimous", 613),
        (331, "unanimous", 1710),  # "meet-\ning 21" … "21 In the absence of objections, …"
        # "14" … "14 The draft resolution was adopted in parts. No vote was taken on the text
        # as a whole."
        (7, "in parts", 49),
        (47, "in parts", 286),  # "… voted on paragraph by paragraph. No vote was taken …"
        (12, "in parts", 82),  # "Paragraphs 1 and 2 were adopted unanimously; …": not unanimous
    ],
)
def test_every_printed_form_of_the_adoption_line_gives_vote_and_meeting(number, vote, meeting):
    found = read_number(number)

    assert (found.vote, found.meeting) == (vote, meeting)
    assert found.votes_for is None


@pytest.mark.parametrize(
    "note",
    [
        "The amendment submitted by the United Kingdom (S/3079) was adopted by 6 votes to 2, "
        "with 3 abstentions.",
        "See resolution 95 (1951), adopted unanimously at the 558th meeting.",
        "Official Records of the Security Council, Eighth Year, 613th meeting.",
    ],
)
def test_a_note_on_something_else_than_the_adoption_gives_no_vote(note):
    """The note an adoption line points to gives the vote only when it is about that
    adoption, not an amendment's vote or another resolution's."""
    name = "S_RES_0099_1953_EN_GOLD.txt"
    written = (RESOLUTIONS / name).read_text(encoding="utf-8")
    start = written.index("16 In the absence")
    found = resolutions.read(normalise([written[:start] + "16 " + note + "\n"]), name, known=True)

    assert (found.vote, found.votes_for, found.meeting) == (None, None, 613)


@pytest.mark.parametrize(
    ("number", "meeting", "counts"),
    [
        (687, 2981, (12, 1, 2)),  # OCR's "298Ist meeting" costs the meeting nothing
        (462, 2190, (12, 2, 1)),  # "(German Democratic Republic. Union of …)": a point inside
        (265, 1473, (11, 0, 4)),  # OCR's "I1 votes"
        (54, 338, (7, 1, 3)),  # "by 7 votes to I (Syria)"
        (79, 462, (9, 0, 0)),  # OCR's "by 9 votes 10 none"
        # "by 10 votes (Union of Soviet Socialist Republics, absent)": none against given
        (5, 40, (10, None, None)),
    ],
)
def test_recorded_votes_are_read_through_printing_slips(number, meeting, counts):
    found = read_number(number)

    assert found.vote == "recorded" and found.meeting == meeting
    assert (found.votes_for, found.votes_against, found.votes_abstaining) == counts


def test_an_unreadable_meeting_number_is_none_and_a_provisional_header_gives_no_vote():
    assert resolutions.read(text_of("S_RES_0345_1974_EN_GOLD.txt")).meeting is None  # 176I1st
    found = resolutions.read(text_of("S_RES_0761_1992_EN_GOLD.txt"))  # vote not printed
    assert (found.meeting, found.vote) == (3087, None)


@pytest.mark.parametrize(
    ("number", "day"),
    [
        (772, "1992-08-17"),  # "Adopted by the Security Council at its 3107th meeting on …"
        (770, "1992-08-13"),  # "… meeting,\nOn 13 August 1992"
        (803, "1993-01-28"),  # "Adopted by the Security at its 3167th meeting, on …"
        (464, "1980-02-19"),  # "Of 19 February 1980"
        (883, "1993-11-11"),  # "Resolution 883 (1993)\n11 November 1993"
        (856, "1993-08-10"),  # OCR's "10 Auqust 1993"
        (705, "1991-08-15"),  # "15 August. 1991"
    ],
)
def test_every_printed_form_of_the_header_gives_the_date(number, day):
    found = read_number(number)

    assert found.date == day and found.year == int(day[:4])
    assert found.title.endswith(f"({day[:4]}) of {resolutions._long_date(day)}")


def test_countries_come_from_the_resolutions_own_text_not_its_vote_or_notes():
    # 338 (1973) names China only in "One member (China) did not participate in the voting."
    found = resolutions.read(text_of("S_RES_0338_1973_EN_GOLD.txt"))
    assert found.countries == []
    assert "did not participate" not in found.own_text(text_of("S_RES_0338_1973_EN_GOLD.txt").text)
    # 152 (1960): a note tells which Congo ("Republic of the Congo, capital Brazzaville.")
    assert resolutions.read(text_of("S_RES_0152_1960_EN_GOLD.txt")).countries == ["COG"]


def test_a_resolutions_number_tells_its_year():
    assert resolutions.years_of(1) == (1946, 1946)
    assert resolutions.years_of(132) == (1959, 1959)
    assert resolutions.years_of(587) == resolutions.years_of(593) == (1986, 1986)
    assert resolutions.years_of(893) == (1994, None)  # past what the collection knows
    assert resolutions.file_number("unsc-resolutions/S_RES_0542_1983_EN_GOLD.txt") == 542
    assert resolutions.file_number("speech.txt") is None


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
