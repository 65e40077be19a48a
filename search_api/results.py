"""What a search returns: typed results, shaped as JSON only by the API layer
(search_api/serialise.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from indexer.fields import NAMES
from search_api.citation import cite_passage
from search_api.query import Query


@dataclass
class DocumentInfo:
    id: str
    source: str
    values: dict[str, Any]  # a value (or None) for each field of indexer.fields.FIELDS
    extra: dict[str, Any] = field(default_factory=dict)  # the user's other metadata
    passage_count: int | None = None
    text: str | None = None  # the normalised text passages' offsets point into
    cites: list | None = None  # search_api.catalogue.Link, when read whole
    cited_by: list | None = None

    @classmethod
    def from_row(cls, row: Any, prefix: str = "") -> DocumentInfo:
        """From a row of the documents table; `prefix` when its columns are aliased
        ("doc_year")."""
        return cls(
            id=row[prefix + "id"],
            source=row[prefix + "source"],
            values={name: row[prefix + name] for name in NAMES},
            extra=json.loads(row[prefix + "extra"] or "{}"),
        )


@dataclass
class Hit:
    """A passage that answers, with the sentence(s) that answer best."""

    passage_id: int
    ordinal: int
    score: float  # rank score (fused reciprocal rank in hybrid mode)
    text: str
    section: str | None
    page: int | None
    page_end: int | None
    start: int  # offsets into the document's text
    end: int
    document: DocumentInfo
    highlight_start: int = 0  # offsets into `text`
    highlight_end: int = 0
    similarity: float | None = None  # cosine similarity to the question
    also_in: list[str] = field(default_factory=list)  # other sources with the same text
    paragraphs: str | None = None  # numbered paragraphs it holds: "2", "4–5"
    asked: str | None = None  # those of them the question names ("resolution 678 para 2")

    @property
    def citation(self) -> str:
        """What a researcher pastes: "S/RES/660 (1990), para. 2" (the paragraph asked for,
        not the others its passage holds)."""
        return cite_passage(self.document, self.asked or self.paragraphs, self.section, self.page)

    @property
    def id(self) -> str:
        return f"{self.document.id}#{self.ordinal}"

    @property
    def source(self) -> str:
        return self.document.source

    @property
    def highlight(self) -> str:
        return self.text[self.highlight_start : self.highlight_end]


@dataclass
class Group:
    document: DocumentInfo
    hits: list[Hit]


@dataclass
class YearGroup:
    year: int | None
    documents: int  # matching documents of that year
    hits: list[Hit]


@dataclass
class SearchResult:
    query: Query  # as run: its text with whitespace collapsed
    hits: list[Hit]  # the page's passages, best first (every group's, in order)
    groups: list[Group] | None = None  # with group_by="document"
    years: list[YearGroup] | None = None  # with group_by="year"
    facets: dict[str, dict[str, int]] | None = None  # with facets: {field: {value: docs}}
    understood: list = field(default_factory=list)  # understanding.Reading, as preferred
    timings: dict[str, float] = field(default_factory=dict)  # seconds per search stage
