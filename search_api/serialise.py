"""The library's typed results as the API's JSON (search_api/schemas.py documents it); the
CLI's `--json` prints the same."""

from __future__ import annotations

import csv
import io
from dataclasses import asdict
from typing import Any

from search_api.catalogue import DocumentPage, Lineage
from search_api.results import DocumentInfo, Hit, SearchResult


def lineage_json(lineage: Lineage) -> dict[str, Any]:
    return {
        "id": lineage.nodes[0].id,  # where the walk began (a second copy's original)
        "direction": lineage.direction,
        "depth": lineage.depth,
        "truncated": lineage.truncated,
        "nodes": [asdict(n) for n in lineage.nodes],
        "edges": [asdict(e) for e in lineage.edges],
    }


def document_json(document: DocumentInfo) -> dict[str, Any]:
    """Its id, fields, source and other metadata; its passage count, text and citations when
    read."""
    known = {
        "passage_count": document.passage_count,
        "text": document.text,
        "cites": None if document.cites is None else [asdict(c) for c in document.cites],
        "cited_by": None if document.cited_by is None else [asdict(c) for c in document.cited_by],
    }
    return {
        "id": document.id,
        **document.values,
        "source": document.source,
        **document.extra,
        **{name: value for name, value in known.items() if value is not None},
    }


def hit_json(hit: Hit) -> dict[str, Any]:
    return {
        "id": hit.id,
        "text": hit.text,
        "score": round(float(hit.score), 5),
        "similarity": None if hit.similarity is None else round(hit.similarity, 4),
        "source": hit.source,
        "section": hit.section,
        "page": hit.page,
        "page_end": hit.page_end,
        "start": hit.start,
        "end": hit.end,
        "highlight": hit.highlight,
        "highlight_offsets": [hit.highlight_start, hit.highlight_end],
        "also_in": hit.also_in,
        "paragraphs": hit.paragraphs,
        "citation": hit.citation,
        "document": document_json(hit.document),
    }


def search_json(result: SearchResult, took_ms: float) -> dict[str, Any]:
    query = result.query
    out: dict[str, Any] = {
        "query": query.text,
        "mode": query.mode,
        "took_ms": round(took_ms, 2),
        "offset": query.offset,
        "k": query.k,
    }
    if result.groups is not None:
        out["groups"] = [
            {"document": document_json(g.document), "results": [hit_json(h) for h in g.hits]}
            for g in result.groups
        ]
    if result.years is not None:
        out["years"] = [
            {"year": y.year, "documents": y.documents, "results": [hit_json(h) for h in y.hits]}
            for y in result.years
        ]
    out["results"] = [hit_json(h) for h in result.hits]
    if result.facets is not None:
        out["facets"] = result.facets
    if query.understand:
        out["understood"] = {r.field: _understood(r) for r in result.understood}
    return out


def _understood(reading) -> dict[str, Any]:
    out = {"value": reading.value, "text": reading.text}
    if reading.read_as:  # the words as read: a name misspelt, a word corrected, "latest" a year
        out["read_as"] = reading.read_as
    return out


def documents_json(page: DocumentPage) -> dict[str, Any]:
    return {
        "total": page.total,
        "offset": page.offset,
        "limit": page.limit,
        "documents": [document_json(d) for d in page.documents],
    }


CSV_COLUMNS = (
    "rank", "citation", "title", "symbol", "year", "doc_type", "section", "paragraphs",
    "page", "score", "highlight", "text", "document_id", "source",
)  # fmt: skip


def _cell(value: object) -> object:
    """A text cell a spreadsheet would run as a formula ("=HYPERLINK(…)", "+1", "@SUM")
    starts with an apostrophe, which spreadsheets show as text (OWASP's advice for CSV)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def search_csv(result: SearchResult) -> str:
    """The results as CSV, one row a passage, best first: for spreadsheets and notes."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for rank, hit in enumerate(result.hits, start=result.query.offset + 1):
        values = hit.document.values
        writer.writerow([_cell(value) for value in [
            rank, hit.citation, values.get("title"), values.get("symbol"), values.get("year"),
            values.get("doc_type"), hit.section, hit.paragraphs, hit.page,
            round(float(hit.score), 5), hit.highlight, hit.text, hit.document.id, hit.source,
        ]])  # fmt: skip
    return out.getvalue()
