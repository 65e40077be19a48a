"""The FastAPI application: settings, model and index loaded once, for the app's lifetime."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from indexer import __version__
from indexer.embedding import Embedder, load_embedder
from indexer.store import IndexError_
from search_api import errors
from search_api.routes import router
from search_api.search import QueryError, Searcher
from search_api.settings import Settings

log = logging.getLogger(__name__)


def make_embedder(settings: Settings) -> Embedder:
    return load_embedder(
        settings.model,
        device=settings.device,
        batch_size=settings.batch_size,
        precision=settings.precision,
    )


def create_app(settings: Settings | None = None, embedder: Embedder | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.searcher = None
        app.state.unavailable = None
        try:
            model = embedder or make_embedder(settings)
            searcher = Searcher(settings.index_dir, model, settings.reload_check_seconds)
            model.embed_batch(["warm up"])  # load the model now, not on the first question
            app.state.searcher = searcher
        except (IndexError_, QueryError, ValueError) as exc:
            log.error("search unavailable: %s", exc)
            app.state.unavailable = str(exc)
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
    app.state.searcher = None
    app.state.unavailable = "starting"
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
    return app
