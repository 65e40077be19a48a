"""HTTP routes: thin handlers over the Searcher; JSON shaping in search_api/serialise.py."""

from __future__ import annotations

import inspect
import re
import time
from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from indexer.fields import BY_NAME, FILTERS, SUMMARY, describe
from search_api import metrics
from search_api.citation import bibtex, ris
from search_api.deps import SearcherDep
from search_api.query import Query as SearchQuery
from search_api.query import QueryError, UnderstoodField
from search_api.schemas import (
    DocumentDetail,
    DocumentList,
    ErrorResponse,
    Fields,
    Health,
    Lineage,
    SearchRequest,
    SearchResponse,
)
from search_api.search import Searcher
from search_api.serialise import (
    document_json,
    documents_json,
    lineage_json,
    search_csv,
    search_json,
)

ERRORS = {
    404: {"model": ErrorResponse},
    422: {"model": ErrorResponse},
    503: {"model": ErrorResponse},
}
# /search may also answer 413 (body over CONFSEARCH_MAX_BODY_KB) and 429 (rate limit).
LIMITED = {413: {"model": ErrorResponse}, 429: {"model": ErrorResponse}}
router = APIRouter(responses=ERRORS)

# Filterable whole-number fields also take a range: year_from, year_to.
_RANGES = {f"{name}_{end}": name for name, kind in FILTERS.items() if kind is int
           for end in ("from", "to")}  # fmt: skip


def _filter_parameters() -> Callable[..., dict]:
    """A dependency reading every filter field from the query string (repeat a parameter
    for several values; `year_from`/`year_to` for a range), as the filter object."""

    def read(**values) -> dict:
        filters: dict = {}
        for name in FILTERS:
            given = values.get(name)
            if given:
                filters[name] = given if len(given) > 1 else given[0]
        for parameter, name in _RANGES.items():
            if values.get(parameter) is None:
                continue
            if name in filters and not isinstance(filters[name], dict):
                raise QueryError(f"give either {name} or {name}_from/{name}_to, not both")
            op = "gte" if parameter.endswith("_from") else "lte"
            filters.setdefault(name, {})[op] = values[parameter]
        return filters

    def describe(name: str) -> str:
        field = BY_NAME.get(name)
        return (field.description if field else "Document id") + "; repeat for several"

    parameters = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=list[kind] | None,
                          default=Query(None, description=describe(name)))
        for name, kind in FILTERS.items()
    ] + [
        inspect.Parameter(parameter, inspect.Parameter.KEYWORD_ONLY, annotation=int | None,
                          default=Query(None, ge=0, le=9999, description=f"{name}, at least"
                                        if parameter.endswith("_from") else f"{name}, at most"))
        for parameter, name in _RANGES.items()
    ]  # fmt: skip
    read.__signature__ = inspect.Signature(parameters, return_annotation=dict)  # type: ignore[attr-defined]
    return read


FiltersDep = Annotated[dict, Depends(_filter_parameters())]


def _refuse_unknown(request: Request, *own: str, filters: bool = True) -> None:
    """A misspelt filter silently ignored would return unfiltered results."""
    allowed = {*own, *FILTERS, *_RANGES} if filters else set(own)
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        raise QueryError(
            f"unknown parameter {unknown[0]!r}; use one of: {', '.join(sorted(allowed))}"
        )


async def _search(searcher: Searcher, query: SearchQuery, as_csv: bool = False) -> Response:
    """The search as JSON (or CSV). SearchResponse documents it; serialise builds exactly
    that shape (tests check it), so FastAPI's re-validation of every result is skipped."""

    def run() -> tuple[dict | str, str]:
        started = time.perf_counter()
        result = searcher.search(query)
        took = (time.perf_counter() - started) * 1000
        timing = server_timing(result.timings, took)
        return (search_csv(result) if as_csv else search_json(result, took)), timing

    body, timing = await run_in_threadpool(run)
    headers = {"Server-Timing": timing}
    if as_csv:
        headers["Content-Disposition"] = 'attachment; filename="confsearch-results.csv"'
        # a byte order mark: Excel reads UTF-8 by it ("paras. 10–11", "Nuku'alofa", "Tokelau")
        return Response("\ufeff" + body, media_type="text/csv; charset=utf-8", headers=headers)
    return JSONResponse(body, headers=headers)


def server_timing(stages: dict[str, float], took_ms: float) -> str:
    """Each stage of the search in the W3C Server-Timing header (browsers' developer tools
    draw it; the benchmark reads the model's share from it), then the whole search."""
    parts = [f"{name};dur={seconds * 1000:.2f}" for name, seconds in stages.items()]
    return ", ".join([*parts, f"total;dur={took_ms:.2f}"])


@router.post(
    "/search",
    response_model=SearchResponse,
    response_model_exclude_unset=True,
    responses=LIMITED,
)
async def search_post(body: SearchRequest, searcher: SearcherDep):
    """Passages that answer a question, best first, with filters on document metadata."""
    query = SearchQuery(body.query, body.k, body.filters, body.offset, body.mode, body.group_by,
                        body.per_document, body.order, body.facets, body.understand,
                        tuple(body.ignore))  # fmt: skip
    return await _search(searcher, query)


