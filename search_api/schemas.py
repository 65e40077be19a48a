"""Request and response models of the HTTP API (they are its OpenAPI schema)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, create_model

from indexer.fields import FIELDS, FILTERS
from search_api.query import UnderstoodField

# Strict: JSON true must not become year 1.
Scalar = StrictInt | StrictStr
FilterValue = Scalar | list[Scalar] | dict[str, Scalar]


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(..., description="A question or keywords", examples=["e-commerce"])
    k: StrictInt = Field(10, ge=1, description="How many passages to return (CONFSEARCH_MAX_K)")
    offset: StrictInt = Field(0, ge=0, description="Skip this many results (CONFSEARCH_MAX_OFFSET)")
    filters: dict[str, FilterValue] | None = Field(
        None,
        description="Field → value, list of values, or range {gte, lte}. Fields: "
        + ", ".join(FILTERS),
        examples=[{"year": {"gte": 2015, "lte": 2019}, "country": ["TUV", "FJI"]}],
    )
    mode: Literal["hybrid", "semantic", "keyword"] = Field(
        "hybrid", description="hybrid: meaning and exact words fused; or one leg alone"
    )
    group_by: Literal["document", "year"] | None = Field(
        None,
        description="document: k documents, each with its best passages; year: k years "
        "(newest first), each with its matching documents counted and its best passages",
    )
    per_document: StrictInt = Field(3, ge=1, description="Passages per group (document or year)")
    order: Literal["desc", "asc"] = Field(
        "desc", description="With group_by=year: newest years first (desc) or oldest (asc)"
    )
    facets: StrictBool = Field(
        False, description="Count matching documents by doc_type, year, country, countries, vote"
    )
    understand: StrictBool = Field(
        True,
        description="Read years, countries, regions, organisations and document types in the "
        'query ("Tuvalu", "in 2019", "the 74th session", "a Gulf emirate", "the latest") and '
        "prefer documents that match; false: the words are only words",
    )
    ignore: list[UnderstoodField] = Field(
        default_factory=list, description="Understood fields to leave out (a removed chip)"
    )


def _document_field(field) -> tuple:
    if field.required or field.default is not None:
        return (field.type, Field(..., description=field.description))
    return (field.type | None, Field(None, description=field.description))


# A document's metadata: id, the declared fields (indexer/fields.py), source, and any other
# metadata its manifest row or sidecar gave.
DocumentOut = create_model(
    "DocumentOut",
    __config__=ConfigDict(extra="allow"),
    id=(str, ...),
    **{f.name: _document_field(f) for f in FIELDS},
    source=(str, Field(..., description="Path of the document relative to the corpus root")),
)


class Result(BaseModel):
    id: str = Field(..., description="document id # passage ordinal")
    text: str
    score: float = Field(..., description="Rank score (fused reciprocal rank in hybrid mode)")
    similarity: float | None = Field(None, description="Cosine similarity to the query")
    source: str = Field(..., description="Path of the document relative to the corpus root")
    section: str | None
    page: int | None = Field(None, description="PDF page the passage starts on")
    page_end: int | None
    start: int = Field(..., description="Character offset in the document's text")
    end: int
    highlight: str = Field(..., description="The sentence(s) of the passage that best answer")
    highlight_offsets: list[int] = Field(..., description="[start, end] of highlight in text")
    also_in: list[str] = Field(..., description="Other documents with the same passage")
    paragraphs: str | None = Field(
        None, description="The numbered paragraphs the passage holds: 2, 4–5, 3, 7"
    )
    citation: str = Field(
        ..., description="How to cite it: S/RES/660 (1990), para. 2; a title and page"
    )
    document: DocumentOut


class Group(BaseModel):
    document: DocumentOut
    results: list[Result]


class Understood(BaseModel):
    value: int | str | list[int] | list[str] | dict[str, int] = Field(
        ..., description="A value, several, or a range {gte, lte, gt, lt}"
    )
    text: str = Field(..., description="The words of the query it came from")
    read_as: str | None = Field(
        None, description='The words as read, when they were misspelt: "Tuvalu" for "Tuvalau"'
    )


class YearGroupOut(BaseModel):
    year: int | None
    documents: int = Field(..., description="Matching documents of that year")
    results: list[Result]


class SearchResponse(BaseModel):
    query: str
    mode: str
    took_ms: float
    offset: int
    k: int
    results: list[Result] = Field(..., description="Passages, best first (all groups' in order)")
    groups: list[Group] | None = Field(None, description="With group_by=document")
    years: list[YearGroupOut] | None = Field(None, description="With group_by=year")
    facets: dict[str, dict[str, int]] | None = Field(
        None, description="With facets=true: {field: {value: documents}} for each facet field"
    )
    understood: dict[str, Understood] | None = Field(
        None,
        description="What the query's words were read as, each with the words it came from: "
        '{"country": {"value": "TUV", "text": "Tuvalu"}, "year": {"value": 2019, '
        '"text": "in 2019"}}',
    )


class Link(BaseModel):
    id: str | None = Field(..., description="The document, when it is in the index")
    symbol: str | None
    number: int | None
    year: int | None
    paragraph: str = Field(
        ..., description="Where the reference is made: preamble, 2, or operative (unnumbered)"
    )


class DocumentDetail(DocumentOut):
    passage_count: int
    text: str | None = None
    cites: list[Link] | None = Field(
        None, description="GET /documents/{id}: the resolutions it refers to"
    )
    cited_by: list[Link] | None = Field(
        None, description="GET /documents/{id}: the documents that refer to it"
    )


class LineageNode(BaseModel):
    id: str
    symbol: str | None
    number: int | None
    year: int | None
    title: str | None
    depth: int = Field(..., description="References followed from the document asked for (0)")


class LineageEdge(BaseModel):
    source: str = Field(..., description="The document that makes the reference")
    target: str | None = Field(..., description="The one referred to; null when not indexed")
    symbol: str | None = Field(..., description="The symbol of the one referred to")
    paragraph: str = Field(..., description="Where the reference is made: preamble, 2, …")


class Lineage(BaseModel):
    id: str = Field(..., description="Where the walk began (a second copy: the original)")
    direction: Literal["cited_by", "cites"]
    depth: int
    truncated: bool = Field(..., description="true when the limit of documents was reached")
    nodes: list[LineageNode]
    edges: list[LineageEdge]


class DocumentList(BaseModel):
    total: int
    offset: int
    limit: int
    documents: list[DocumentDetail]


class Health(BaseModel):
    status: str
    generation: str
    model: str | None
    query_precision: str | None = Field(
        None, description="What questions are embedded in (int8, bf16, fp32), once loaded"
    )
    documents: int | None
    passages: int | None
    created: str | None


class FieldOut(BaseModel):
    name: str
    type: Literal["integer", "string"]
    description: str
    filter: bool = Field(..., description="Selectable in `filters` and as a GET parameter")
    facet: bool = Field(..., description="Counted by `facets=true`")


class Fields(BaseModel):
    fields: list[FieldOut]
    summary: list[list[str]] = Field(
        ..., description="What a result's title line shows: slots of alternative fields"
    )


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody


# -- administration ------------------------------------------------------------------------


class Skipped(BaseModel):
    source: str
    reason: str


class Warning_(BaseModel):
    source: str
    message: str


class BuildSummary(BaseModel):
    added: list[str] = Field(..., description="Documents indexed for the first time")
    updated: list[str] = Field(..., description="Documents re-read because they changed")
    removed: list[str] = Field(..., description="Documents no longer in the corpus")
    unchanged: int = Field(..., description="How many documents were kept as they were")
    skipped: list[Skipped] = Field(..., description="Files not indexed, each with the reason")
    warnings: list[Warning_]
    passages: int
    embedded: int = Field(..., description="Passages whose vectors were computed")
    reused: int = Field(..., description="Passages whose vectors were re-used")
    seconds: float
    published: bool = Field(..., description="Whether a new generation was published")
    generation: str | None = Field(None, description="The generation built (or kept)")
    served: str | None = Field(None, description="The generation served after the build")


class TaskOut(BaseModel):
    id: str
    kind: Literal["upload", "delete", "reindex"]
    status: Literal["queued", "running", "done", "failed"]
    created: str
    started: str | None = None
    finished: str | None = None
    report: BuildSummary | None = Field(None, description="When done: the build's summary")
    error: str | None = Field(None, description="When failed: why")
    document: dict | None = Field(None, description="The document the task is about")


class DocumentRef(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str = Field(..., description="The document's id once indexed")
    source: str = Field(..., description="Its path relative to the corpus folder")


class Accepted(BaseModel):
    task: TaskOut
    document: DocumentRef | None = None


class Reloaded(BaseModel):
    generation: str = Field(..., description="The index generation now served")
