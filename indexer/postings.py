"""The keyword leg's posting lists as arrays: bm25 of words and of two-word phrases without
SQLite.

FTS5's bm25 pays for every passage a question's words match: it decodes the passage's
positions and looks its length up in a B-tree, one passage at a time (about 1.5 ms of a
question's 2 ms on the sample corpus); a phrase ("sea level", "e-commerce") costs it the
positions of both words in every passage holding them (0.7 ms at the median, 1.2 on average,
of the shipped questions). The same scores come from arrays written at publish,
memory-mapped and shared by the server's workers:

    keyword_rows.npy      int32: the passages holding each token, token after token (in
                          passages_vocab's order, where `first` says where a token begins)
    keyword_counts.npy    uint16 (postings, 2): how often the token occurs in the passage's
                          title, and in its section and text together
    passage_lengths.npy   int32: each passage's tokens over all columns (bm25's |D|)
    pair_keys.npy         int64: each pair of tokens that follow one another in some column
                          of some passage (the first token's passages_vocab id << 32 | the
                          second's), ascending
    pair_starts.npy       int64: where each pair's postings begin (and, last, where they end)
    pair_rows.npy,        the passages holding each pair and how often, as for a token: a
    pair_counts.npy       phrase of two tokens is a token of its own for bm25

`Postings.scores` computes FTS5's bm25 phrase by phrase (the formula of its fts5_aux.c: IDF
log((N - n + 0.5) / (n + 0.5)), at least 1e-6; k1 1.2, b 0.75; a phrase's frequency its
column-weighted count of hits), so a passage's score is FTS5's for the same phrases of one
or two tokens. Phrases of three tokens or more ("e-commerce platform") are left to FTS5
(search_api/keyword.py).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import NamedTuple

import numpy as np

FILES = ("keyword_rows.npy", "keyword_counts.npy", "passage_lengths.npy", "pair_keys.npy",
         "pair_starts.npy", "pair_rows.npy", "pair_counts.npy")  # fmt: skip
# The title counts less than the section and the text (bm25's column weights).
TITLE_WEIGHT = 0.3
K1, B = 1.2, 0.75  # FTS5's bm25 constants
FTS_RANK = f"bm25(passages_fts, {TITLE_WEIGHT}, 1.0, 1.0)"
# An occurrence's place: its passage, column (0 title, 1 section, 2 text) and token offset,
# one integer ordered as the text is; a token at the next place follows it in the text.
_COLUMN_SHIFT = 32


class Span(NamedTuple):
    """Where a token's (or a pair's) postings are in their arrays."""

    first: int
    docs: int  # passages holding it
    pair: bool = False  # in the pair arrays


def write_keyword_index(db: sqlite3.Connection, folder: Path, passages: int) -> None:
    """passages_vocab (each token's id, passage count and where its postings begin) and the
    posting arrays of tokens and of pairs in `folder`, from the finished passages_fts of
    `passages` passages."""
    db.execute("CREATE VIRTUAL TABLE temp.fts_vocab USING fts5vocab(main, passages_fts, row)")
    db.execute(
        "CREATE VIRTUAL TABLE temp.fts_instances USING fts5vocab(main, passages_fts, instance)"
    )
    try:
        vocab = db.execute("SELECT term, doc, cnt FROM temp.fts_vocab").fetchall()
        docs = np.fromiter((v[1] for v in vocab), dtype=np.int64, count=len(vocab))
        instances = np.fromiter((v[2] for v in vocab), dtype=np.int64, count=len(vocab))
        firsts = np.cumsum(docs) - docs
        db.executemany(
            "INSERT INTO passages_vocab (term, id, docs, first) VALUES (?, ?, ?, ?)",
            zip((v[0] for v in vocab), range(len(vocab)), docs.tolist(), firsts.tolist(),
                strict=True),
        )  # fmt: skip
        # Every occurrence, token after token (in the vocabulary's order), passage after
        # passage within a token: its place, one integer (fts5vocab names the column).
        total = int(instances.sum())
        places = np.empty(total, dtype=np.int64)
        cursor = db.execute(
            f"SELECT ((doc * 4 + (CASE col WHEN 'title' THEN 0 WHEN 'section' THEN 1 ELSE 2 END))"
            f" << {_COLUMN_SHIFT}) + offset FROM temp.fts_instances"
        )
        at = 0
        while batch := cursor.fetchmany(1 << 16):
            places[at : at + len(batch)] = [b[0] for b in batch]
            at += len(batch)
        if at != total:
            raise RuntimeError(f"passages_fts has {at} token occurrences, its vocabulary {total}")
    finally:
        db.execute("DROP TABLE temp.fts_instances")
        db.execute("DROP TABLE temp.fts_vocab")
    tokens = np.repeat(np.arange(len(vocab), dtype=np.int64), instances)
    rows = places >> (_COLUMN_SHIFT + 2)
    in_title = (places >> _COLUMN_SHIFT) & 3 == 0
    if len(_save_postings(folder, "keyword", tokens, rows, in_title)) != int(docs.sum()):
        raise RuntimeError("passages_fts's occurrences are not in its vocabulary's order")
    lengths = np.bincount(rows, minlength=passages).astype(np.int32)
    np.save(folder / FILES[2], lengths, allow_pickle=False)
    # Pairs: in the text's order, a token followed at the next place by another.
    order = np.argsort(places, kind="stable")
    ordered = places[order]
    follows = np.flatnonzero(ordered[1:] == ordered[:-1] + 1)
    keys = (tokens[order[follows]] << 32) | tokens[order[follows + 1]]
    by_key = np.argsort(keys, kind="stable")  # passages stay ascending within a pair
    keys = keys[by_key]
    where = order[follows][by_key]
    postings = keys[_save_postings(folder, "pair", keys, rows[where], in_title[where])]
    firsts = np.flatnonzero(np.r_[True, postings[1:] != postings[:-1]]) if len(postings) else []
    np.save(folder / "pair_keys.npy", postings[firsts], allow_pickle=False)
    np.save(folder / "pair_starts.npy", np.r_[firsts, len(postings)].astype(np.int64),
            allow_pickle=False)  # fmt: skip


def _save_postings(
    folder: Path, name: str, keys: np.ndarray, rows: np.ndarray, in_title: np.ndarray
) -> np.ndarray:
    """`{name}_rows.npy` and `{name}_counts.npy` of occurrences sorted by key, then passage:
    one posting where the key or the passage changes. Returns where each posting begins
    among the occurrences."""
    total = len(keys)
    starts = np.flatnonzero(np.r_[True, (keys[1:] != keys[:-1]) | (rows[1:] != rows[:-1])])
    starts = starts if total else np.zeros(0, dtype=np.int64)
    titled = np.add.reduceat(in_title.astype(np.int64), starts) if total else starts
    everywhere = np.diff(np.r_[starts, total])
    counts = np.stack([titled, everywhere - titled], axis=1)
    np.save(folder / f"{name}_rows.npy", rows[starts].astype(np.int32), allow_pickle=False)
    counts = np.minimum(counts, 65535).astype(np.uint16)
    np.save(folder / f"{name}_counts.npy", counts, allow_pickle=False)
    return starts


class Postings:
    """A generation's posting arrays, memory-mapped read-only."""

    def __init__(self, folder: Path) -> None:
        (self.rows, self.counts, self.lengths, self.pair_keys, self.pair_starts,
         self.pair_rows, self.pair_counts) = (
            np.asarray(np.load(folder / name, mmap_mode="r", allow_pickle=False)) for name in FILES
        )  # fmt: skip
        if len(self.rows) != len(self.counts) or self.counts.shape[1:] != (2,):
            raise ValueError("keyword_rows.npy and keyword_counts.npy do not match")
        if (
            len(self.pair_rows) != len(self.pair_counts)
            or len(self.pair_starts) != len(self.pair_keys) + 1
        ):
            raise ValueError("the pair arrays do not match")
        self.passages = len(self.lengths)
        self.average_length = float(self.lengths.sum()) / max(self.passages, 1)

    def pair(self, first: int, second: int) -> Span | None:
        """Where the postings of token `first` followed by token `second` (passages_vocab
        ids) are; None when no passage holds them so."""
        key = (first << 32) | second
        at = int(np.searchsorted(self.pair_keys, key))
        if at == len(self.pair_keys) or int(self.pair_keys[at]) != key:
            return None
        begin = int(self.pair_starts[at])
        return Span(begin, int(self.pair_starts[at + 1]) - begin, pair=True)

    def scores(
        self, spans: list[Span], within: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """bm25 of the tokens and pairs whose postings are `spans`, summed per passage: the
        passages holding any of them (ascending; only those in the sorted ids `within` when
        given) and their scores (higher is better)."""
        spans = [span for span in spans if span.docs > 0]
        if not spans:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        picks = [self._pick(span, within) for span in spans]
        chosen = list(zip(spans, picks, strict=True))
        held = [self._rows(span)[p] for span, p in chosen]
        rows = np.concatenate(held).astype(np.int64)
        counts = np.concatenate([self._counts(span)[p] for span, p in chosen])
        docs = np.array([span.docs for span in spans], dtype=np.float64)
        idf = np.maximum(np.log((self.passages - docs + 0.5) / (docs + 0.5)), 1e-6)
        frequency = counts[:, 0] * TITLE_WEIGHT + counts[:, 1]
        norm = K1 * (1 - B + B * self.lengths[rows] / self.average_length)
        each = np.repeat(idf, [len(h) for h in held])
        term = each * (frequency * (K1 + 1)) / (frequency + norm)
        passages, where = np.unique(rows, return_inverse=True)
        return passages, np.bincount(where, weights=term)

    def holding(self, span: Span, within: np.ndarray | None = None) -> np.ndarray:
        """The passages holding a token or pair (ascending), of `within` when given."""
        return self._rows(span)[self._pick(span, within)].astype(np.int64)

    def _rows(self, span: Span) -> np.ndarray:
        return self.pair_rows if span.pair else self.rows

    def _counts(self, span: Span) -> np.ndarray:
        return self.pair_counts if span.pair else self.counts

    def _pick(self, span: Span, within: np.ndarray | None) -> slice | np.ndarray:
        """Where a token's postings are: all of them, or those of the passages `within`
        (found by bisection: a token's passages are in ascending order)."""
        first, docs = span.first, span.docs
        if within is None:
            return slice(first, first + docs)
        own = self._rows(span)[first : first + docs]
        return first + np.searchsorted(own, within[member(within, own)])


def member(ids: np.ndarray, sorted_ids: np.ndarray) -> np.ndarray:
    """Which of `ids` are in `sorted_ids` (a boolean mask), by bisection."""
    at = np.searchsorted(sorted_ids, ids)
    hit = at < len(sorted_ids)
    hit[hit] = sorted_ids[at[hit]] == ids[hit]
    return hit