@router.get(
    "/search",
    response_model=SearchResponse,
    response_model_exclude_unset=True,
    responses=LIMITED,
)
async def search_get(
    request: Request,
    searcher: SearcherDep,
    filters: FiltersDep,
    q: Annotated[str, Query(description="A question or keywords")],
    k: Annotated[int, Query(ge=1, description="How many passages (CONFSEARCH_MAX_K)")] = 10,
    offset: Annotated[int, Query(ge=0, description="Skip this many results")] = 0,
    mode: Annotated[Literal["hybrid", "semantic", "keyword"], Query()] = "hybrid",
    group_by: Annotated[Literal["document", "year"] | None, Query()] = None,
    per_document: Annotated[int, Query(ge=1)] = 3,
    order: Annotated[
        Literal["desc", "asc"], Query(description="Years with group_by=year")
    ] = "desc",
    facets: bool = False,
    format: Annotated[
        Literal["json", "csv"], Query(description="csv: the results as a spreadsheet")
    ] = "json",
    understand: Annotated[
        bool, Query(description="false: years, countries … in q are only words")
    ] = True,
    ignore: Annotated[
        list[UnderstoodField] | None,
        Query(description="An understood field to leave out; repeat for several"),
    ] = None,
):
    """The same search for simple clients (links, the widget): repeat a filter parameter to
    allow several values; `year_from`/`year_to` give a range; `format=csv` downloads the
    results as CSV."""
    _refuse_unknown(request, "q", "k", "offset", "mode", "group_by", "per_document", "order",
                    "facets", "format", "understand", "ignore")  # fmt: skip
    query = SearchQuery(q, k, filters or None, offset, mode, group_by, per_document, order,
                        facets, understand, tuple(ignore or ()))  # fmt: skip
    return await _search(searcher, query, as_csv=format == "csv")


@router.get("/documents", response_model=DocumentList)
async def list_documents(
    request: Request,
    searcher: SearcherDep,
    filters: FiltersDep,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    sort: Annotated[
        str, Query(description="year, number or title; -year (newest first, the default)")
    ] = "-year",
):
    """Indexed documents with their metadata and passage counts, in `sort` order: e.g.
    `doc_type=resolution&year=1990&sort=number` lists the resolutions of 1990 in order."""
    _refuse_unknown(request, "offset", "limit", "sort")
    page = await run_in_threadpool(searcher.documents, filters or None, offset, limit, sort)
    return documents_json(page)


@router.get("/documents/{doc_id}", response_model=DocumentDetail)
async def get_document(
    request: Request, searcher: SearcherDep, doc_id: str, include_text: bool = False
):
    """One document's metadata; `include_text=true` adds its normalised text, which the
    passages' `start`/`end` offsets point into."""
    _refuse_unknown(request, "include_text", filters=False)  # "include-text" would be ignored
    return document_json(await run_in_threadpool(searcher.document, doc_id, include_text))


@router.get("/documents/{doc_id}/lineage", response_model=Lineage)
async def document_lineage(
    request: Request,
    searcher: SearcherDep,
    doc_id: str,
    direction: Annotated[
        Literal["cited_by", "cites"],
        Query(description="cited_by: what later resolutions built on it; cites: what it built on"),
    ] = "cited_by",
    depth: Annotated[int, Query(ge=1, le=5, description="References followed, 1 to 5")] = 2,
    limit: Annotated[
        int, Query(ge=1, le=1000, description="Documents at most, besides the one asked for")
    ] = 200,
):
    """The resolutions reached by following references from a document, breadth first:
    those that cite it and those that cite them (`direction=cited_by`), or those it cites and
    so on back (`cites`); each with its depth, and every reference among them as an edge."""
    _refuse_unknown(request, "direction", "depth", "limit", filters=False)
    found = await run_in_threadpool(searcher.lineage, doc_id, direction, depth, limit)
    return lineage_json(found)


@router.get(
    "/documents/{doc_id}/cite",
    response_class=PlainTextResponse,
    responses={
        200: {"content": {"application/x-bibtex": {}, "application/x-research-info-systems": {}}}
    },
)
async def cite_document(
    request: Request,
    searcher: SearcherDep,
    doc_id: str,
    format: Annotated[Literal["bibtex", "ris"], Query(description="bibtex or ris")] = "bibtex",
):
    """The document's citation for a reference manager: BibTeX or RIS."""
    _refuse_unknown(request, "format", filters=False)
    document = await run_in_threadpool(searcher.document, doc_id)
    url = str(request.url_for("get_document", doc_id=doc_id))
    if format == "ris":
        body, media, suffix = ris(document, url), "application/x-research-info-systems", "ris"
    else:
        body, media, suffix = bibtex(document, url), "application/x-bibtex", "bib"
    filename = re.sub(r"[^A-Za-z0-9_.-]+", "-", doc_id)[:80] + "." + suffix
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(body, media_type=f"{media}; charset=utf-8", headers=headers)


@router.get("/fields", response_model=Fields)
async def fields():
    """The document fields: which can filter, which are counted as facets, and which a
    result's title line shows (the widget reads it)."""
    return {"fields": describe(), "summary": SUMMARY}


@router.get("/health", response_model=Health)
async def health(searcher: SearcherDep):
    """The published index generation being served and its size."""
    # Off the event loop: a health check may be what notices a new generation and opens it
    # (checksums and the FAISS read take seconds on a large index).
    return await run_in_threadpool(searcher.health)


@router.get("/metrics", include_in_schema=False)
async def metrics_endpoint(request: Request) -> Response:
    """The metrics in Prometheus' text format (not in the OpenAPI schema, not rate limited)."""
    searcher = request.app.state.searcher

    def render() -> bytes:  # off the event loop: the generation may be switched here
        return metrics.exposition(searcher.generation if searcher is not None else None)

    return Response(await run_in_threadpool(render), media_type=metrics.CONTENT_TYPE)
