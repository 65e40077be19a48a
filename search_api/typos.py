"""Words typed wrong: a word of the question that neither English nor the archive knows, one
edit away (a letter left out, added, changed, or two swapped) from an English word that
passages hold, is searched as that word ("climate chnage" → "climate change"), as a search
box says "showing results for".

Both dictionaries are needed: the archive's own words make "Falepili" and "Biketawa" words,
and an English word list (pyspellchecker's) keeps the words people use in describing a
passage that the archive happens not to hold ("militarily", "bloated", "giver") from being
"corrected" into words it does. Of several words one edit away, the one most passages hold
wins (of words FTS5 indexes alike, the commonest in English: "levle" is "level", not
"levele"). Left alone: words of fewer than five letters (one edit makes another word of most
of them), words in capitals (acronyms), capitalised words but the question's first (names),
and words a reading takes as a name misspelt ("Tuvalau": the reader says so itself). The
response says what was read (`understood.spelling`), and `ignore: ["spelling"]` searches the
words as typed.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Collection
from string import ascii_lowercase

from spellchecker import SpellChecker

from search_api.spelling import variants

# Passages holding each word (as FTS5 indexes it); a word none holds is left out.
Counts = Callable[[Collection[str]], dict[str, int]]

SHORTEST = 5  # letters of the shortest word corrected
_WORD = re.compile(r"(?<![\w'’-])[^\W\d_]+(?![\w'’-])")  # not "shouldn" of "shouldn't"


@functools.cache
def english() -> SpellChecker:
    """English words and their frequencies (loaded once, about 0.3 s)."""
    return SpellChecker(language="en", distance=1)


def edits(word: str) -> set[str]:
    """Every string one edit from `word`: a letter left out, two neighbours swapped, a
    letter changed or added (Norvig's `edits1`), in a–z only: the word typed is ASCII, and
    pyspellchecker's own (`edit_distance_1`) adds its 18 accented letters, 1.7 times the
    strings to check for words no passage spells so."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    return (
        {a + b[1:] for a, b in splits if b}
        | {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
        | {a + c + b[1:] for a, b in splits if b for c in ascii_lowercase}
        | {a + c + b for a, b in splits for c in ascii_lowercase}
    )


def _words() -> dict[str, int]:
    """English words (lower case) → their frequency; looked up directly, not through
    `known`, which costs a conversion a word."""
    return english().word_frequency.dictionary


def _english_word(word: str) -> bool:
    return any(w in _words() for w in (word, *variants(word)))  # "characterise" too


def corrections(
    question: str, counts: Counts, skip: Collection[tuple[int, int]] = ()
) -> list[tuple[int, int, str]]:
    """(start, end, word as it should be) for each word of `question` that no passage holds
    and that is one edit from a word passages hold; `skip`: spans left as typed."""
    first = _WORD.search(question)
    typed = [
        (m.start(), m.end(), m.group())
        for m in _WORD.finditer(question)
        if len(m.group()) >= SHORTEST
        and m.group().isascii()
        and (m.group()[0].islower() or (m.start() == first.start() and m.group()[1:].islower()))
        and not any(s < m.end() and m.start() < e for s, e in skip)
    ]
    if not typed:
        return []
    held = counts({word.lower() for _, _, word in typed})
    out = []
    for start, end, word in typed:
        lower = word.lower()
        if held.get(lower) or _english_word(lower):
            continue
        # English words one edit away (a handful: tokenizing every string one edit away
        # would cost tens of milliseconds), of those the passages hold
        words = _words()
        found = counts([w for w in edits(lower) if w in words and w != lower])
        if not found:
            continue
        # most passages; of words indexed alike ("level", "levele"), the commonest in English
        best = min(found, key=lambda w: (-found[w], -words[w], w))
        out.append((start, end, best.capitalize() if word[0].isupper() else best))
    return out


def apply(question: str, fixes: list[tuple[int, int, str]]) -> str:
    """The question with each (start, end, word) written as that word."""
    parts, cursor = [], 0
    for start, end, word in sorted(fixes):
        parts += [question[cursor:start], word]
        cursor = end
    return "".join([*parts, question[cursor:]])
