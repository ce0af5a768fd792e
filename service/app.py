"""The ASGI application: the routes of ``service.writes`` and ``service.reads`` under ``/api/v1``,
one answer shape for every refusal (``{"detail": "…"}``), and the OpenAPI document FastAPI serves
at ``/api/v1/openapi.json`` (no interactive page: FastAPI's loads its scripts from a CDN).

Status codes: 400 a malformed request (a query parameter, a filter, a window), 401 no valid token
(``WWW-Authenticate: Bearer``), 403 a token without the scope or the project, 413 a body over
``FINDINGS_MAX_FILE_BYTES``, 414 a query string over 8 KiB, 415 a content type or encoding not
taken, 422 a file rejected (its report says why), 503 the store is busy or unavailable, or too many
uploads are in flight (``Retry-After``: try again).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.errors import ConfigError, QueryError, StoreBusy, StoreUnavailable, UsageError
from service import reads, writes
from service.auth import AuthError
from service.context import Context
from service.gate import RETRY_AFTER_S
from service.uploads import BodyProblem

log = logging.getLogger("service")
PREFIX = "/api/v1"
MAX_QUERY_BYTES = 8192


def _problem(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


_PATTERN_HINTS = {
    "project": "not a project name: '/'-separated parts of letters, digits, '.', '_', '-', none '.' or '..'"
}


def _validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err.get("loc", ())[1:]) or "request"
        what = _PATTERN_HINTS.get(where, "holds a character not allowed here (a control character)")
        parts.append(f"{where}: {what if err.get('type') == 'string_pattern_mismatch' else err.get('msg', 'invalid')}")
    return _problem(400, "; ".join(parts) or "invalid request")


def _auth(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AuthError)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return _problem(exc.status, str(exc), headers)


def _bad_request(_: Request, exc: Exception) -> JSONResponse:
    return _problem(400, str(exc))


def _body(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, BodyProblem)
    return _problem(exc.status, str(exc), {"Retry-After": str(RETRY_AFTER_S)} if exc.status == 503 else None)


def _gone(request: Request, _: Exception) -> Response:
    """The client hung up while sending: nothing was stored, and nobody is left to answer."""
    log.info("%s %s: the client disconnected before the body was complete", request.method, request.url.path)
    return Response(status_code=400)


def _busy(_: Request, exc: Exception) -> JSONResponse:
    log.warning("503: %s", exc)
    why = "busy" if isinstance(exc, StoreBusy) else "unavailable"
    detail = f"the store is {why}; try again in a few seconds ({exc})"
    return _problem(503, detail, {"Retry-After": str(RETRY_AFTER_S)})


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, without the 422 "validation error" it adds to every route (malformed
    requests are 400 here, and 422 means a rejected file, where a route declares it), and with the
    414 that ``QueryLimit`` answers before any route."""
    if app.openapi_schema is None:
        doc = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        too_long = {
            "description": f"the query string is over {MAX_QUERY_BYTES:,} bytes",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for path in doc.get("paths", {}).values():
            for op in path.values():
                resp = op.get("responses", {}).get("422", {})
                if "HTTPValidationError" in str(resp):
                    del op["responses"]["422"]
                op["responses"]["414"] = too_long
        schemas = doc.get("components", {}).get("schemas", {})
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        app.openapi_schema = doc
    return app.openapi_schema


class QueryLimit:
    """A query string over ``MAX_QUERY_BYTES`` is refused (414) before anything parses it."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and len(scope.get("query_string", b"")) > MAX_QUERY_BYTES:
            detail = f"the query string is over {MAX_QUERY_BYTES:,} bytes"
            await _problem(414, detail)(scope, receive, send)
            return
        await self.app(scope, receive, send)


class CloseRefusedUploads:
    """A refused upload (4xx/5xx to a POST) closes the connection after the answer. Otherwise the
    server would go on reading, and throwing away, the rest of a body it already refused — a
    client could stream gigabytes at it after its 413."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return

        async def closing(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] >= 400:
                message = {**message, "headers": [*message.get("headers", []), (b"connection", b"close")]}
            await send(message)

        await self.app(scope, receive, closing)


def create_app(ctx: Context) -> FastAPI:
    app = FastAPI(
        title="Security findings API",
        version="1",
        description=__doc__ or "",
        openapi_url=f"{PREFIX}/openapi.json",
        docs_url=None,  # FastAPI's Swagger page loads its scripts from a CDN: nothing here leaves the machine
        redoc_url=None,
    )
    app.state.ctx = ctx
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(AuthError, _auth)
    for exc in (QueryError, UsageError, ConfigError):
        app.add_exception_handler(exc, _bad_request)
    app.add_exception_handler(BodyProblem, _body)
    app.add_exception_handler(ClientDisconnect, _gone)
    app.add_exception_handler(StoreBusy, _busy)
    app.add_exception_handler(StoreUnavailable, _busy)
    app.include_router(writes.router, prefix=PREFIX)
    app.include_router(reads.router, prefix=PREFIX)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    app.add_middleware(QueryLimit)
    app.add_middleware(CloseRefusedUploads)
    return app
