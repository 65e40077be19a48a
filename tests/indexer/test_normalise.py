"""Normalisation: raw text in, clean prose blocks out (headings, labelled items, paragraphs)."""

from __future__ import annotations

import re

import pytest

from indexer.normalise import NormalisedText, clean, normalise
from tests.conftest import COMMUNIQUE_TXT, CORPUS

TUV_2005 = CORPUS / "ungdc-pacific" / "TUV_60_2005.txt"

SESSIONS = ["One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten"]

# A speech hard-wrapped at about 55 characters, as the old UN records are.
WRAPPED_SPEECH = """\
The people of the islands, on whose behalf I have
the honour to speak, join me in extending our warmest
congratulations to the Assembly on its anniversary.
We wish to put on record our profound gratitude to
every single member of this great body for the
immense achievements of the Organization in the
service of small and isolated nations such as ours.
Last week the world heard from us that the time for
stating principles and defining problems has long
passed, and that it is now time to take action on
the complex challenges of development and security.
"""


def communique() -> NormalisedText:
    return normalise([(CORPUS / COMMUNIQUE_TXT).read_text(encoding="utf-8")])


def assert_offsets_exact(doc: NormalisedText) -> None:
    for block in doc.blocks:
        assert doc.text[block.start : block.end] == block.text
    for before, after in zip(doc.blocks, doc.blocks[1:], strict=False):
        assert doc.text[before.end : after.start] == "\n\n"


def paragraphs(doc: NormalisedText) -> list[str]:
    return [b.text for b in doc.blocks if b.kind == "paragraph"]


# --- cleaning ------------------------------------------------------------------------------


def test_clean_removes_byte_order_mark_and_crlf():
    assert clean("\ufeffFirst line.\r\nSecond line.\rThird.") == "First line.\nSecond line.\nThird."


def test_normalised_text_has_no_bom_or_carriage_returns():
    doc = normalise(["\ufeffThe conference opened.\r\n\r\nDelegates arrived on time.\r\n"])
    assert "\ufeff" not in doc.text
    assert "\r" not in doc.text
    assert paragraphs(doc) == ["The conference opened.", "Delegates arrived on time."]


def test_clean_removes_soft_hyphens_and_zero_width_spaces():
    assert clean("sus\u00adtain\u200bable") == "sustainable"


def test_clean_collapses_runs_of_spaces_and_non_breaking_spaces():
    assert clean("Cook\u00a0\u00a0Islands   and\tFiji   ") == "Cook Islands and Fiji"


# --- hard-wrapped prose ----------------------------------------------------------------------


def test_hard_wrapped_speech_is_rejoined_into_one_paragraph_per_thought():
    doc = normalise([WRAPPED_SPEECH])
    assert "\n" not in "".join(b.text for b in doc.blocks)
    assert (
        "The people of the islands, on whose behalf I have the honour to speak, join me in "
        "extending our warmest congratulations to the Assembly on its anniversary."
    ) in doc.text
    assert (
        "Last week the world heard from us that the time for stating principles and defining "
        "problems has long passed, and that it is now time to take action on the complex "
        "challenges of development and security."
    ) in doc.text


def test_real_hard_wrapped_speech_has_no_line_breaks_inside_blocks():
    raw = TUV_2005.read_text(encoding="utf-8")
    doc = normalise([raw])
    assert max(len(line) for line in raw.splitlines()) < 70  # the file is hard-wrapped
    assert len(doc.blocks) < len(raw.splitlines()) / 5
    for block in doc.blocks:
        assert "\n" not in block.text
    assert (
        "The people of Tuvalu, on whose behalf I have the honour to speak, join me in extending "
        "our warmest congratulations to the United Nations on the occasion of its sixtieth "
        "anniversary."
    ) in doc.text


