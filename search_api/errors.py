"""One error shape for every failure: {"error": {"code": ..., "message": ...}}."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from search_api.catalogue import NotFound
from search_api.query import QueryError

log = logging.getLogger(__name__)

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "rate_limited",
    503: "unavailable",
}


class ServiceUnavailable(Exception):
    pass


class ApiError(Exception):
    """A refusal with its status, message and any headers (Retry-After, Connection)."""

    def __init__(
        self, status: int, message: str, code: str | None = None, headers: dict | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = headers


def error_response(
    status: int, message: str, code: str | None = None, headers: dict | None = None
) -> JSONResponse:
    body = {"error": {"code": code or _CODES.get(status, "error"), "message": message}}
    return JSONResponse(body, status_code=status, headers=headers)


# A filter's value is a union (value, list or range): pydantic says why each member failed,
# which reads as a type dump ("filters.year.int: …; filters.year.str: …"). One line instead.
_FILTER_SHAPE = 'a number or text, a list of them, or a range such as {"gte": 2015, "lte": 2019}'


def _describe(errors: list[dict]) -> str:
    parts = []
    for error in errors:
        loc = list(error.get("loc", ()))
        if loc and loc[0] in ("body", "query", "path", "header"):
            loc = loc[1:]  # where the value came from; the field name follows
        if len(loc) > 2 and loc[0] == "filters" and error.get("type") != "extra_forbidden":
            loc = loc[:2]
            error = {"msg": f"expected {_FILTER_SHAPE}"}
        where = ".".join(str(p) for p in loc)
        if error.get("type") == "json_invalid":
            parts.append("the request body is not valid JSON")
        elif not where and error.get("type") in ("model_attributes_type", "dict_type"):
            # a form, a JSON array, or JSON sent as text/plain (read as no object at all)
            parts.append(
                "the request body must be a JSON object sent with Content-Type: "
                'application/json, e.g. {"query": "e-commerce"}'
            )
        elif error.get("type") == "missing" and not where:
            parts.append('a JSON body is required, e.g. {"query": "e-commerce"}')
        elif error.get("type") == "missing":
            parts.append(f"{where} is required")
        elif error.get("type") == "extra_forbidden":
            parts.append(f"unknown field {where!r}")
        else:
            parts.append(f"{where}: {error.get('msg', 'invalid value')}" if where else error["msg"])
    return "; ".join(list(dict.fromkeys(parts))[:5])


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        return error_response(422, _describe(exc.errors()))

    @app.exception_handler(QueryError)
    async def _query(request: Request, exc: QueryError):
        return error_response(422, str(exc))

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound):
        return error_response(404, str(exc))

    @app.exception_handler(ApiError)
    async def _refused(request: Request, exc: ApiError):
        return error_response(exc.status, exc.message, exc.code, exc.headers)

    @app.exception_handler(ServiceUnavailable)
    async def _unavailable(request: Request, exc: ServiceUnavailable):
        return error_response(503, str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        message = exc.detail if isinstance(exc.detail, str) else "request failed"
        if exc.status_code == 404 and message == "Not Found":
            message = f"no such endpoint: {request.url.path}; see /docs"
        return error_response(exc.status_code, message)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("unexpected error on %s", request.url.path)
        # Answered outside every middleware: the request id is echoed from here.
        rid = getattr(request.state, "request_id", None)
        return error_response(500, "internal error; the server log has the details",
                              "internal_error", {"X-Request-ID": rid} if rid else None)  # fmt: skip
