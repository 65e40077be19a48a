"""A long question cut into its clauses, for the dense leg to match each on its own.

People describe a half-remembered passage by joining details ("which minister said his
country had paid off its last foreign loan the same year its fish exports doubled"): each
detail lies in its own sentence of the passage, and one vector of the whole question matches
none of them well. Each clause is matched to its best sentence of a candidate passage
(sentences embedded alone, at indexing); the passage's score takes the mean of those matches
beside its own similarity (search_api/dense.py; measured in docs/evaluation.md). A clause's
vector is pooled from the question's own forward pass, or in the costlier mode embedded
alone (search_api/query_embedding.py).
"""

from __future__ import annotations

import re

# Where a description turns to its next detail: punctuation, conjunctions, relative pronouns.
# Lower case only: "And" opening a question, "That" in a title, start no new detail.
_BOUNDARY = re.compile(
    r",|;| and | but | while | who | which | whose | after | when | because | that | where "
)
MIN_WORDS = 3  # a shorter piece ("in 2019", "the leader") is no detail of its own


def split(question: str) -> list[str]:
    """The question's clauses of at least MIN_WORDS words, when it has two or more; an empty
    list for a question that is one clause (a name, a topic, a short question)."""
    return [question[start:end] for start, end in spans(question)]


def spans(question: str) -> list[tuple[int, int]]:
    """Where `split`'s clauses lie in the question: (start, end) character offsets."""
    found, start = [], 0
    for boundary in [*_BOUNDARY.finditer(question), None]:
        end = boundary.start() if boundary else len(question)
        piece = question[start:end]
        if len(piece.split()) >= MIN_WORDS:
            left = start + len(piece) - len(piece.lstrip())
            found.append((left, left + len(piece.strip())))
        start = boundary.end() if boundary else end
    return found if len(found) >= 2 else []
