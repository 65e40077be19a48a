"""Writes eval/typos/questions.jsonl: the questions of the shipped set and of the held-out
sets (all but references) with a typo in their longest lower-case word of six letters or
more: two letters in its middle swapped (bench.understanding.swapped), when that makes a
word English does not know; evidence unchanged.

    .venv/bin/python -m eval.typos.make
"""

from __future__ import annotations

import re

from bench.understanding import swapped
from eval.derived import write
from search_api.typos import english

SETS = ["eval/questions.jsonl", *(f"eval/heldout{n}/questions.jsonl" for n in ("", 2, 3, 4))]
_WORD = re.compile(r"(?<![\w'’-])[a-z]{6,}(?![\w'’-])")


def typo(question: dict) -> str | None:
    """The question with its longest lower-case word typed wrong; None for a reference, or
    when the swap makes a word of its own ("from" → "form": no typo anyone could tell)."""
    text = question["question"]
    words = sorted(_WORD.finditer(text), key=lambda m: (-len(m.group()), m.start()))
    if question["kind"] == "reference" or not words:
        return None
    typed = swapped(text, words[0].start(), len(words[0].group()))
    return None if english().known([typed[words[0].start() : words[0].end()]]) else typed


def main() -> None:
    write("typos", SETS, typo)


if __name__ == "__main__":
    main()
