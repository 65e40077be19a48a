"""The FastAPI dependencies: the settings and the searcher, loaded once per app (its
lifespan) and handed to handlers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from search_api.errors import ServiceUnavailable
from search_api.lifecycle import open_searcher
from search_api.search import Searcher
from search_api.settings import Settings


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_searcher(request: Request) -> Searcher:
    """The app's searcher; 503 while there is no usable index (it is opened as soon as one
    is published)."""
    searcher = request.app.state.searcher or open_searcher(request.app)
    if searcher is None:
        raise ServiceUnavailable(
            request.app.state.unavailable or "the index is not loaded: run `confsearch index`"
        )
    return searcher


SearcherDep = Annotated[Searcher, Depends(get_searcher)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
