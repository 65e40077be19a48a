"""Administration endpoints under /admin: add and remove documents, re-index, reload.

Every call needs the key of CONFSEARCH_API_KEY in the `X-API-Key` header, compared in
constant time. Without a configured key administration is off: every call is refused with
403, never open by default. Changes to the corpus are indexed by background tasks, one at
a time (search_api.tasks); the build itself is indexer.build, as `confsearch index` runs it,
and it publishes atomically, so a failed build leaves the served index as it was.
"""

from __future__ import annotations

import hmac
import logging
import math
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader

from indexer.fields import FIELDS
from search_api import uploads
from search_api.deps import SearcherDep
from search_api.errors import ApiError, ServiceUnavailable
from search_api.indexing import run_build
from search_api.lifecycle import make_embedder, open_searcher
from search_api.ratelimit import client_key
from search_api.schemas import Accepted, ErrorResponse, Reloaded, TaskOut
from search_api.settings import Settings
from search_api.tasks import Tasks

log = logging.getLogger(__name__)

DISABLED = "administration is disabled until CONFSEARCH_API_KEY is set on the server"
api_key_header = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    description="The key set in CONFSEARCH_API_KEY on the server",
)


async def require_admin(
    request: Request, key: Annotated[str | None, Security(api_key_header)]
) -> None:
    configured = request.app.state.settings.api_key
    if configured is None:
        raise ApiError(403, DISABLED)
    # A client that sent too many wrong keys waits, whatever it sends now: a brute-force run
    # gets 429s and never a success (the limit holds for every worker process).
    failures = request.app.state.key_failures
    client = client_key(request.scope)
    wait = failures.peek(client) if failures is not None else 0.0
    if wait > 0:
        seconds = max(1, math.ceil(wait))
        raise ApiError(429, f"too many wrong API keys from your address; try again in "
                       f"{seconds} s", headers={"Retry-After": str(seconds)})  # fmt: skip
    expected = configured.get_secret_value().encode("utf-8")
    # Header values arrive as latin-1 text; encoding them back gives the bytes sent.
    given = (key or "").encode("latin-1", errors="replace")
    if not hmac.compare_digest(given, expected):
        if failures is not None:
            failures.take(client)
        raise ApiError(401, "a valid API key is required in the X-API-Key header")


_ERRORS = {status: {"model": ErrorResponse} for status in (401, 403, 404, 413, 415, 422, 429, 503)}
router = APIRouter(
    prefix="/admin", tags=["admin"], dependencies=[Depends(require_admin)], responses=_ERRORS
)

_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "The document: " + uploads.supported_types(),
                        },
                        **{
                            f.name: {
                                "type": "integer" if f.type is int else "string",
                                "description": f.description,
                            }
                            for f in FIELDS
                        },
                    },
                }
            }
        },
    }
}


# -- the work of tasks (on the task thread) ------------------------------------------------


def reload_index(app: FastAPI) -> str | None:
    """Serve the currently published generation now; its name (None: still no index)."""
    searcher = app.state.searcher
    if searcher is None:
        app.state.last_attempt = float("-inf")  # try now, not at the next interval
        searcher = open_searcher(app)
        return None if searcher is None else searcher.generation.name
    return searcher.refresh()


class NotIndexed(Exception):
    """An uploaded document the indexer skipped: the task fails, with the build's report."""

    def __init__(self, message: str, report: dict) -> None:
        super().__init__(message)
        self.report = report


def index_corpus(app: FastAPI, upload: str | None = None) -> dict:
    """One incremental build of the corpus with the app's model, then the new generation
    served at once. `upload`: the source of a document just uploaded; if the indexer skips
    it (no text in a PDF, say), it is removed again and the task fails with the reason."""
    settings: Settings = app.state.settings
    embedder = app.state.embedder
    if embedder is None:
        embedder = app.state.embedder = make_embedder(settings)
    report = run_build(settings, embedder)
    log.info(
        "admin build: %d added, %d updated, %d removed, %d skipped%s",
        len(report.added), len(report.updated), len(report.removed), len(report.skipped),
        f"; published {report.generation}" if report.published else "",
    )  # fmt: skip
    result = {**report.to_dict(), "served": reload_index(app)}
    reason = dict(report.skipped).get(upload) if upload else None
    if reason is not None:
        uploads.remove(settings.corpus_dir, upload)
        raise NotIndexed(
            f"{upload} was not indexed: {reason}. It was removed from the corpus again: "
            "fix the file and upload it anew",
            result,
        )
    return result


def _tasks(request: Request) -> Tasks:
    return request.app.state.tasks


def _queue_build(request: Request, kind: str, document: dict | None = None) -> dict:
    upload = document["source"] if document is not None and kind == "upload" else None
    return _tasks(request).submit(kind, partial(index_corpus, request.app, upload), document)


# -- endpoints -----------------------------------------------------------------------------


@router.post("/documents", status_code=202, response_model=Accepted, openapi_extra=_UPLOAD_BODY)
async def upload_document(request: Request):
    """Add a document (multipart: `file` and optional metadata fields). It is stored under a
    server-chosen name in `uploads/` with its metadata beside it, then indexed in the
    background: follow the returned task."""
    settings: Settings = request.app.state.settings
    upload = await uploads.receive(request, settings.corpus_dir, settings.max_upload_bytes)
    document = await run_in_threadpool(uploads.store, upload, settings.corpus_dir)
    log.info("admin upload: %s stored as %s", upload.filename, document["source"])
    return {"task": _queue_build(request, "upload", document), "document": document}


@router.delete("/documents/{doc_id}", status_code=202, response_model=Accepted)
async def delete_document(request: Request, searcher: SearcherDep, doc_id: str):
    """Remove a document's file (and its sidecar) from the corpus, then re-index in the
    background."""
    found = await run_in_threadpool(searcher.document, doc_id)  # NotFound: 404
    settings: Settings = request.app.state.settings
    removed = await run_in_threadpool(uploads.remove, settings.corpus_dir, found.source)
    log.info("admin delete: %s (%s)", doc_id, ", ".join(removed) or "no file left")
    document = {"id": doc_id, "source": found.source, "removed": removed}
    return {"task": _queue_build(request, "delete", document), "document": document}


@router.post("/reindex", status_code=202, response_model=Accepted)
async def reindex(request: Request):
    """Re-index the corpus (incremental: only what changed is read) in the background."""
    return {"task": _queue_build(request, "reindex")}


@router.post("/reload", response_model=Reloaded)
async def reload(request: Request):
    """Serve the currently published index generation now, without waiting for the
    periodic check."""
    served = await run_in_threadpool(reload_index, request.app)
    if served is None:
        raise ServiceUnavailable(request.app.state.unavailable or "no index is published yet")
    return {"generation": served}


@router.get("/tasks/{task_id}", response_model=TaskOut)
async def get_task(request: Request, task_id: str):
    """A background task: queued, running, done (with the build's report) or failed (with
    the reason)."""
    task = _tasks(request).get(task_id)
    if task is None:
        raise ApiError(
            404, f"no task with id {task_id!r} (tasks are remembered until the server restarts)"
        )
    return task
