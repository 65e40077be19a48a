"""The keyword leg's query: user text turned into a safe SQLite FTS5 expression.

Every term is quoted, so nothing a user types — hyphens ("e-commerce"), quotes, apostrophes,
AND/OR/NOT/NEAR, colons, `*`, `^`, parentheses — is read as FTS5 syntax or changes the
query's meaning. Terms are OR-ed (bm25 rewards passages that match more of them) and
adjacent terms are added as phrases, so "Falepili Union" or "HS 2022" ranks the exact phrase
first.
"""

from __future__ import annotations

import itertools
import re

_TERM = re.compile(r"\w+(?:[-'’.]\w+)*")
# Question words and filler that say nothing about the passage sought.
STOPWORDS = frozenset(
    """a about above after again all also am an and any are as at be been before being between
    both but by can could did do does doing done during each for from further had has have
    having he her here hers him his how i if in into is it its itself just me more most my
    no nor not of off on once only or other our ours out over own same she should so some
    such than that the their theirs them then there these they this those through to too
    under until up very was we were what when where which while who whom why will with would
    you your yours said say says saying tell told talk talked mention mentioned anything
    something thing things regarding concerning""".split()  # noqa: SIM905
)


def terms(text: str) -> list[str]:
    """The content words of a query, lower-cased, in order, without repeats."""
    seen: dict[str, None] = {}
    for raw in _TERM.findall(text):
        term = raw.lower().replace("’", "'").strip(".'")
        if term and term not in STOPWORDS:
            seen.setdefault(term, None)
    return list(seen)


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def fts_query(text: str) -> str | None:
    """An FTS5 MATCH expression for `text`, or None when it has no searchable word."""
    words = terms(text)
    if not words:
        return None
    parts = [_quote(w) for w in words]
    ordered = [t.lower().replace("’", "'").strip(".'") for t in _TERM.findall(text)]
    ordered = [t for t in ordered if t and t not in STOPWORDS]
    phrases = {f"{a} {b}" for a, b in itertools.pairwise(ordered)}
    parts.extend(_quote(p) for p in sorted(phrases))
    return " OR ".join(parts)
