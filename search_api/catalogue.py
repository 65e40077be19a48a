"""The catalogue of indexed documents: listing them and reading one."""

from __future__ import annotations

from dataclasses import dataclass

from indexer.store import Generation
from search_api.filters import Condition
from search_api.results import DocumentInfo


class NotFound(LookupError):
    pass


@dataclass
class DocumentPage:
    total: int
    offset: int
    limit: int
    documents: list[DocumentInfo]


def list_documents(gen: Generation, condition: Condition, offset: int, limit: int) -> DocumentPage:
    """Documents matching `condition`, newest first, with their passage counts."""
    clause = f"WHERE {condition.sql}" if condition.sql else ""
    total = gen.query_one(f"SELECT count(*) FROM documents d {clause}", condition.params)[0]
    rows = gen.query(
        f"SELECT * FROM documents d {clause} ORDER BY d.year DESC, d.title LIMIT ? OFFSET ?",
        [*condition.params, limit, offset],
    )
    documents = [_info(row) for row in rows]
    return DocumentPage(total, offset, limit, documents)


def get_document(gen: Generation, doc_id: str, include_text: bool = False) -> DocumentInfo:
    row = gen.query_one("SELECT * FROM documents WHERE id = ?", (doc_id,))
    if row is None:
        raise NotFound(f"no document with id {doc_id!r}; list them with GET /documents")
    document = _info(row)
    if include_text:
        document.text = row["text"]
    return document


def _info(row) -> DocumentInfo:
    document = DocumentInfo.from_row(row)
    document.passage_count = row["passage_count"]
    return document
