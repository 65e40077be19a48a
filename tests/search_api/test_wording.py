"""The scaffolding of a question is taken off before its meaning is embedded."""

from __future__ import annotations

import pytest

from search_api.wording import content, is_code


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Which leader told the assembly that, in making amends for history, his parliament "
         "had said sorry", "in making amends for history, his parliament had said sorry"),
        ("Which minister said nearly every adult had received a first dose",
         "nearly every adult had received a first dose"),
        ("what did Tuvalu say about climate change in 2019?", "Tuvalu climate change in 2019"),
        ("What did Papua New Guinea tell the General Assembly about Bougainville in 2005?",
         "Papua New Guinea Bougainville in 2005"),
        ("Which new president described plans to move homes off the coast",
         "new plans to move homes off the coast"),
        ("what was said about undervaluation in regional trade",
         "undervaluation in regional trade"),
    ],
)  # fmt: skip
def test_scaffolding_goes_and_the_subject_stays(question: str, expected: str):
    assert content(question) == expected


@pytest.mark.parametrize(
    "question",
    [
        "Which Melanesian government asked the UN to name an envoy to probe abuses",  # a request
        "climate change",
        "what was said on e-commerce",  # too little would be left
        "Falepili Union",
        "resolution 678 paragraph 2",
    ],
)
def test_questions_without_scaffolding_stay_as_written(question: str):
    assert content(question) == question


@pytest.mark.parametrize(
    ("question", "code"),
    [
        ("77/276", True), ("A/RES/77/276", True), ("E/CN.4/1998/53", True), ("660", True),
        ("SDG 14", True), ("resolution 77/276", False), ("77/276 climate", False),
        ("COVID-19", False), ("OCO", False), ("Covid 19", False),
    ],
)  # fmt: skip
def test_a_symbol_or_number_alone_is_told_from_words(question: str, code: bool):
    assert is_code(question) is code
