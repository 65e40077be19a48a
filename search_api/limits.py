"""A cap on request bodies, enforced before anything parses them.

Pure ASGI: a declared Content-Length over the cap is refused at once; otherwise the body is
read (it is small: the cap is kilobytes) and counted as it arrives, so a chunked body or
one longer than it claimed is refused as soon as it passes the cap, and the application is
handed the body only once it is known to fit. Uploads (`POST /admin/documents`) have their
own, larger cap and are streamed to disk by their handler, so they are let through here.
"""

from __future__ import annotations

from collections.abc import Callable

from search_api.errors import error_response


def _declared_length(scope: dict) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class BodyLimitMiddleware:
    def __init__(self, app, max_bytes: int, exempt: Callable[[dict], bool] = lambda _: False):
        self.app = app
        self.max_bytes = max_bytes
        self.exempt = exempt

    async def _refuse(self, scope, receive, send) -> None:
        size = f"{self.max_bytes / 1024:g} kB"
        # The rest of the body is not read: the connection is closed after the answer.
        response = error_response(
            413,
            f"the request body is larger than {size}, the most this server accepts",
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or self.exempt(scope):
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            body = message.get("body", b"")
            size += len(body)
            if size > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()  # then http.disconnect, as the server reports it

        await self.app(scope, replay, send)
