"""The keyword leg's posting lists as arrays: bm25 of single words without SQLite.

FTS5's bm25 pays for every passage a question's words match: it decodes the passage's
positions and looks its length up in a B-tree, one passage at a time (about 1.5 ms of a
question's 2 ms on the sample corpus). The same scores come from three arrays written at
publish, memory-mapped and shared by the server's workers:

    keyword_rows.npy      int32: the passages holding each token, token after token (in
                          passages_vocab's order, where `first` says where a token begins)
    keyword_counts.npy    uint16 (postings, 2): how often the token occurs in the passage's
                          title, and in its section and text together
    passage_lengths.npy   int32: each passage's tokens over all columns (bm25's |D|)

`Postings.scores` computes FTS5's bm25 term by term (the formula of its fts5_aux.c: IDF
log((N - n + 0.5) / (n + 0.5)), at least 1e-6; k1 1.2, b 0.75; a token's frequency the
column-weighted count), so a passage's score is FTS5's for the same single-token phrases.
Phrases of several tokens need positions: FTS5 still scores those (search_api/keyword.py).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np

FILES = ("keyword_rows.npy", "keyword_counts.npy", "passage_lengths.npy")
# The title counts less than the section and the text (bm25's column weights).
TITLE_WEIGHT = 0.3
K1, B = 1.2, 0.75  # FTS5's bm25 constants
FTS_RANK = f"bm25(passages_fts, {TITLE_WEIGHT}, 1.0, 1.0)"


def write_keyword_index(db: sqlite3.Connection, folder: Path, passages: int) -> None:
    """passages_vocab (each token's passage count and where its postings begin) and the
    posting arrays in `folder`, from the finished passages_fts of `passages` passages."""
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
            "INSERT INTO passages_vocab (term, docs, first) VALUES (?, ?, ?)",
            zip((v[0] for v in vocab), docs.tolist(), firsts.tolist(), strict=True),
        )
        # Every occurrence, token after token (in the vocabulary's order), passage after
        # passage within a token: its passage and whether it is outside the title, one
        # integer each (fts5vocab names the column).
        total = int(instances.sum())
        codes = np.empty(total, dtype=np.int64)
        cursor = db.execute("SELECT doc * 2 + (col <> 'title') FROM temp.fts_instances")
        at = 0
        while batch := cursor.fetchmany(1 << 16):
            codes[at : at + len(batch)] = [b[0] for b in batch]
            at += len(batch)
        if at != total:
            raise RuntimeError(f"passages_fts has {at} token occurrences, its vocabulary {total}")
    finally:
        db.execute("DROP TABLE temp.fts_instances")
        db.execute("DROP TABLE temp.fts_vocab")
    tokens = np.repeat(np.arange(len(vocab), dtype=np.int64), instances)
    rows, columns = codes >> 1, codes & 1
    # one posting where the token or the passage changes
    starts = np.flatnonzero(np.r_[True, (tokens[1:] != tokens[:-1]) | (rows[1:] != rows[:-1])])
    if len(starts) != int(docs.sum()):
        raise RuntimeError("passages_fts's occurrences are not in its vocabulary's order")
    in_title = np.add.reduceat((columns == 0).astype(np.int64), starts) if total else codes
    everywhere = np.diff(np.r_[starts, total])
    counts = np.stack([in_title, everywhere - in_title], axis=1)
    np.save(folder / FILES[0], rows[starts].astype(np.int32), allow_pickle=False)
    np.save(folder / FILES[1], np.minimum(counts, 65535).astype(np.uint16), allow_pickle=False)
    lengths = np.bincount(rows, minlength=passages).astype(np.int32)
    np.save(folder / FILES[2], lengths, allow_pickle=False)


class Postings:
    """A generation's posting arrays, memory-mapped read-only."""

    def __init__(self, folder: Path) -> None:
        self.rows, self.counts, self.lengths = (
            np.asarray(np.load(folder / name, mmap_mode="r", allow_pickle=False)) for name in FILES
        )
        if len(self.rows) != len(self.counts) or self.counts.shape[1:] != (2,):
            raise ValueError("keyword_rows.npy and keyword_counts.npy do not match")
        self.passages = len(self.lengths)
        self.average_length = float(self.lengths.sum()) / max(self.passages, 1)

    def scores(
        self, spans: list[tuple[int, int]], within: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """bm25 of the tokens whose postings are `spans` ((first, docs) each), summed per
        passage: the passages holding any of them (ascending; only those in the sorted ids
        `within` when given) and their scores (higher is better)."""
        spans = [(first, docs) for first, docs in spans if docs > 0]
        if not spans:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        picks = [self._pick(first, docs, within) for first, docs in spans]
        held = [self.rows[p] for p in picks]
        rows = np.concatenate(held).astype(np.int64)
        counts = np.concatenate([self.counts[p] for p in picks])
        docs = np.array([n for _, n in spans], dtype=np.float64)
        idf = np.maximum(np.log((self.passages - docs + 0.5) / (docs + 0.5)), 1e-6)
        frequency = counts[:, 0] * TITLE_WEIGHT + counts[:, 1]
        norm = K1 * (1 - B + B * self.lengths[rows] / self.average_length)
        each = np.repeat(idf, [len(h) for h in held])
        term = each * (frequency * (K1 + 1)) / (frequency + norm)
        passages, where = np.unique(rows, return_inverse=True)
        return passages, np.bincount(where, weights=term)

    def holding(self, first: int, docs: int, within: np.ndarray | None = None) -> np.ndarray:
        """The passages holding a token (ascending), of `within` when given."""
        return self.rows[self._pick(first, docs, within)].astype(np.int64)

    def _pick(self, first: int, docs: int, within: np.ndarray | None) -> slice | np.ndarray:
        """Where a token's postings are: all of them, or those of the passages `within`
        (found by bisection: a token's passages are in ascending order)."""
        if within is None:
            return slice(first, first + docs)
        own = self.rows[first : first + docs]
        return first + np.searchsorted(own, within[member(within, own)])


def member(ids: np.ndarray, sorted_ids: np.ndarray) -> np.ndarray:
    """Which of `ids` are in `sorted_ids` (a boolean mask), by bisection."""
    at = np.searchsorted(sorted_ids, ids)
    hit = at < len(sorted_ids)
    hit[hit] = sorted_ids[at[hit]] == ids[hit]
    return hit
