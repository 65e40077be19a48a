"""The FastAPI application: settings, model and index loaded once, for the app's lifetime."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from indexer import __version__
from indexer.embedding import Embedder
from search_api import admin, errors, widget
from search_api.lifecycle import make_embedder, open_searcher
from search_api.limits import BodyLimitMiddleware
from search_api.ratelimit import RateLimitMiddleware, TokenBuckets
from search_api.routes import router
from search_api.settings import Settings
from search_api.tasks import Tasks

__all__ = ["create_app", "make_embedder"]
log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, embedder: Embedder | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if app.state.tasks.closed:  # the app is started again
            app.state.tasks = Tasks()
        open_searcher(app)
        yield
        app.state.tasks.close()
        if app.state.searcher is not None:
            app.state.searcher.close()

    app = FastAPI(
        title="confsearch",
        version=__version__,
        summary="Semantic search over conference communiqués, session papers, resolutions "
        "and speeches.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.embedder = embedder
    app.state.searcher = None
    app.state.unavailable = "starting"
    app.state.last_attempt = float("-inf")
    app.state.tasks = Tasks()
    if settings.api_key is not None and len(settings.api_key.get_secret_value()) < 16:
        log.warning("CONFSEARCH_API_KEY is short: use 16 characters or more (a random token)")
    # Innermost first: the body cap, then the rate limit, then CORS (so that a browser can
    # read a 413 or 429 as well as any answer).
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes, exempt=_is_upload)
    if settings.rate is not None:
        app.add_middleware(RateLimitMiddleware, buckets=TokenBuckets(*settings.rate))
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["content-type"],
            max_age=600,
        )
    errors.install(app)
    app.include_router(router)
    app.include_router(admin.router)
    # The embeddable search widget (/widget.js), its demo page (/), document view pages.
    app.include_router(widget.router)
    return app


def _is_upload(scope: dict) -> bool:
    """Uploads have their own cap (CONFSEARCH_MAX_UPLOAD_MB), enforced as they stream."""
    path, root = scope["path"], scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    return scope["method"] == "POST" and path == "/admin/documents"
