"""The sign-in guard: ASGI middleware that ``serve.py`` installs in front of Streamlit through
``st.App``. It sees every HTTP request and WebSocket handshake first; with sign-in configured,
only the sign-in pages and ``/_stcore/health`` pass without a valid cookie, an upload goes only
into a session connected under the same sign-in, and the request reaches Streamlit with the
header that binds its session to that sign-in (``signin.py`` says why)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from app_pages import auth
from app_pages.signin import (
    SESSION_HEADER,
    SIGNIN,
    SIGNOUT,
    STATE,
    ASGIApp,
    Receive,
    Scope,
    Send,
    Setup,
    base_path,
    cookie_in,
    current_setup,
    problem_text,
    respond,
    signed_in,
)
from app_pages.signin_form import HTML_HEADERS, handle, html_page

OPEN_PATHS = frozenset({"_stcore/health"})
UPLOADS = "_stcore/upload_file/"  # then <session id>/<file id>


def _relative(path: str) -> str | None:
    """The path below the app's base URL path, without its leading slash; None when outside."""
    base = base_path()
    if base and not (path == base or path.startswith(base + "/")):
        return None
    return path[len(base) :].removeprefix("/")


def _is_navigation(scope: Scope) -> bool:
    if scope.get("method") not in ("GET", "HEAD"):
        return False
    headers = dict(scope["headers"])
    return headers.get(b"sec-fetch-dest") == b"document" or b"text/html" in headers.get(b"accept", b"")


def _query_path(scope: Scope) -> str:
    query = scope.get("query_string", b"").decode("latin-1")
    return scope["path"] + (f"?{query}" if query else "")


class Guard:
    """ASGI middleware: see the module docstring."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        STATE.guard_installed = True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = [(k, v) for k, v in scope["headers"] if k.lower() != SESSION_HEADER]
        scope = {**scope, "headers": headers}
        rel = _relative(scope["path"])
        if scope["type"] == "http" and rel in (SIGNIN, SIGNOUT):
            await handle(rel, scope, receive, send)
            return
        setup = current_setup()
        if not setup.enabled or rel in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        token = signed_in(setup, cookie_in(headers))
        if token is None:
            await _refuse(scope, receive, send, setup)
            return
        if rel and rel.startswith(UPLOADS) and not _owns_session(rel.split("/")[2], token):
            await respond(send, 403, b"Not your session.\n", [(b"content-type", b"text/plain; charset=utf-8")])
            return
        headers.append((SESSION_HEADER, token.token_id.encode("ascii")))
        await self.app(scope, receive, send)


def _owns_session(session_id: str, token: auth.Token) -> bool:
    """Whether the session is connected under this very sign-in (the header the guard gave its
    WebSocket): another signed-in user who read a session id in a log cannot upload into it."""
    from streamlit import runtime

    client = runtime.get_instance().get_client(session_id) if runtime.exists() else None
    context = getattr(client, "client_context", None)
    if context is None:
        return False
    given = [v for k, v in context.headers if k.lower() == SESSION_HEADER.decode()]
    return given == [token.token_id]


def middleware() -> Any:
    """The guard, for ``st.App(..., middleware=[signin_guard.middleware()])``."""
    from starlette.middleware import Middleware

    return Middleware(Guard)


async def _refuse(scope: Scope, receive: Receive, send: Send, setup: Setup) -> None:
    if scope["type"] == "websocket":
        await receive()  # websocket.connect; closing before accepting answers the handshake with 403
        await send({"type": "websocket.close", "code": 1008})
        return
    if setup.problem:
        body = html_page("Sign-in unavailable", problem_text(setup.problem), form=False)
        await respond(send, 503, body, HTML_HEADERS)
    elif _is_navigation(scope):
        location = f"{base_path()}/{SIGNIN}?next={quote(_query_path(scope), safe='')}"
        await respond(send, 303, b"", [(b"location", location.encode("latin-1")), (b"cache-control", b"no-store")])
    else:
        await respond(send, 401, b"Sign in first.\n", [(b"content-type", b"text/plain; charset=utf-8")])