def test_real_hard_wrapped_speech_never_splits_a_sentence_between_paragraphs():
    # TUV_60_2005.txt carries page numbers ("10", "11") followed by a blank line in the middle
    # of sentences; the page break must not become a paragraph break.
    doc = normalise([TUV_2005.read_text(encoding="utf-8")])
    broken = [
        text
        for text in paragraphs(doc)
        if not text.rstrip().endswith((".", "!", "?", '"', "”", "’")) or text[:1].islower()
    ]
    assert broken == []


def test_page_number_and_blank_line_inside_a_wrapped_sentence_do_not_split_it():
    lines = WRAPPED_SPEECH.splitlines()
    # Break the page in the middle of the second sentence, as in the UN records.
    raw = "\n".join([*lines[:4], "12", "", *lines[4:]]) + "\n"
    doc = normalise([raw])
    assert (
        "We wish to put on record our profound gratitude to every single member of this great "
        "body for the immense achievements"
    ) in doc.text


def test_end_of_line_hyphenation_is_joined():
    doc = normalise(["The develop-\nment of the region depends on trade."])
    assert doc.text == "The development of the region depends on trade."


def test_hyphen_kept_when_document_spells_the_word_with_a_hyphen_elsewhere():
    raw = (
        "Members discussed the growth of online trade and the impact of e-\n"
        "commerce on revenue.\n\n"
        "Several members shared progress on e-commerce initiatives.\n"
    )
    doc = normalise([raw])
    assert "impact of e-commerce on revenue." in doc.text
    assert "ecommerce" not in doc.text


def test_hyphen_of_a_longer_compound_kept_when_spelled_so_elsewhere():
    doc = normalise(["Members praised cross-\nborder work.\n\nCross-border crime grew."])
    assert "praised cross-border work." in doc.text


def test_hyphenated_word_in_hard_wrapped_speech_is_joined():
    raw = WRAPPED_SPEECH.replace(
        "complex challenges of development and security.",
        "complex challenges of develop-\nment and security.",
    )
    doc = normalise([raw])
    assert "challenges of development and security." in doc.text


def test_form_feed_inside_a_sentence_does_not_break_it():
    doc = normalise(["This sentence runs on\n\fand on to the end of the page."])
    assert paragraphs(doc) == ["This sentence runs on and on to the end of the page."]


def test_form_feed_on_a_line_of_its_own_does_not_break_a_sentence():
    doc = normalise(["This sentence runs on\n\f\nand on to the end of the page."])
    assert paragraphs(doc) == ["This sentence runs on and on to the end of the page."]


@pytest.mark.parametrize(
    "noise",
    ["4 05-51226", "12", "- 7 -", "A/60/PV.12  05-51226", "16/23 15-29595",
     "29/09/2015 A/70/PV.18", "94-12513 (E)", "Page 2 of 3"],
)  # fmt: skip
def test_page_furniture_is_dropped(noise):
    lines = WRAPPED_SPEECH.splitlines()
    raw = "\n".join([*lines[:4], noise, *lines[4:]])
    doc = normalise([raw])
    assert noise not in doc.text
    assert not re.search(r"\d", doc.text)
    assert "profound gratitude to every single member" in doc.text


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["Recalling its resolutions 425 (1978), 426 (1978), 427", "(1978), 434 (1978),",
          "467 (1980) and 474 (1980),"], "427 (1978), 434 (1978), 467 (1980) and 474"),
        (["for an interim period of six months, that is, until 19 April", "1984;"],
         "until 19 April 1984;"),
        (["and to report to the Council by 31 October", "1963."], "by 31 October 1963."),
        (["as contained in document S/Agenda/", "2185"], "S/Agenda/ 2185"),  # ends a token
    ],
)  # fmt: skip
def test_a_wrapped_line_without_a_word_is_text_not_page_furniture(lines, expected):
    # Resolution 483 printed "427\n(1978), 434 (1978), …": lines without a word of three
    # letters were dropped as page numbers, and references with them.
    raw = "\n".join(["The Security Council,", "", *lines, "", *WRAPPED_SPEECH.splitlines()])
    assert expected in normalise([raw]).text


