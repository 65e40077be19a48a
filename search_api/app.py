"""The FastAPI application: settings, model and index loaded once, for the app's lifetime."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from indexer import __version__
from indexer.embedding import Embedder
from search_api import errors, widget
from search_api.lifecycle import make_embedder, open_searcher
from search_api.routes import router
from search_api.settings import Settings

__all__ = ["create_app", "make_embedder"]


def create_app(settings: Settings | None = None, embedder: Embedder | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        open_searcher(app)
        yield
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
    # The embeddable search widget (/widget.js), its demo page (/), document view pages.
    app.include_router(widget.router)
    return app
