"""The searcher's reads of a generation's passages and their documents.

Collapsing, grouping and facets need a few columns of every candidate (`read_light`); only
the passages shown on the page are then read whole (`read_full`: text, sentences, the
document's metadata). Sentence vectors are not in SQLite: `Generation.sentence_vectors`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from indexer.fields import FACETS, NAMES
from indexer.store import Generation
from search_api.query import UNDERSTOOD

_DOCUMENT = ("id", "source", *NAMES, "extra")
_FROM = "FROM passages p JOIN documents d ON d.id = p.document_id"
_FULL_SQL = (
    "SELECT p.id AS passage_id, p.document_id, p.ordinal, p.section, p.page, p.page_end,"
    ' p.start, p."end", p.text, p.sentences, p.paragraphs, '
    + ", ".join(f"d.{c} AS doc_{c}" for c in _DOCUMENT)
    + f" {_FROM}"
)
_LIGHT_SQL = (
    'SELECT p.id AS passage_id, p.document_id, p.start, p."end", p.text_sha, d.source, '
    + ", ".join(f"d.{c} AS doc_{c}" for c in dict.fromkeys([*FACETS, *UNDERSTOOD]))
    + f" {_FROM}"
)


def _ids(ids: Iterable[int]) -> str:
    return ",".join(str(int(i)) for i in ids)


def read_light(gen: Generation, ids: Iterable[int]) -> dict[int, sqlite3.Row]:
    """Passage id → what collapsing, grouping and facets need of it."""
    rows = gen.query(f"{_LIGHT_SQL} WHERE p.id IN ({_ids(ids)})")
    return {r["passage_id"]: r for r in rows}


def read_full(gen: Generation, ids: Iterable[int]) -> dict[int, sqlite3.Row]:
    """Passage id → the passage whole, with its document's metadata (columns `doc_*`)."""
    rows = gen.query(f"{_FULL_SQL} WHERE p.id IN ({_ids(ids)})")
    return {r["passage_id"]: r for r in rows}
