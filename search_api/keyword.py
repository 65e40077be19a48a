"""The keyword leg: user text turned into safe bm25 queries (`Match`, and its FTS5
expression), and `KeywordLeg`, which scores them.

Every term is quoted, so nothing a user types — hyphens ("e-commerce"), quotes, apostrophes,
AND/OR/NOT/NEAR, colons, `*`, `^`, parentheses — is read as FTS5 syntax or changes the
query's meaning. Terms are OR-ed (bm25 rewards passages that match more of them) and
adjacent terms are added as phrases, so "Falepili Union" or "HS 2022" ranks the exact phrase
first.

At scale the question is cut to its rarest words (`fts_queries`): there is no top-k
pruning, so bm25 scores every passage that holds any of the words.
"""

from __future__ import annotations

import functools
import itertools
import re
import sqlite3
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from indexer.folding import folded
from indexer.postings import FTS_RANK, Span, member
from indexer.store import FTS_TOKENIZER, Generation
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


@dataclass(frozen=True)
class Match:
    """One keyword query: the passages holding any of the words (all of them when `every`),
    scored by bm25 over the words, each with its other spellings, and over the phrases of
    two adjacent words."""

    words: tuple[tuple[str, ...], ...]  # each word, then its other spellings
    phrases: tuple[str, ...] = ()  # "falepili union"
    every: bool = False

    @property
    def expression(self) -> str:
        """The same query as an FTS5 MATCH expression."""
        joiner = " AND " if self.every else " OR "
        return joiner.join([*map(_quote_word, self.words), *map(_quote, self.phrases)])


def fts_query(text: str) -> str | None:
    """An FTS5 MATCH expression for the whole of `text`, or None when it has no searchable
    word."""
    queries = fts_queries(text)
    return queries[0].expression if queries else None


def fts_queries(text: str, doc_counts: DocCounts | None = None, passages: int = 0) -> list[Match]:
    """The queries for `text`, to search in turn until they find enough passages; none when
    it has no searchable word.

    Without `doc_counts` (of an index of `passages` passages), or when the question's words
    match at most POSTING_BUDGET passages, that is the one query of the whole question.
    Beyond, the question is cut to its rarest words (`_core`)."""
    words = terms(text)
    if not words:
        return []
    # Phrases of words side by side in the question only: "minister … fiji" across a dropped
    # "of" matches almost no passage, yet FTS5 reads both words' positions to find that out
    # (it was most of the keyword leg's time on long questions; docs/performance.md).
    spoken = list(map(_normal, _TERM.findall(folded(text))))
    pairs = sorted({(a, b) for a, b in itertools.pairwise(spoken) if _keep(a) and _keep(b)},
                   key=" ".join)  # fmt: skip
    if doc_counts is not None:
        tokens = fts_tokens(words)
        counts = doc_counts({t for ts in tokens.values() for t in ts})
        # A word FTS5 splits ("e-commerce", "u.s") is a phrase: it matches at most as many
        # passages as its rarest token. One without tokens, or unknown ones, matches none.
        cost = {w: min((counts.get(t, 0) for t in ts), default=0) for w, ts in tokens.items()}
        if min(passages, sum(cost.values())) > POSTING_BUDGET:
            return _core(words, pairs, cost, passages)
    return [_join(words, pairs)]


@functools.lru_cache(maxsize=1 << 16)  # words recur from question to question
def _spelt(word: str) -> tuple[str, ...]:
    return (word, *variants(word))


def _quote_word(spellings: tuple[str, ...]) -> str:
    """The word, or the word or its other spelling: ("organisation" OR "organization")."""
    if len(spellings) == 1:
        return _quote(spellings[0])
    return "(" + " OR ".join(map(_quote, spellings)) + ")"


def _join(words: list[str], pairs: list[tuple[str, str]]) -> Match:
    return Match(tuple(map(_spelt, words)), tuple(f"{a} {b}" for a, b in pairs))