def test_a_repeated_running_header_without_words_is_dropped():
    # PNG_63_2008.txt lost its pages but prints its record symbol at each page's head
    lines = WRAPPED_SPEECH.splitlines()
    raw = "\n".join([*lines[:3], "A/63/PV.13", *lines[3:6], "A/63/PV.13", *lines[6:9],
                     "A/63/PV.13", *lines[9:]])  # fmt: skip
    assert "A/63/PV.13" not in normalise([raw]).text
    assert "A/63/PV.13" in normalise([WRAPPED_SPEECH + "\nSee A/63/PV.13.\n"]).text


def test_a_draft_symbol_under_a_resolutions_header_is_kept_on_a_line_of_its_own():
    doc = normalise([(CORPUS / "unsc-resolutions" / "S_RES_0074_1949_EN_GOLD.txt").read_text()])
    assert [b.text for b in doc.blocks[:2]] == [
        "74 (1949). Resolution of 16 September 1949", "[S/1393]"]  # fmt: skip


def test_a_pdf_drops_page_numbers_at_its_pages_edges_only():
    pages = ["# Fisheries\n\nFish catches by year:\n\n2019\n\n2020\n\nThe table ends here.\n\n1",
             "The second page talks about the ocean.\n\n2"]  # fmt: skip
    doc = normalise(pages, paged=True)
    assert "2019" in doc.text and "2020" in doc.text
    assert doc.text.rstrip().endswith("ocean.") and "here. 1" not in doc.text


def test_a_line_that_opens_most_pages_but_is_also_text_inside_one_is_kept():
    # a report's paragraphs repeat a phrase; pages break so that it opens three of four
    line = "post-clearance audit and the use of advance cargo information"
    body = f"Members discussed the\n{line}\nand agreed to share data.\n\nMore text here."
    pages = [f"{line}\n\nwas reviewed.\n\n{body}\n\n{n}" for n in (1, 2, 3)]
    pages.append(f"Closing words.\n\n{body}\n\n4")

    text = normalise(pages, paged=True).text

    assert text.count(line) == 7  # three at the pages' tops, four inside them
    assert "Closing words." in text and not text.rstrip().endswith("4")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("report of the Secretary-\nGeneral on the", "report of the Secretary-General on"),
        ("Official Records, Twenty-\nseventh Year", "Twenty-seventh Year"),
        ("agencies and non-\ngovernmental organizations", "non-governmental organizations"),
        ("the right to self-\ndetermination of peoples", "self-determination of peoples"),
        ("in the post-\n2015 agenda", "post-2015 agenda"),
        ("the develop-\nment of the region", "development of the region"),
        # the document's own spelling decides: resolution 211 writes "ceasefire" too
        ("a ceasefire now and a cease-\nfire later", "a ceasefire now and a ceasefire later"),
    ],
)
def test_a_word_split_at_a_line_end_is_joined_and_a_compound_keeps_its_hyphen(raw, expected):
    assert expected in normalise([raw]).text


# --- the seed communiqué -------------------------------------------------------------------------


def test_communique_yields_day_and_conclusion_headings():
    headings = [b.text for b in communique().blocks if b.kind == "heading"]
    for expected in ("Day One Highlights", "Day Two Highlights", "Conclusion"):
        assert expected in headings
    # The colon of "Day One Highlights:" is not part of the heading.
    assert not any(h.endswith(":") for h in headings)


def test_communique_items_are_labelled_sessions_and_opening_ceremony():
    doc = communique()
    labels = [b.label for b in doc.blocks if b.kind == "item"]
    expected = ["Opening Ceremony"] + [f"Session {n}" for n in SESSIONS]
    assert [label for label in labels if label in expected] == expected


def test_communique_items_keep_their_whole_text_without_bullets_or_emphasis():
    doc = communique()
    items = {b.label: b.text for b in doc.blocks if b.kind == "item"}
    four = items["Session Four"]
    assert four.startswith("Session Four: Panel discussions")
    assert "**" not in four
    assert four.endswith("discussed the future of trade logistics in the region.")
    assert items["Opening Ceremony"].startswith("Opening Ceremony: The conference commenced")
    assert items["Opening Ceremony"].endswith("regional and international partners.")


