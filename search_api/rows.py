"""The searcher's reads of a generation's passages and their documents.

Collapsing, grouping, facets and preferences need a few fields of every candidate: the
passage's document, span and text (`LightTable`, held in memory) and that document's
metadata (`LightTable.documents`). Only the passages shown on the page are read whole
(`read_full`: text, sentences, the document's metadata). Sentence vectors are not in
SQLite: `Generation.sentence_vectors`.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable
from typing import NamedTuple

import numpy as np

from indexer.fields import FACETS, NAMES
from indexer.metadata import COPY_OF
from indexer.store import Generation
from search_api.query import PREFERRED

DOCUMENT_CACHE = 50_000  # documents' light rows kept per generation (~20 MB at most)
_DOCUMENT = ("id", "source", *NAMES, "extra")
_FROM = "FROM passages p JOIN documents d ON d.id = p.document_id"
_FULL_SQL = (
    "SELECT p.id AS passage_id, p.document_id, p.ordinal, p.section, p.page, p.page_end,"
    ' p.start, p."end", p.text, p.sentences, p.paragraphs, '
    + ", ".join(f"d.{c} AS doc_{c}" for c in _DOCUMENT)
    + f" {_FROM}"
)
_LIGHT_DOCUMENT_SQL = (
    "SELECT rowid, id AS document_id, source, "
    + ", ".join(f"{c} AS doc_{c}" for c in dict.fromkeys([*FACETS, *PREFERRED, "countries"]))
    # a second copy of a resolution names the document that holds it (indexer/build.py)
    + f", json_extract(extra, '$.{COPY_OF}') AS doc_copy_of FROM documents"
)


def _ids(ids: Iterable[int]) -> str:
    return ",".join(str(int(i)) for i in ids)


class Runs(NamedTuple):
    """The runs of consecutive passage ids of one document, by document. Filters select
    documents, and their passages are these runs, not a join of every passage in SQLite
    (docs/performance.md); a build writes a document's passages together, one run each."""

    document: np.ndarray  # each run's document rowid, ascending
    first: np.ndarray
    end: np.ndarray

    @classmethod
    def of(cls, document: np.ndarray) -> Runs:
        """The runs of `document`, the document rowid of each passage id."""
        bounds = np.flatnonzero(np.diff(document)) + 1
        firsts = np.concatenate([[0], bounds]).astype(np.int64) if len(document) else bounds
        ends = np.append(firsts[1:], len(document)).astype(np.int64)
        order = np.argsort(document[firsts], kind="stable")
        return cls(document[firsts][order], firsts[order], ends[order])

    def passages(self, documents: np.ndarray) -> np.ndarray:
        """The ids of the passages of the documents (rowids), ascending."""
        documents = np.unique(np.asarray(documents, dtype=np.int64))
        runs = _expand(
            np.searchsorted(self.document, documents, side="left"),
            np.searchsorted(self.document, documents, side="right"),
        )
        # runs do not overlap: sorted by first id, they are sorted by end too
        return _expand(np.sort(self.first[runs]), np.sort(self.end[runs]))


class LightTable:
    """Every passage's document, span and a key of its text, in arrays indexed by passage
    id, and the documents' metadata that ranking reads, cached as they are asked for.

    Reading these columns of ~300 candidates from SQLite took about 1 ms of every question
    (random reads of `passages` joined to `documents`), after the model's forward pass;
    reading every passage once takes 17 ms for 10k passages (about 2 s at 1M) and keeps
    20 bytes a passage (docs/performance.md)."""

    def __init__(self, gen: Generation) -> None:
        rows = gen.query(
            'SELECT d.rowid, p.start, p."end", p.text_sha FROM passages p'
            " JOIN documents d ON d.id = p.document_id ORDER BY p.id"
        )
        count = len(rows)
        if count and gen.query_one("SELECT max(id) FROM passages")[0] != count - 1:
            raise ValueError("passage ids are not 0..n-1")  # the index's rows, by design
        self.document = np.fromiter((r[0] for r in rows), dtype=np.int64, count=count)
        self.start = np.fromiter((r[1] for r in rows), dtype=np.int32, count=count)
        self.end = np.fromiter((r[2] for r in rows), dtype=np.int32, count=count)
        # Equal texts have equal keys (a 64-bit hash of the text's SHA-256, in this process).
        self.text_key = np.fromiter((hash(r[3]) for r in rows), dtype=np.int64, count=count)
        self._runs = Runs.of(self.document)
        self.gen = gen
        self._documents: dict[int, sqlite3.Row] = {}
        self._lock = threading.Lock()

    def passages_of(self, documents: np.ndarray) -> np.ndarray:
        """The ids of the passages of the documents (rowids), ascending."""
        return self._runs.passages(documents)

    def documents(self, rowids: Iterable[int]) -> dict[int, sqlite3.Row]:
        """Document rowid → its id, source and the metadata ranking reads (`doc_*`)."""
        wanted = set(rowids)
        known = self._documents  # entries are never removed from it, only the whole dict
        missing = wanted - known.keys()
        fetched: dict[int, sqlite3.Row] = {}
        if missing:
            rows = self.gen.query(f"{_LIGHT_DOCUMENT_SQL} WHERE rowid IN ({_ids(missing)})")
            fetched = {r["rowid"]: r for r in rows}
            with self._lock:
                if len(self._documents) > DOCUMENT_CACHE:
                    self._documents = {}  # a big corpus: keep the documents asked lately
                self._documents.update(fetched)
        return {rowid: fetched[rowid] if rowid in fetched else known[rowid] for rowid in wanted}


def _expand(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Every integer of the ranges [start, end), range after range."""
    lengths = ends - starts
    offsets = np.cumsum(lengths) - lengths
    return np.arange(lengths.sum(), dtype=np.int64) + np.repeat(starts - offsets, lengths)


def read_full(gen: Generation, ids: Iterable[int]) -> dict[int, sqlite3.Row]:
    """Passage id → the passage whole, with its document's metadata (columns `doc_*`)."""
    rows = gen.query(f"{_FULL_SQL} WHERE p.id IN ({_ids(ids)})")
    return {r["passage_id"]: r for r in rows}
