"""Every request: its id, its metrics and, with JSON logs, its access line.

Pure ASGI and the outermost middleware, so that every answer passes through it: the 413 of
the body cap, the 429 of the rate limit, CORS preflights and errors alike. The request id is
the client's `X-Request-ID` when it is a plain token (search_api/logs.py), else a new one;
it is echoed in the response's `X-Request-ID` and set for the logs of the request. A server
error is answered outside every middleware (Starlette's ServerErrorMiddleware): the id is
left in the request's state for that answer (search_api/errors.py).
"""

from __future__ import annotations

import logging
import time

from starlette.routing import Match

from search_api import metrics
from search_api.logs import request_id, sane_request_id

access_log = logging.getLogger("search_api.access")
HEADER = b"x-request-id"


def route_template(scope: dict) -> str:
    """The route's path template ("/documents/{doc_id}"), never the path itself: labels
    stay few. A request answered before routing (413, 429) is matched here; no route:
    "unmatched"."""
    route = scope.get("route") or _match(getattr(scope.get("app"), "routes", ()), scope)
    return getattr(route, "path_format", None) or "unmatched"


def _match(routes, scope: dict):
    for candidate in routes:
        if candidate.matches(scope)[0] is Match.NONE:
            continue
        # newer FastAPI versions keep an included router whole, its routes inside
        included = getattr(candidate, "effective_route_contexts", None)
        if included is None:
            return candidate
        return next((r for r in included() if r.matches(scope)[0] is not Match.NONE), None)
    return None


def _sent_id(scope: dict) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == HEADER:
            return value.decode("latin-1")
    return None


class RequestMiddleware:
    def __init__(self, app, json_log: bool = False) -> None:
        self.app = app
        self.json_log = json_log
        metrics.ready()  # made at start-up (the client's import): no request waits for it

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = sane_request_id(_sent_id(scope))
        scope.setdefault("state", {})["request_id"] = rid
        # Left set when the request ends: the server error handler, outside this middleware,
        # logs with it; each request runs in a task of its own, so it goes no further.
        request_id.set(rid)
        header = (HEADER, rid.encode("latin-1"))
        status = 500  # unless an answer starts
        started = time.perf_counter()

        async def send_with_id(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [h for h in message.get("headers", ()) if h[0].lower() != HEADER]
                message = {**message, "headers": [*headers, header]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = route_template(scope)
            metrics.observe_request(route, scope["method"], status, seconds)
            if self.json_log:
                self._log(scope, route, status, seconds)

    @staticmethod
    def _log(scope: dict, route: str, status: int, seconds: float) -> None:
        client = scope.get("client")
        fields = {
            "method": scope["method"],
            "path": scope["path"],
            "route": route,
            "status": status,
            "duration_ms": round(seconds * 1000, 2),
            "client": client[0] if client else None,
        }
        access_log.info("%s %s %d", fields["method"], fields["path"], status, extra=fields)
