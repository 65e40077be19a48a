"""The FastAPI application: settings, model and index loaded once, for the app's lifetime."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi_offline import FastAPIOffline

from indexer import __version__
from indexer.embedding import Embedder
from search_api import admin, errors, widget
from search_api.access import RequestMiddleware
from search_api.lifecycle import make_embedder, open_searcher
from search_api.limits import BodyLimitMiddleware
from search_api.ratelimit import RateLimitMiddleware, SharedTokenBuckets, TokenBuckets
from search_api.routes import router
from search_api.settings import Settings
from search_api.state import open_store
from search_api.tasks import Tasks, fail_orphans

__all__ = ["create_app", "make_embedder"]
log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, embedder: Embedder | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if app.state.tasks.closed:  # the app is started again
            app.state.tasks = Tasks(store=app.state.store)
        if app.state.store is not None:
            fail_orphans(app.state.store)
        open_searcher(app)
        yield
        app.state.tasks.close()
        if app.state.searcher is not None:
            app.state.searcher.close()

    # /docs and /redoc from files installed with the package, not a CDN: the archive's
    # machines are often offline
    app = FastAPIOffline(
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
    # Shared by every worker process of the server (search_api/state.py).
    app.state.store = open_store(settings.state_path)
    app.state.tasks = Tasks(store=app.state.store)
    app.state.key_failures = _buckets(app.state.store, "admin-key", settings.admin_failure_rate)
    if settings.api_key is not None and len(settings.api_key.get_secret_value()) < 16:
        log.warning("CONFSEARCH_API_KEY is short: use 16 characters or more (a random token)")
    # Innermost first: the body cap, then the rate limit, then CORS (so that a browser can
    # read a 413 or 429 as well as any answer).
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes, exempt=_is_upload)
    if settings.rate is not None:
        buckets = _buckets(app.state.store, "search", settings.rate)
        app.add_middleware(RateLimitMiddleware, buckets=buckets)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["content-type", "x-request-id"],
            expose_headers=["X-Request-ID"],
            max_age=600,
        )
    # Outermost: every answer gets its request id and is counted (search_api/access.py).
    app.add_middleware(RequestMiddleware, json_log=settings.log_format == "json")
    errors.install(app)
    app.include_router(router)
    app.include_router(admin.router)
    # The embeddable search widget (/widget.js), its demo page (/), document view pages.
    app.include_router(widget.router)
    return app


def app_from_environment() -> FastAPI:
    """The app of one worker process of `confsearch serve --workers N`: its settings from the
    CONFSEARCH_* variables the command set."""
    return create_app(Settings())


def _buckets(store, family: str, rate: tuple[int, float] | None):
    """Token buckets every worker shares, or this process's own without a shared state."""
    if rate is None:
        return None
    return SharedTokenBuckets(store, family, *rate) if store is not None else TokenBuckets(*rate)


def _is_upload(scope: dict) -> bool:
    """Uploads have their own cap (CONFSEARCH_MAX_UPLOAD_MB), enforced as they stream."""
    path, root = scope["path"], scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    return scope["method"] == "POST" and path == "/admin/documents"
