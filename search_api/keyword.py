"""The keyword leg's query: user text turned into a safe SQLite FTS5 expression.

Every term is quoted, so nothing a user types — hyphens ("e-commerce"), quotes, apostrophes,
AND/OR/NOT/NEAR, colons, `*`, `^`, parentheses — is read as FTS5 syntax or changes the
query's meaning. Terms are OR-ed (bm25 rewards passages that match more of them) and
adjacent terms are added as phrases, so "Falepili Union" or "HS 2022" ranks the exact phrase
first.

At scale the question is cut to its rarest words (`fts_queries`): FTS5 has no top-k
pruning, so bm25 scores every passage that holds any of the words before `LIMIT`.
"""

from __future__ import annotations

import itertools
import re
import sqlite3
import threading
from collections.abc import Callable, Collection

from indexer.store import FTS_TOKENIZER

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

# What bm25 costs, measured at 1M passages: about 1 µs for each passage that matches (its
# length read from the docsize table, its positions decoded), plus about 25 ns for each
# passage of each term or phrase for its IDF. A question whose words match at most
# POSTING_BUDGET passages in all (summed, and never more than the collection) is searched
# whole: the sample corpus has fewer passages than that, so there every question is. A
# bigger one (3M rows and 1.5 s for "How did Fiji describe maritime boundaries at the UN
# General Debate in 2019?") keeps only its rarest words, up to CORE_BUDGET matches.
# Chosen on the benchmark's questions at 1M passages: the keyword leg's p50 is 2.7 ms with a
# core of 1,500 against 6 ms with one budget of 6,000, which a smaller corpus needs whole.
POSTING_BUDGET = 6_000
CORE_BUDGET = 1_500

# FTS5 token → passages holding it (tokens it lacks can be left out).
DocCounts = Callable[[Collection[str]], dict[str, int]]


def _normal(raw: str) -> str:
    return raw.lower().replace("’", "'").strip(".'")


def terms(text: str) -> list[str]:
    """The content words of a query, lower-cased, in order, without repeats."""
    seen: dict[str, None] = {}
    for raw in _TERM.findall(text):
        term = _normal(raw)
        if term and term not in STOPWORDS:
            seen.setdefault(term, None)
    return list(seen)


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def fts_query(text: str) -> str | None:
    """An FTS5 MATCH expression for the whole of `text`, or None when it has no searchable
    word."""
    queries = fts_queries(text)
    return queries[0] if queries else None


def fts_queries(text: str, doc_counts: DocCounts | None = None, passages: int = 0) -> list[str]:
    """FTS5 MATCH expressions for `text`, to search in turn until they find enough passages;
    none when it has no searchable word.

    Without `doc_counts` (of an index of `passages` passages), or when the question's words
    match at most POSTING_BUDGET passages, that is the one expression of the whole question.
    Beyond, the question is cut to its rarest words (`_core`)."""
    words = terms(text)
    if not words:
        return []
    ordered = [t for t in map(_normal, _TERM.findall(text)) if t and t not in STOPWORDS]
    pairs = sorted(set(itertools.pairwise(ordered)), key=" ".join)
    if doc_counts is not None:
        tokens = fts_tokens(words)
        counts = doc_counts({t for ts in tokens.values() for t in ts})
        # A word FTS5 splits ("e-commerce", "u.s") is a phrase: it matches at most as many
        # passages as its rarest token. One without tokens, or unknown ones, matches none.
        cost = {w: min((counts.get(t, 0) for t in ts), default=0) for w, ts in tokens.items()}
        if min(passages, sum(cost.values())) > POSTING_BUDGET:
            return _core(words, pairs, cost, passages)
    return [_join(words, pairs)]


def _join(words: list[str], pairs: list[tuple[str, str]]) -> str:
    return " OR ".join([*map(_quote, words), *(_quote(f"{a} {b}") for a, b in pairs)])


def _core(
    words: list[str], pairs: list[tuple[str, str]], cost: dict[str, int], passages: int
) -> list[str]:
    """The rarest words (in question order), matching at most CORE_BUDGET passages in all,
    and the phrases of two kept words: a phrase with a dropped word would read that word's
    whole posting list for its IDF."""
    rare = sorted(words, key=cost.__getitem__)  # stable: ties keep the question's order
    if cost[rare[0]] > CORE_BUDGET:
        # Even the rarest word is too common to score all its passages: require the rarest
        # words together, as many as make the expected matches (if the words were
        # independent) fit the budget. FTS5 skips through the longer lists and scores only
        # the passages holding them all. Those are often too few (none for 1 question in 5
        # of the benchmark's at 1M): then the rarest word alone follows.
        needed, expected = [], float(passages)
        for word in rare:
            needed.append(word)
            expected *= cost[word] / passages
            if expected <= CORE_BUDGET:
                break
        return list(dict.fromkeys([" AND ".join(map(_quote, needed)), _quote(rare[0])]))
    kept: set[str] = set()
    total = 0
    for word in rare:
        if total + cost[word] > CORE_BUDGET:
            break
        kept.add(word)
        total += cost[word]
    return [_join([w for w in words if w in kept], [p for p in pairs if set(p) <= kept])]


_tokenizer: sqlite3.Connection | None = None
_tokenizer_lock = threading.Lock()
_tokens: dict[str, tuple[str, ...]] = {}  # word → its tokens, for the words seen lately


def fts_tokens(words: Collection[str]) -> dict[str, tuple[str, ...]]:
    """The tokens passages_fts indexes each word as (lower case, no diacritics, Porter stems:
    "fisheries" → "fisheri"), which is how passages_vocab counts them. FTS5 itself does the
    tokenizing, in a table in memory: 20 µs a word."""
    global _tokenizer
    out: dict[str, tuple[str, ...]] = {}
    missing = []
    for word in dict.fromkeys(words):
        known = _tokens.get(word)
        if known is None:
            missing.append(word)
        else:
            out[word] = known
    if missing:
        with _tokenizer_lock:
            if _tokenizer is None:
                db = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
                db.execute(
                    f"CREATE VIRTUAL TABLE words USING fts5(word, tokenize='{FTS_TOKENIZER}')"
                )
                db.execute("CREATE VIRTUAL TABLE tokens USING fts5vocab(words, instance)")
                _tokenizer = db
            _tokenizer.executemany(
                "INSERT INTO words (rowid, word) VALUES (?, ?)", enumerate(missing)
            )
            rows = _tokenizer.execute(
                "SELECT doc, term FROM tokens ORDER BY doc, offset"
            ).fetchall()
            _tokenizer.execute("DELETE FROM words")
        found: dict[str, list[str]] = {w: [] for w in missing}
        for doc, term in rows:
            found[missing[doc]].append(term)
        if len(_tokens) > 100_000:
            _tokens.clear()
        for word, tokens in found.items():
            out[word] = _tokens[word] = tuple(tokens)
    return out
