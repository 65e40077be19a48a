"""Sentence boundaries: passages end and highlights start at real sentence ends only."""

from __future__ import annotations

import pytest

from indexer.sentences import split, split_spans
from tests.conftest import COMMUNIQUE_TXT, CORPUS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Mr. President, I thank you. Dr. Smith agreed with Mrs. Jones.",
            ["Mr. President, I thank you.", "Dr. Smith agreed with Mrs. Jones."],
        ),
        (
            "The U.N. must act now. We agree with the U.S. and the U.K. on this.",
            ["The U.N. must act now.", "We agree with the U.S. and the U.K. on this."],
        ),
        (
            "Small States, e.g. Tuvalu, need help. Others, i.e. the rest, do too.",
            ["Small States, e.g. Tuvalu, need help.", "Others, i.e. the rest, do too."],
        ),
        (
            "See resolution No. 5 of the Council. It matters.",
            ["See resolution No. 5 of the Council.", "It matters."],
        ),
        (
            "Aid rose to 3.5 per cent of gross national product. That is welcome.",
            ["Aid rose to 3.5 per cent of gross national product.", "That is welcome."],
        ),
        (
            "Dr. J. Smith spoke first. Then others followed.",
            ["Dr. J. Smith spoke first.", "Then others followed."],
        ),
    ],
)
def test_abbreviations_initials_and_decimals_do_not_end_sentences(text, expected):
    assert split(text) == expected


def test_closing_straight_quote_stays_with_its_sentence():
    text = 'He said "We will act now." Then he sat down.'
    assert split(text) == ['He said "We will act now."', "Then he sat down."]


def test_closing_curly_quote_stays_with_its_sentence():
    text = "The Prime Minister spoke of “urgency.” The ceremony followed."
    assert split(text) == ["The Prime Minister spoke of “urgency.”", "The ceremony followed."]


def test_closing_bracket_stays_with_its_sentence():
    text = "(This was noted by all.) Members agreed."
    assert split(text) == ["(This was noted by all.)", "Members agreed."]


def test_question_and_exclamation_marks_end_sentences():
    assert split("Is it enough? No! We must do more.") == [
        "Is it enough?",
        "No!",
        "We must do more.",
    ]


def test_lowercase_after_a_full_stop_continues_the_sentence():
    assert split("The approx. figure is large. It grew.") == [
        "The approx. figure is large.",
        "It grew.",
    ]


def test_paragraph_break_ends_a_sentence_without_punctuation():
    assert split("Conclusion\n\nThe conference closed.") == ["Conclusion", "The conference closed."]


def test_text_without_final_punctuation_is_one_sentence():
    assert split("a run-on fragment with no full stop") == ["a run-on fragment with no full stop"]


def test_spans_are_trimmed_of_whitespace():
    text = "  First sentence here.   Second one.  \n"
    for start, end in split_spans(text):
        assert not text[start].isspace()
        assert not text[end - 1].isspace()


def test_spans_respect_the_start_and_end_of_the_range():
    text = "Ignored before. First inside. Second inside. Ignored after."
    start = text.index("First")
    end = text.index(" Ignored after")
    spans = split_spans(text, start, end)
    assert [text[s:e] for s, e in spans] == ["First inside.", "Second inside."]


def test_empty_and_blank_text_have_no_sentences():
    assert split_spans("") == []
    assert split_spans("   \n\n  ") == []


def _assert_covers_every_non_space_char_once(text: str) -> None:
    spans = split_spans(text)
    covered = [0] * len(text)
    for start, end in spans:
        assert start < end
        for i in range(start, end):
            covered[i] += 1
    for i, ch in enumerate(text):
        if not ch.isspace():
            assert covered[i] == 1, f"character {i} ({ch!r}) covered {covered[i]} times"
    assert spans == sorted(spans)


@pytest.mark.parametrize(
    "text",
    [
        'Mr. President, the U.N. and e.g. No. 5 matter. 3.5 per cent! Is it? "Yes." (Indeed.)',
        "Line one without end\n\nLine two. And three…  Four?!  \n\n\n Five.",
        "Trailing spaces.   ",
        "...!?",
    ],
)
def test_spans_cover_every_non_space_character_exactly_once(text):
    _assert_covers_every_non_space_char_once(text)


def test_spans_cover_every_non_space_character_of_a_real_document():
    _assert_covers_every_non_space_char_once((CORPUS / COMMUNIQUE_TXT).read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Wait... What now? Go!", ["Wait...", "What now?", "Go!"]),
        ("x...y and more. Next.", ["x...y and more.", "Next."]),
        ('Stop?!" He left.', ['Stop?!"', "He left."]),
        ('It ends..."x Then.', ['It ends..."x Then.']),
        ("Agreed.\n   9. Decides to act. Done.", ["Agreed.", "9. Decides to act.", "Done."]),
        ("It rose by 9. Decides nothing.", ["It rose by 9.", "Decides nothing."]),
    ],
)
def test_runs_of_marks_and_paragraph_numbers(text, expected):
    assert split(text) == expected


class _Tallied(str):
    """A text that tallies the characters sliced out of it."""

    sliced = 0

    def __getitem__(self, key):
        part = super().__getitem__(key)
        if isinstance(key, slice):
            _Tallied.sliced += len(part)
        return part


@pytest.mark.parametrize(
    "unit",
    [
        "rates rose 5. and fell. ",  # candidates that end nothing: a number, lowercase next
        "Rates rose. ",
    ],
)
def test_splitting_looks_only_near_each_candidate_end(unit):
    # Each candidate end looks at a bounded window, not at the rest of the range or back to
    # its line's start: linear in the text's length (it sliced 2000 times the length here).
    text = _Tallied(unit * 4000)
    _Tallied.sliced = 0
    spans = split_spans(text)
    sliced = _Tallied.sliced
    assert " ".join(str.__getitem__(text, slice(s, e)) for s, e in spans) == text.strip()
    assert sliced <= 8 * len(text), sliced / len(text)