def test_session_five_includes_its_continuation_line():
    doc = communique()
    five = next(b for b in doc.blocks if b.label == "Session Five")
    assert "counterfeits. The session emphasized the need for coordination" in five.text
    assert five.text.endswith("procedures and intelligence products.")


def test_communique_wrapped_item_lines_are_joined_with_single_spaces():
    doc = communique()
    two = next(b for b in doc.blocks if b.label == "Session Two")
    assert "through advanced data management and analysis" in two.text
    assert "\n" not in two.text
    assert "  " not in two.text


def test_communique_heading_is_followed_by_its_items():
    blocks = communique().blocks
    kinds = [(b.kind, b.label or b.text) for b in blocks]
    day_two = kinds.index(("heading", "Day Two Highlights"))
    assert kinds[day_two + 1] == ("item", "Session Three")


def test_sentence_introducing_a_quotation_is_not_taken_for_a_heading():
    raw = (
        "I want to thank my fellow ministers and the humanitarian leaders who partnered with us.\n"
        "As the family said this week:\n"
        "“People like her are rare and their bravery should be protected.”\n"
        "The world’s peoples are counting on all of us here to rededicate ourselves to the law.\n"
    )
    doc = normalise([raw])
    assert [b.text for b in doc.blocks if b.kind == "heading"] == []
    assert "As the family said this week:" in doc.text


def test_real_speech_without_headings_gets_no_heading_blocks():
    # AUS_79_2024.txt: "As Zomi Frankcom’s family said this week:" introduces a quotation.
    doc = normalise([(CORPUS / "ungdc-pacific" / "AUS_79_2024.txt").read_text(encoding="utf-8")])
    assert [b.text for b in doc.blocks if b.kind == "heading"] == []


# --- offsets ---------------------------------------------------------------------------------


def test_block_offsets_index_the_normalised_text_exactly_for_the_communique():
    assert_offsets_exact(communique())


def test_block_offsets_index_the_normalised_text_exactly_for_a_wrapped_speech():
    assert_offsets_exact(normalise([TUV_2005.read_text(encoding="utf-8")]))


def test_block_offsets_exact_for_paged_text():
    pages = [
        "# Report Title\n\nThe first page talks about fisheries.\n\nPage 1 of 2",
        "The second page talks about the ocean.\n\nPage 2 of 2",
    ]
    doc = normalise(pages, paged=True)
    assert_offsets_exact(doc)
    assert [b.page for b in doc.blocks] == [1, 1, 2]


def test_markdown_headings_and_bullets():
    doc = normalise(
        [
            "# Annual Report\n\nIntroductory text of the report.\n\n"
            "- first point made here.\n- second point made here.\n"
        ]
    )
    kinds = [(b.kind, b.text) for b in doc.blocks]
    assert kinds[0] == ("heading", "Annual Report")
    assert ("paragraph", "first point made here.") in kinds
    assert ("paragraph", "second point made here.") in kinds


def test_page_at_returns_page_of_block_at_offset():
    doc = normalise(["First page sentence here.", "Second page sentence here."], paged=True)
    second = doc.text.index("Second")
    assert doc.page_at(0) == 1
    assert doc.page_at(second) == 2


def test_unpaged_text_has_no_page_numbers():
    doc = normalise(["A plain text document.\n\nWith two paragraphs."])
    assert all(b.page is None for b in doc.blocks)


def test_empty_input_gives_no_blocks():
    doc = normalise(["\n\n   \n"])
    assert doc.text == ""
    assert doc.blocks == []


def test_no_block_text_contains_stray_whitespace():
    doc = communique()
    for block in doc.blocks:
        assert block.text == block.text.strip()
        assert not re.search(r"\s{2,}", block.text)
