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

from indexer.folding import folded
from indexer.store import FTS_TOKENIZER, Generation
from search_api.filters import Condition
from search_api.spelling import variants

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
    something thing things regarding concerning res unscr""".split()  # noqa: SIM905
)

# bm25 costs time for every passage that matches any word (its length read, its positions
# decoded) and for every passage of each term for its IDF. A question whose words match at
# most POSTING_BUDGET passages in all (summed, and never more than the collection) is
# searched whole: on the sample corpus every question is. A bigger one keeps only its rarest
# words, up to CORE_BUDGET matches. Both chosen on the benchmark's questions at 1M passages
# (docs/performance.md, "Keyword leg").
POSTING_BUDGET = 6_000
CORE_BUDGET = 1_500
# A filter's passages are searched range by range (KeywordLeg.ranges) up to this many documents.
MAX_RANGES = 4  # each range is a query of its own: ~0.6 ms against ~3 for the join

# FTS5 token → passages holding it (tokens it lacks can be left out).
DocCounts = Callable[[Collection[str]], dict[str, int]]


def _normal(raw: str) -> str:
    return raw.lower().replace("’", "'").strip(".'")


def _keep(term: str) -> bool:
    # A lone letter is noise: the "s" of "S/RES/827", an initial.
    return bool(term) and term not in STOPWORDS and (len(term) > 1 or term.isdigit())


def terms(text: str) -> list[str]:
    """The content words of a query, lower-cased, in order, without repeats."""
    seen: dict[str, None] = {}
    for raw in _TERM.findall(folded(text)):
        term = _normal(raw)
        if _keep(term):
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
    ordered = [t for t in map(_normal, _TERM.findall(folded(text))) if _keep(t)]
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


def _quote_word(word: str) -> str:
    """The word, or the word or its other spelling: ("organisation" OR "organization")."""
    spellings = variants(word)
    if not spellings:
        return _quote(word)
    return "(" + " OR ".join(map(_quote, [word, *spellings])) + ")"


def _join(words: list[str], pairs: list[tuple[str, str]]) -> str:
    return " OR ".join([*map(_quote_word, words), *(_quote(f"{a} {b}") for a, b in pairs)])


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
        return list(dict.fromkeys([" AND ".join(map(_quote_word, needed)), _quote_word(rare[0])]))
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
    tokenizing, in a table in memory."""
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


class KeywordLeg:
    """Passages by bm25 over the question's words (the title weighs less than section and
    text), with the filters inside the same query."""

    RANK = "bm25(passages_fts, 0.3, 1.0, 1.0)"

    def queries(self, gen: Generation, question: str) -> list[str]:
        """The FTS5 expressions of `question`, cut to its rarest words when it would score
        too many passages of `gen`."""

        def doc_counts(tokens: Collection[str]) -> dict[str, int]:
            if not tokens:
                return {}
            marks = ",".join("?" for _ in tokens)
            sql = f"SELECT term, docs FROM passages_vocab WHERE term IN ({marks})"
            return {term: docs for term, docs in gen.query(sql, list(tokens))}

        return fts_queries(question, doc_counts, gen.manifest["counts"]["passages"])

    def search(
        self, gen: Generation, matches: list[str], n: int, condition: Condition
    ) -> list[int]:
        """Up to `n` passage ids: each expression's passages follow the previous ones' until
        there are `n` (a cut question's rarest words together, then the rarest alone)."""
        ranges = self.ranges(gen, condition) if condition.sql else None
        ids: dict[int, None] = {}
        for match in matches:
            if ranges is not None:
                found = self._within(gen, match, n, ranges)
            elif condition.sql:
                found = [r[0] for r in gen.query(self._JOINED.format(condition.sql, self.RANK),
                                                 [match, *condition.params, n])]  # fmt: skip
            else:
                found = [r[0] for r in gen.query(self._OPEN.format(self.RANK), [match, n])]
            ids.update(dict.fromkeys(found))
            if len(ids) >= n:
                break
        return list(ids)[:n]

    _OPEN = "SELECT rowid FROM passages_fts WHERE passages_fts MATCH ? ORDER BY {} LIMIT ?"
    _JOINED = (
        "SELECT f.rowid FROM passages_fts f JOIN passages p ON p.id = f.rowid "
        "JOIN documents d ON d.id = p.document_id "
        "WHERE passages_fts MATCH ? AND {} ORDER BY {} LIMIT ?"
    )
    _RANGE = (
        "SELECT rowid, {} AS score FROM passages_fts WHERE passages_fts MATCH ? "
        "AND rowid BETWEEN ? AND ? ORDER BY score LIMIT ?"
    )

    def ranges(self, gen: Generation, condition: Condition) -> list[tuple[int, int]] | None:
        """The passage ids a filter allows as a few runs of consecutive ids (a document's
        passages are numbered in a row), or None when there are more than MAX_RANGES.

        FTS5 seeks to a rowid range in its posting lists and scores only the passages in
        it, where the join scores every match and then drops those of other documents: a
        question's round within its one preferred speech took 1.0 instead of 2.9 ms, with
        the same passages in the same order (docs/performance.md, "Keyword leg")."""
        documents = gen.query(
            f"SELECT d.id FROM documents d WHERE {condition.sql} LIMIT {MAX_RANGES + 1}",
            condition.params,
        )
        if len(documents) > MAX_RANGES:
            return None
        marks = ",".join("?" * len(documents))
        rows = gen.query(
            "SELECT min(id), max(id), count(*) FROM passages "
            f"WHERE document_id IN ({marks}) GROUP BY document_id ORDER BY 1",
            [d[0] for d in documents],
        )
        if any(last - first + 1 != count for first, last, count in rows):
            return None
        merged: list[tuple[int, int]] = []
        for first, last, _ in rows:
            if merged and first == merged[-1][1] + 1:
                merged[-1] = (merged[-1][0], last)
            else:
                merged.append((first, last))
        return merged

    def _within(
        self, gen: Generation, match: str, n: int, ranges: list[tuple[int, int]]
    ) -> list[int]:
        # bm25's statistics (IDF, average length) are the whole table's whatever the range,
        # so the ranges' scores compare and merge into the joined query's order.
        scored = []
        for first, last in ranges:
            scored += gen.query(self._RANGE.format(self.RANK), [match, first, last, n])
        scored.sort(key=lambda row: (row[1], row[0]))
        return [row[0] for row in scored[:n]]
