"""The sentence (or two adjacent ones) of a passage that best answers the question."""

from __future__ import annotations

import re

import numpy as np

from indexer.folding import folded

WORD_BONUS = 0.15  # added for a sentence holding all the question's words, in proportion
SHORT_SENTENCE = 120  # characters: a shorter best sentence may take its neighbour
NEIGHBOUR_MARGIN = 0.05


def best_span(
    text: str,
    spans: list[tuple[int, int]],
    similarities: np.ndarray | None,
    words: list[str],
) -> tuple[int, int]:
    """Offsets in `text` of the sentence closest to the question (`similarities`: each
    sentence's cosine to the question's vector, or None), with a bonus for the question's
    `words`; the whole text when it has no sentences."""
    if not spans:
        return 0, len(text)
    scores = np.zeros(len(spans), dtype=np.float32)
    if similarities is not None and len(similarities) == len(spans):
        scores += similarities
    if words:
        lowered = [folded(text[s:e]).lower() for s, e in spans]  # words come folded
        scores += np.array(
            [WORD_BONUS * sum(w in sentence for w in words) / len(words) for sentence in lowered],
            dtype=np.float32,
        )
    best = int(np.argmax(scores))
    start, end = spans[best]
    # A short best sentence often needs its neighbour to make sense.
    if end - start < SHORT_SENTENCE and len(spans) > 1:
        neighbours = [i for i in (best - 1, best + 1) if 0 <= i < len(spans)]
        other = max(neighbours, key=lambda i: scores[i])
        if scores[other] >= scores[best] - NEIGHBOUR_MARGIN:
            start, end = min(start, spans[other][0]), max(end, spans[other][1])
    return start, end


def paragraph_span(
    text: str, spans: list[tuple[int, int]], paragraph: str | None
) -> tuple[int, int] | None:
    """Offsets of the sentence that opens numbered paragraph `paragraph` of a resolution's
    passage ("3. Decides that …"), or its first numbered paragraph when None: a question
    that only names a resolution asks for what it decided, and a sentence's closeness to
    "resolution 338" would pick the adoption line or the title. None without such a mark."""
    number = re.escape(paragraph) if paragraph else r"\d{1,3}"
    mark = re.search(rf"(?m)^[ \t]*{number}\.\s", text)
    if mark is None:
        return None
    at = mark.start() + len(mark.group(0)) - len(mark.group(0).lstrip())
    return next(((s, e) for s, e in spans if s <= at < e), None)
