"""The catalogue of indexed documents: listing them and reading one."""

from __future__ import annotations

from dataclasses import dataclass

from indexer.store import Generation
from search_api.filters import Condition
from search_api.query import QueryError
from search_api.results import DocumentInfo


class NotFound(LookupError):
    pass


@dataclass
class Link:
    """One end of a reference between resolutions."""

    id: str | None  # the document, when it is in the index
    symbol: str | None
    number: int | None
    year: int | None
    paragraph: str  # where the citing document makes the reference: "preamble", "2", "operative"


@dataclass
class DocumentPage:
    total: int
    offset: int
    limit: int
    documents: list[DocumentInfo]


# How a listing may be ordered; a leading "-" reverses. Documents without the value last.
SORTS = {
    "year": "d.year IS NULL, d.year {dir}, d.number, d.title",
    "number": "d.number IS NULL, d.number {dir}, d.year, d.title",
    "title": "d.title {dir}",
}


def order_by(sort: str) -> str:
    """The SQL ORDER BY of a `sort` value ("-year", "number", …), or a QueryError."""
    name = sort.removeprefix("-")
    if name not in SORTS:
        choices = ", ".join(f"{n}, -{n}" for n in SORTS)
        raise QueryError(f"sort must be one of {choices}, not {sort!r}")
    return SORTS[name].format(dir="DESC" if sort.startswith("-") else "ASC")


def list_documents(
    gen: Generation, condition: Condition, offset: int, limit: int, sort: str = "-year"
) -> DocumentPage:
    """Documents matching `condition` in `sort` order (newest first by default), with their
    passage counts."""
    clause = f"WHERE {condition.sql}" if condition.sql else ""
    total = gen.query_one(f"SELECT count(*) FROM documents d {clause}", condition.params)[0]
    rows = gen.query(
        f"SELECT * FROM documents d {clause} ORDER BY {order_by(sort)} LIMIT ? OFFSET ?",
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
    document.cites = cites(gen, doc_id)
    document.cited_by = cited_by(gen, doc_id, row["number"]) if row["number"] else []
    return document


def cites(gen: Generation, doc_id: str) -> list[Link]:
    """The resolutions the document refers to, in the order of its text, with the
    paragraph of each reference; `id` None for one not in the index."""
    rows = gen.query(
        "SELECT number, year, paragraph FROM citations WHERE document_id = ? ORDER BY rowid",
        (doc_id,),
    )
    numbers = sorted({r["number"] for r in rows})
    marks = ",".join("?" for _ in numbers)
    known: dict[int, list] = {}
    if numbers:
        for d in gen.query(f"SELECT id, symbol, number, year FROM documents "
                           f"WHERE number IN ({marks}) ORDER BY id", numbers):  # fmt: skip
            known.setdefault(d["number"], []).append(d)
    links = []
    for r in rows:
        targets = known.get(r["number"], [])
        # Two files may hold one resolution (one under another's name): the year decides.
        target = next((d for d in targets if d["year"] == r["year"]), None) or next(
            iter(targets), None
        )
        written = f"S/RES/{r['number']}" + (f" ({r['year']})" if r["year"] else "")
        symbol = target["symbol"] if target else written
        year = target["year"] if target else r["year"]
        links.append(Link(target and target["id"], symbol, r["number"], year, r["paragraph"]))
    return links


def cited_by(gen: Generation, doc_id: str, number: int) -> list[Link]:
    """The documents that refer to resolution `number`, in the order of their numbers, with
    the paragraph that refers to it."""
    rows = gen.query(
        "SELECT d.id, d.symbol, d.number, d.year, c.paragraph FROM citations c "
        "JOIN documents d ON d.id = c.document_id WHERE c.number = ? AND d.id != ? "
        "ORDER BY d.number IS NULL, d.number, d.id, c.rowid",
        (number, doc_id),
    )
    return [Link(r["id"], r["symbol"], r["number"], r["year"], r["paragraph"]) for r in rows]


def _info(row) -> DocumentInfo:
    document = DocumentInfo.from_row(row)
    document.passage_count = row["passage_count"]
    return document
