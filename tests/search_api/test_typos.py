"""Words typed wrong, searched as they should be (search_api/typos.py)."""

from __future__ import annotations

import pytest

from search_api.typos import apply, corrections

# Passages holding each word, as the index would say (FTS5 indexes "levele" as "level").
HELD = {"change": 900, "climate": 800, "level": 300, "levele": 300, "relocation": 40,
        "government": 500, "ocean": 700, "falepili": 3}  # fmt: skip


def counts(words):
    return {w: HELD[w] for w in words if w in HELD}


def fixed(question: str, skip=()) -> str:
    return apply(question, corrections(question, counts, skip))


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("climate chnage", "climate change"),
        ("relocatoin of people", "relocation of people"),
        ("goverment corruption", "government corruption"),
        ("Ocaen acidification", "Ocean acidification"),  # the first word, capitalised
        ("sea levle rise", "sea level rise"),  # "levele" is indexed alike, but no English
    ],
)
def test_a_word_typed_wrong_is_searched_as_the_word_passages_hold(typed, meant):
    assert fixed(typed) == meant


@pytest.mark.parametrize(
    "question",
    [
        "the council acted militarily",  # English, though no passage holds it
        "a bloated bureaucracy",
        "characterise the change",  # English in its American spelling
        "the Kurds in the north",  # a capitalised word inside the question: a name
        "OCEEN",  # capitals: an acronym
        "clmte",  # two edits from "climate"
        "the wrold",  # one edit from an English word ("world") that no passage holds
        "the ocen",  # fewer than five letters
        "shouldn't the climate",  # a word's part before an apostrophe
        "the Falepili Union",  # a word the archive holds
    ],
)
def test_words_english_or_the_archive_knows_are_left_as_typed(question):
    assert corrections(question, counts) == []


def test_a_typo_is_corrected_where_it_stands_and_a_skipped_span_stays():
    question = "climate chnage and ocaen warming"
    assert corrections(question, counts) == [(8, 14, "change"), (19, 24, "ocean")]
    assert fixed(question, skip=[(8, 14)]) == "climate chnage and ocean warming"
