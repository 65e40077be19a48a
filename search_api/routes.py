"""HTTP routes: thin handlers over the Searcher."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from search_api.errors import ServiceUnavailable
from search_api.lifecycle import open_searcher
from search_api.schemas import (
    DocumentDetail,
    DocumentList,
    ErrorResponse,
    Health,
    SearchRequest,
    SearchResponse,
)
from search_api.search import FILTER_FIELDS, QueryError, Searcher, check_query
from search_api.settings import Settings

ERRORS = {
    404: {"model": ErrorResponse},
    422: {"model": ErrorResponse},
    503: {"model": ErrorResponse},
}
# /search may also answer 413 (body over CONFSEARCH_MAX_BODY_KB) and 429 (rate limit).
LIMITED = {413: {"model": ErrorResponse}, 429: {"model": ErrorResponse}}
router = APIRouter(responses=ERRORS)


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_searcher(request: Request) -> Searcher:
    searcher = request.app.state.searcher or open_searcher(request.app)
    if searcher is None:
        raise ServiceUnavailable(
            request.app.state.unavailable or "the index is not loaded: run `confsearch index`"
        )
    return searcher


SearcherDep = Annotated[Searcher, Depends(get_searcher)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def _check(query: str, k: int, settings: Settings) -> None:
    check_query(query, settings.max_query_chars)
    if k > settings.max_k:
        raise QueryError(f"k must be at most {settings.max_k}")


async def _respond(search, *args) -> JSONResponse:
    """The searcher's dict as JSON. SearchResponse documents it; the searcher builds exactly
    that shape (tests check it), so FastAPI's re-validation of every result is skipped."""
    return JSONResponse(await run_in_threadpool(search, *args))


_GET_PARAMETERS = {
    "q", "k", "offset", "mode", "group_by", "per_document", "facets", "year_from", "year_to",
    *FILTER_FIELDS,
}  # fmt: skip


@router.post(
    "/search",
    response_model=SearchResponse,
    response_model_exclude_unset=True,
    responses=LIMITED,
)
async def search_post(body: SearchRequest, searcher: SearcherDep, settings: SettingsDep):
    """Passages that answer a question, best first, with filters on document metadata."""
    _check(body.query, body.k, settings)
    return await _respond(
        searcher.search,
        body.query,
        body.k,
        body.filters,
        body.offset,
        body.mode,
        body.group_by,
        body.per_document,
        body.facets,
    )


@router.get(
    "/search",
    response_model=SearchResponse,
    response_model_exclude_unset=True,
    responses=LIMITED,
)
async def search_get(
    request: Request,
    searcher: SearcherDep,
    settings: SettingsDep,
    q: Annotated[str, Query(description="A question or keywords")],
    k: Annotated[int, Query(ge=1, le=50)] = 10,
    offset: Annotated[int, Query(ge=0, le=1000)] = 0,
    mode: Annotated[Literal["hybrid", "semantic", "keyword"], Query()] = "hybrid",
    group_by: Annotated[Literal["document"] | None, Query()] = None,
    per_document: Annotated[int, Query(ge=1, le=10)] = 3,
    facets: bool = False,
    year: Annotated[list[int] | None, Query(description="Year; repeat for several")] = None,
    year_from: Annotated[int | None, Query(ge=0, le=9999, description="Earliest year")] = None,
    year_to: Annotated[int | None, Query(ge=0, le=9999, description="Latest year")] = None,
    country: Annotated[list[str] | None, Query(description="ISO 3166 alpha-3 code")] = None,
    doc_type: Annotated[list[str] | None, Query()] = None,
    organisation: Annotated[list[str] | None, Query()] = None,
    conference: Annotated[list[str] | None, Query()] = None,
    place: Annotated[list[str] | None, Query()] = None,
    language: Annotated[list[str] | None, Query()] = None,
    document_id: Annotated[list[str] | None, Query()] = None,
):
    """The same search for simple clients (links, the widget): repeat a filter parameter to
    allow several values; `year_from`/`year_to` give a range."""
    unknown = sorted(set(request.query_params) - _GET_PARAMETERS)
    if unknown:
        # A misspelt filter silently ignored would return unfiltered results.
        allowed = ", ".join(sorted(_GET_PARAMETERS))
        raise QueryError(f"unknown parameter {unknown[0]!r}; use one of: {allowed}")
    _check(q, k, settings)
    filters: dict = {}
    for name, values in (
        ("year", year), ("country", country), ("doc_type", doc_type),
        ("organisation", organisation), ("conference", conference), ("place", place),
        ("language", language), ("document_id", document_id),
    ):  # fmt: skip
        if values:
            filters[name] = values if len(values) > 1 else values[0]
    if year_from is not None or year_to is not None:
        if "year" in filters:
            raise QueryError("give either year or year_from/year_to, not both")
        bounds = {"gte": year_from, "lte": year_to}
        filters["year"] = {op: v for op, v in bounds.items() if v is not None}
    return await _respond(
        searcher.search, q, k, filters or None, offset, mode, group_by, per_document, facets
    )


@router.get("/documents", response_model=DocumentList)
async def list_documents(
    searcher: SearcherDep,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    year: Annotated[int | None, Query(ge=0, le=9999)] = None,
    country: str | None = None,
    doc_type: str | None = None,
):
    """Indexed documents with their metadata and passage counts, newest first."""
    filters = {n: v for n, v in (("year", year), ("country", country), ("doc_type", doc_type))
               if v is not None}  # fmt: skip
    return await run_in_threadpool(searcher.documents, offset, limit, filters or None)


@router.get("/documents/{doc_id}", response_model=DocumentDetail)
async def get_document(searcher: SearcherDep, doc_id: str, include_text: bool = False):
    """One document's metadata; `include_text=true` adds its normalised text, which the
    passages' `start`/`end` offsets point into."""
    return await run_in_threadpool(searcher.document, doc_id, include_text)


@router.get("/health", response_model=Health)
async def health(searcher: SearcherDep):
    """The published index generation being served and its size."""
    # Off the event loop: a health check may be what notices a new generation and opens it
    # (checksums and the FAISS read take seconds on a large index).
    return await run_in_threadpool(searcher.health)