def _core(
    words: list[str], pairs: list[tuple[str, str]], cost: dict[str, int], passages: int
) -> list[Match]:
    """The rarest words (in question order), matching at most CORE_BUDGET passages in all,
    and the phrases of two kept words: a phrase with a dropped word would read that word's
    whole posting list for its IDF."""
    rare = sorted(words, key=cost.__getitem__)  # stable: ties keep the question's order
    if cost[rare[0]] > CORE_BUDGET:
        # Even the rarest word is too common to score all its passages: require the rarest
        # words together, as many as make the expected matches (if the words were
        # independent) fit the budget: only the passages holding them all are scored. Those
        # are often too few (none for 1 question in 5 of the benchmark's at 1M): then the
        # rarest word alone follows.
        needed, expected = [], float(passages)
        for word in rare:
            needed.append(word)
            expected *= cost[word] / passages
            if expected <= CORE_BUDGET:
                break
        together = Match(tuple(map(_spelt, needed)), every=len(needed) > 1)
        alone = Match((_spelt(rare[0]),))
        return [together] if together == alone else [together, alone]
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
    text), within the passages a filter allows.

    A word of one token is scored from the generation's posting arrays
    (indexer/postings.py); phrases (two adjacent words, a word FTS5 splits such as
    "e-commerce") by FTS5, which alone knows positions. bm25 is a sum over the query's
    phrases, each with its own IDF, so the two parts add up to FTS5's score of the whole
    query: the same passages in the same order, at a fraction of the cost
    (docs/performance.md, "Keyword leg")."""

    RANK = FTS_RANK
    VOCABULARY_CACHE = 100_000  # tokens remembered a generation

    def __init__(self) -> None:
        # Each token's place in the posting arrays (passages_vocab), as looked up: a
        # question's words are looked up to cut its queries, then to score them, then again
        # in the preference round, and common words recur from question to question.
        self._vocabulary: dict[Path, dict[str, Token | None]] = {}

    def queries(self, gen: Generation, question: str) -> list[Match]:
        """The queries of `question`, cut to its rarest words when it would score too many
        passages of `gen`."""

        def doc_counts(tokens: Collection[str]) -> dict[str, int]:
            return {term: token.span.docs for term, token in self._spans(gen, tokens).items()}

        return fts_queries(question, doc_counts, gen.manifest["counts"]["passages"])

    def search(
        self,
        gen: Generation,
        matches: list[Match],
        n: int,
        allowed: np.ndarray | None = None,
        scored: dict[Match, tuple[np.ndarray, np.ndarray]] | None = None,
    ) -> list[int]:
        """Up to `n` passage ids, best first, among the sorted ids `allowed` (None: all):
        each query's passages follow the previous ones' until there are `n` (a cut
        question's rarest words together, then the rarest alone).

        `scored` keeps each query's scores over the whole index for the next call of the
        same question: bm25 does not depend on the filter (IDF and lengths are the whole
        index's), so the round within a question's preferred documents and a deeper round
        only select from them."""
        ids: dict[int, None] = {}
        for match in matches:
            if scored is None:
                rows, scores = self.scores(gen, match, allowed)
            else:
                if match not in scored:
                    scored[match] = self.scores(gen, match)
                rows, scores = scored[match]
                if allowed is not None:
                    inside = member(rows, allowed)
                    rows, scores = rows[inside], scores[inside]
            order = np.lexsort((rows, -scores))  # ties: in passage order, as FTS5's
            ids.update(dict.fromkeys(rows[order[:n]].tolist()))
            if len(ids) >= n:
                break
        return list(ids)[:n]

    def scores(
        self, gen: Generation, match: Match, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The passages `match` finds among `allowed` (ascending ids) and their bm25
        scores, higher better."""
        spellings = [s for word in match.words for s in word]
        tokens = fts_tokens([*spellings, *match.phrases])
        # a word FTS5 splits ("e-commerce") is a phrase, as two adjacent words are
        phrases = [s for s in spellings if len(tokens[s]) > 1] + list(match.phrases)
        spans = self._spans(gen, {t for s in [*spellings, *phrases] for t in tokens[s]})
        within = allowed
        if match.every:
            # only the passages holding every word (in any of its spellings) are scored
            for word in match.words:
                holding = [self._holding(gen, s, tokens[s], spans, within) for s in word]
                within = np.unique(np.concatenate(holding))
        words = [tokens[s][0] for s in spellings if len(tokens[s]) == 1]
        scored = [spans[t].span for t in words if t in spans]
        longer = []  # phrases of three tokens or more: FTS5 alone knows their positions
        for phrase in phrases:
            if len(tokens[phrase]) == 2:
                scored += _pair(gen, tokens[phrase], spans)
            else:
                longer.append(phrase)
        parts = [gen.postings.scores(scored, within)]
        if longer:
            expression = " OR ".join(map(_quote, longer))
            sql = f"SELECT rowid, -{self.RANK} FROM passages_fts WHERE passages_fts MATCH ?"
            params: list = [expression]
            if within is not None and len(within):
                # FTS5 seeks a rowid range: only the passages from the first allowed to the
                # last are scored (one document's passages are one range)
                sql += " AND rowid BETWEEN ? AND ?"
                params += [int(within[0]), int(within[-1])]
            found = gen.query(sql, params)
            rows = np.array([r[0] for r in found], dtype=np.int64)
            scores = np.array([r[1] for r in found], dtype=np.float64)
            if within is not None:
                inside = member(rows, within)
                rows, scores = rows[inside], scores[inside]
            parts.append((rows, scores))
        if len(parts) == 1:
            return parts[0]
        rows, where = np.unique(np.concatenate([p[0] for p in parts]), return_inverse=True)
        return rows, np.bincount(where, weights=np.concatenate([p[1] for p in parts]))

    def passages_holding(self, gen: Generation, words: Collection[str]) -> dict[str, int]:
        """How many passages of `gen` hold each word that FTS5 indexes as one token some
        passage holds ("change" → "chang"); other words are left out."""
        tokens = {w: ts[0] for w, ts in fts_tokens(words).items() if len(ts) == 1}
        spans = self._spans(gen, set(tokens.values()))
        return {w: spans[t].span.docs for w, t in tokens.items() if t in spans}

    def words_of_their_own(self, gen: Generation, pairs: list[tuple[str, str | None]]) -> set[str]:
        """Of (word, other word or None) pairs, the words some passage of `gen` holds (each of
        their tokens) that are not the other word's tokens too ("marshal" is "Marshall"'s
        stem)."""
        tokens = fts_tokens([word for pair in pairs for word in pair if word])
        held = self._spans(gen, {t for word, _ in pairs for t in tokens[word]})
        return {
            word
            for word, other in pairs
            if tokens[word]
            and (other is None or tokens[word] != tokens[other])
            and all(t in held for t in tokens[word])
        }

    def _spans(self, gen: Generation, tokens: Collection[str]) -> dict[str, Token]:
        """`_read_spans` through the generation's cache (tokens no passage holds are cached too)."""
        known = self._vocabulary.get(gen.path)
        if known is None:  # a new generation: the one before stays for searches still on it
            known = {}
            self._vocabulary = {**dict(list(self._vocabulary.items())[-1:]), gen.path: known}
        out: dict[str, Token] = {}
        missing = []
        for token in tokens:
            span = known.get(token, _UNKNOWN)  # one lookup: another thread may clear it
            if span is _UNKNOWN:
                missing.append(token)
            elif span is not None:
                out[token] = span
        if missing:
            found = _read_spans(gen, missing)
            if len(known) + len(missing) > self.VOCABULARY_CACHE:
                known.clear()
            for token in missing:
                known[token] = found.get(token)
            out.update(found)
        return out

    @staticmethod
    def _holding(
        gen: Generation, spelling: str, tokens: tuple[str, ...], spans: dict, within
    ) -> np.ndarray:
        """The passages holding one spelling of a word (of `within` when given)."""
        if len(tokens) == 1:
            token = spans.get(tokens[0])
            return _none() if token is None else gen.postings.holding(token.span, within)
        if len(tokens) == 2:
            pair = _pair(gen, tokens, spans)
            return gen.postings.holding(pair[0], within) if pair else _none()
        if not tokens:
            return _none()
        found = gen.query("SELECT rowid FROM passages_fts WHERE passages_fts MATCH ?",
                          [_quote(spelling)])  # fmt: skip
        return _within(np.array([r[0] for r in found], dtype=np.int64), within)


class Token(NamedTuple):
    """A token's postings (postings.Span) and its id in passages_vocab."""

    span: Span
    id: int


def _pair(gen: Generation, tokens: tuple[str, ...], spans: dict[str, Token]) -> list[Span]:
    """The postings of two tokens side by side, as a list of one; none when no passage holds
    them so (or holds either)."""
    first, second = spans.get(tokens[0]), spans.get(tokens[1])
    if first is None or second is None:
        return []
    pair = gen.postings.pair(first.id, second.id)
    return [] if pair is None else [pair]


def _none() -> np.ndarray:
    return np.zeros(0, dtype=np.int64)


def _within(rows: np.ndarray, allowed: np.ndarray | None) -> np.ndarray:
    return rows if allowed is None else rows[member(rows, allowed)]


_UNKNOWN = Token(Span(-1, -1), -1)  # not looked up yet (None: looked up, none holds it)


def _read_spans(gen: Generation, tokens: Collection[str]) -> dict[str, Token]:
    """Each token's postings in the generation's arrays and its id; tokens no passage holds
    are left out."""
    if not tokens:
        return {}
    marks = ",".join("?" for _ in tokens)
    sql = f"SELECT term, first, docs, id FROM passages_vocab WHERE term IN ({marks})"
    return {
        term: Token(Span(first, docs), id_)
        for term, first, docs, id_ in gen.query(sql, list(tokens))
    }
