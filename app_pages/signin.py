"""The dashboard's sign-in on the web: a guard in front of every request, a sign-in page, and the
check at the top of every script run.

Why a cookie and a guard: Streamlit hands an existing session (with its ``st.session_state``) to
any WebSocket that presents the session's id, and that id travels in upload URLs
(``/_stcore/upload_file/<session id>/…``), so it reaches proxy logs. A "signed in" flag kept in
the session would belong to whoever has the id. Here the proof of sign-in is a cookie only the
signed-in browser holds: ``HttpOnly`` (no script can read it), ``SameSite=Lax`` (no other site's
page sends it with its requests), signed with a key that never leaves the server process
(``auth.Tokens``), valid for 12 hours and ended by signing out.

- ``Guard`` (ASGI middleware, installed by ``serve.py`` through ``st.App``) sees every HTTP request
  and every WebSocket handshake before Streamlit does. When sign-in is configured, nothing but the
  sign-in page and ``/_stcore/health`` is served without a valid cookie: no page, no script, no
  WebSocket (so no session, no widget state), no upload (so an anonymous client cannot make the
  server hold its bytes), no media file. With a valid cookie it adds the header
  ``X-Findings-Session: <token id>``, which ``.streamlit/config.toml`` maps into the session's
  user info (``server.trustedUserHeaders``): Streamlit resumes a session only for a connection
  with the same user info, so a session id alone — or with another sign-in's cookie — gets a
  fresh session, never the signed-in one. A client's own ``X-Findings-Session`` is always dropped.
- ``/auth/signin`` is a plain HTML form (no script) posted to the server, which checks the
  password within ``auth.Limiter``'s limits and sets the cookie; ``/auth/signout`` ends it.
- ``gate()`` runs at the top of every script run and checks the cookie of the connection that is
  running it (``st.context.cookies``), so a sign-out or an expiry takes effect at the next click.

When the configuration names a users file that cannot be read, or the settings file itself
cannot be read, nothing is served: the guard answers 503 and the gate shows why (fail closed).
A dashboard started without the guard (``streamlit run app.py``) with sign-in configured refuses
to show anything and says how to start it.
"""

from __future__ import annotations

import html
import logging
import threading
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import streamlit as st

from app_pages import auth
from core.errors import ConfigError
from core.settings import load_settings

log = logging.getLogger(__name__)

COOKIE = "findings_signin"
SESSION_HEADER = b"x-findings-session"  # .streamlit/config.toml: server.trustedUserHeaders
SIGNIN, SIGNOUT = "auth/signin", "auth/signout"
OPEN_PATHS = frozenset({"_stcore/health"})
UPLOADS = "_stcore/upload_file/"  # then <session id>/<file id>
MAX_FORM_BYTES = 8192
START_COMMAND = "streamlit run serve.py"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass(frozen=True)
class Setup:
    """What the configuration says about sign-in, read again on every request and script run."""

    users_path: Path | None  # None and no problem: no sign-in (local use)
    problem: str | None = None  # sign-in configured (or maybe configured) but unusable: serve nothing

    @property
    def enabled(self) -> bool:
        return self.users_path is not None or self.problem is not None


@dataclass
class _State:
    tokens: auth.Tokens = field(default_factory=auth.Tokens)
    limiter: auth.Limiter = field(default_factory=auth.Limiter)
    users: auth.UsersCache = field(default_factory=auth.UsersCache)
    guard_installed: bool = False
    threads: Any = None  # an anyio.CapacityLimiter for the hashing threads, made in the event loop
    lock: threading.Lock = field(default_factory=threading.Lock)
    logged: str | None = None  # the last problem written to the log (once, not on every request)


STATE = _State()  # one per server process: the guard, the sign-in page and the gate share it


def _log_once(problem: str) -> None:
    with STATE.lock:
        if STATE.logged == problem:
            return
        STATE.logged = problem
    log.error("sign-in: %s; nothing is served until this is fixed", problem)


def current_setup() -> Setup:
    try:
        settings = load_settings()
    except ConfigError as e:
        _log_once(f"the settings file cannot be read: {e}")
        return Setup(None, "the settings file cannot be read or holds an invalid value (the server's log says which)")
    path = auth.users_file(settings.users_file)
    if path is None:
        return Setup(None)
    try:
        STATE.users.get(path)
    except auth.UsersFileError as e:
        _log_once(f"the users file {path} cannot be read: {e}")
        return Setup(path, f"the users file named in the configuration cannot be read ({e})")
    STATE.logged = None  # fixed: the next problem is logged again
    return Setup(path)


def signed_in(setup: Setup, cookie: str | None) -> auth.Token | None:
    """The sign-in a cookie value proves under this setup, or None."""
    if setup.users_path is None or setup.problem:
        return None
    try:
        users = STATE.users.get(setup.users_path)
    except auth.UsersFileError:
        return None
    return STATE.tokens.check(cookie, users)


# --- the guard (ASGI middleware) ---------------------------------------------------------------------


def _base() -> str:
    from streamlit import config

    base = str(config.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}" if base else ""


def _relative(path: str) -> str | None:
    """The path below the app's base URL path, without its leading slash; None when outside."""
    base = _base()
    if base and not (path == base or path.startswith(base + "/")):
        return None
    return path[len(base) :].removeprefix("/")


def _cookie(headers: list[tuple[bytes, bytes]]) -> str | None:
    from starlette.requests import cookie_parser

    for name, value in headers:
        if name == b"cookie":
            found = cookie_parser(value.decode("latin-1")).get(COOKIE)
            if found:
                return found
    return None


async def _respond(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


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
            await _page(rel, scope, receive, send)
            return
        setup = current_setup()
        if not setup.enabled or rel in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        token = signed_in(setup, _cookie(headers))
        if token is None:
            await _refuse(scope, receive, send, setup)
            return
        if rel and rel.startswith(UPLOADS) and not _owns_session(rel.split("/")[2], token):
            await _respond(send, 403, b"Not your session.\n", [(b"content-type", b"text/plain; charset=utf-8")])
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
    """The guard, for ``st.App(..., middleware=[signin.middleware()])``."""
    from starlette.middleware import Middleware

    return Middleware(Guard)


async def _refuse(scope: Scope, receive: Receive, send: Send, setup: Setup) -> None:
    if scope["type"] == "websocket":
        await receive()  # websocket.connect; closing before accepting answers the handshake with 403
        await send({"type": "websocket.close", "code": 1008})
        return
    if setup.problem:
        body = _html_page("Sign-in unavailable", _problem_text(setup.problem), form=False)
        await _respond(send, 503, body, _HTML_HEADERS)
    elif _is_navigation(scope):
        location = f"{_base()}/{SIGNIN}?next={quote(_query_path(scope), safe='')}"
        await _respond(send, 303, b"", [(b"location", location.encode("latin-1")), (b"cache-control", b"no-store")])
    else:
        await _respond(send, 401, b"Sign in first.\n", [(b"content-type", b"text/plain; charset=utf-8")])


# --- the sign-in and sign-out pages ------------------------------------------------------------------

_HTML_HEADERS = [
    (b"content-type", b"text/html; charset=utf-8"),
    (b"cache-control", b"no-store"),
    (b"content-security-policy", b"default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                                  b"frame-ancestors 'none'; base-uri 'none'"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),  # no-referrer would make the form post "Origin: null"
    (b"x-content-type-options", b"nosniff"),
]  # fmt: skip

_STYLE = (
    "body{font-family:system-ui,sans-serif;background:#f6f7f9;margin:0;display:flex;justify-content:center}"
    "main{background:#fff;margin-top:10vh;padding:2rem 2.5rem;border-radius:8px;box-shadow:0 1px 4px #0002;"
    "width:22rem}h1{font-size:1.5rem;margin:0 0 1rem}label{display:block;margin:.8rem 0 .3rem}"
    "input{width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem}"
    "button{margin-top:1.2rem;padding:.55rem 1.2rem;font-size:1rem;background:#d32f2f;color:#fff;border:0;"
    "border-radius:6px}p.msg{padding:.6rem .8rem;border-radius:6px;background:#fdecea;color:#611a15}"
    "p.note{color:#555;font-size:.9rem}"
)


def _problem_text(problem: str) -> str:
    return f"Sign-in is configured, but {problem}. Nothing is shown until this is fixed."


def _html_page(title: str, message: str | None, *, form: bool, next_path: str = "/", name: str = "") -> bytes:
    e = html.escape
    parts = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        '<meta name=viewport content="width=device-width,initial-scale=1">',
        f"<title>{e(title)} · Security findings</title><style>{_STYLE}</style></head><body><main>",
        f"<h1>{e(title)}</h1>",
    ]
    if message:
        parts.append(f'<p class=msg role=alert data-testid="signin-message">{e(message)}</p>')
    if form:
        parts += [
            f'<form method=post action="{e(_base())}/{SIGNIN}">',
            f'<input type=hidden name=next value="{e(next_path)}">',
            "<label for=user>User name</label>",
            f"<input id=user name=user autocomplete=username required maxlength={auth.MAX_NAME_CHARS} "
            f'value="{e(name)}" autofocus>',
            "<label for=password>Password</label>",
            f"<input id=password name=password type=password autocomplete=current-password required "
            f"maxlength={auth.MAX_PASSWORD_CHARS}>",
            "<button type=submit>Sign in</button></form>",
            "<p class=note>Security findings dashboard. After five wrong passwords a user name is paused "
            "for a minute, then longer.</p>",
        ]
    parts.append("</main></body></html>")
    return "".join(parts).encode("utf-8")


def _safe_next(value: str | None) -> str:
    """Where to go after signing in: a path of this app only (no other site, no scheme)."""
    base = _base()
    home = f"{base}/"
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return home
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or any(not 33 <= ord(ch) <= 126 for ch in value):  # a Location header
        return home
    if base and not (parts.path == base or parts.path.startswith(home)):
        return home
    return value


def _cookie_header(value: str, max_age: int, secure: bool) -> tuple[bytes, bytes]:
    attrs = f"{COOKIE}={value}; Path={_base() or '/'}; Max-Age={max_age}; HttpOnly; SameSite=Lax"
    return b"set-cookie", (attrs + ("; Secure" if secure else "")).encode("latin-1")


def _is_https(scope: Scope) -> bool:
    # a client claiming https only makes its own cookie stricter (Secure), so the header is safe to follow
    proto = dict(scope["headers"]).get(b"x-forwarded-proto", b"").split(b",")[0].strip()
    return scope.get("scheme") in ("https", "wss") or proto == b"https"


def _same_origin(scope: Scope) -> bool:
    """Whether a POST comes from a page of this app: its Origin is the host the browser asked for
    (Host, or X-Forwarded-Host behind a proxy that rewrites Host — a cross-site form cannot set
    either) or one of ``server.corsAllowedOrigins``."""
    from streamlit import config

    headers = dict(scope["headers"])
    origin = headers.get(b"origin")
    if origin is None:
        return True  # not a browser's cross-site form: browsers send Origin with every form POST
    text = origin.decode("latin-1")
    hosts = {headers.get(b"host", b"").decode("latin-1")}
    hosts.update(h.strip() for h in headers.get(b"x-forwarded-host", b"").decode("latin-1").split(","))
    allowed = config.get_option("server.corsAllowedOrigins") or []
    return urlsplit(text).netloc in hosts - {""} or text in allowed


async def _read_form(receive: Receive) -> dict[str, str] | None:
    """The posted form fields (first value each), or None when the body is over MAX_FORM_BYTES."""
    body = b""
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        body += message.get("body", b"")
        more = message.get("more_body", False)
        if len(body) > MAX_FORM_BYTES:
            return None
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=10)
    return {k: v[0] for k, v in fields.items()}


async def _page(rel: str, scope: Scope, receive: Receive, send: Send) -> None:
    setup = current_setup()
    query = {k: v[0] for k, v in parse_qs(scope.get("query_string", b"").decode("latin-1")).items()}
    next_path = _safe_next(query.get("next"))
    if setup.problem:
        await _respond(send, 503, _html_page("Sign-in unavailable", _problem_text(setup.problem), form=False),
                       _HTML_HEADERS)  # fmt: skip
        return
    if rel == SIGNOUT:
        await _sign_out(scope, send, setup)
        return
    if setup.users_path is None or signed_in(setup, _cookie(scope["headers"])):
        await _respond(send, 303, b"", [(b"location", next_path.encode("latin-1"))])
        return
    if scope["method"] != "POST":
        message = "You are signed out." if "signed_out" in query else None
        await _respond(send, 200, _html_page("Sign in", message, form=True, next_path=next_path), _HTML_HEADERS)
        return
    await _sign_in(scope, receive, send, setup)


async def _sign_in(scope: Scope, receive: Receive, send: Send, setup: Setup) -> None:
    import anyio

    if not _same_origin(scope):
        await _respond(send, 403, b"Cross-site sign-in refused.\n", [(b"content-type", b"text/plain")])
        return
    form = await _read_form(receive)
    if form is None:
        await _respond(send, 413, b"Form too large.\n", [(b"content-type", b"text/plain")])
        return
    name, password = form.get("user", "").strip(), form.get("password", "")
    next_path = _safe_next(form.get("next"))

    def again(status: int, message: str, extra: Sequence[tuple[bytes, bytes]] = ()) -> Awaitable[None]:
        page = _html_page("Sign in", message, form=True, next_path=next_path, name=name[: auth.MAX_NAME_CHARS])
        return _respond(send, status, page, _HTML_HEADERS + list(extra))

    if not name or not password or len(name) > auth.MAX_NAME_CHARS:
        await again(400, "Enter a user name and a password.")
        return
    refusal = STATE.limiter.refusal(name)
    if refusal is None and not STATE.limiter.take_place():
        refusal = auth.BUSY
    if refusal is not None:
        await again(429, refusal.message, [(b"retry-after", str(max(1, round(refusal.retry_after))).encode())])
        return
    try:
        users = STATE.users.get(setup.users_path) if setup.users_path else {}
    except auth.UsersFileError as e:
        STATE.limiter.leave_place()
        await _respond(send, 503, _html_page("Sign-in unavailable", _problem_text(str(e)), form=False), _HTML_HEADERS)
        return
    with STATE.lock:
        if STATE.threads is None:
            STATE.threads = anyio.CapacityLimiter(STATE.limiter.slots + STATE.limiter.queue)
    started = threading.Event()

    def check() -> auth.Attempt:
        started.set()
        return auth.attempt(users, STATE.limiter, name, password)  # gives the place back

    try:
        result = await anyio.to_thread.run_sync(check, limiter=STATE.threads)
    except BaseException:
        if not started.is_set():  # cancelled (the client left) before the check began
            STATE.limiter.leave_place()
        raise
    if result.refusal is not None:
        retry = str(max(1, round(result.refusal.retry_after))).encode()
        await again(429, result.refusal.message, [(b"retry-after", retry)])
    elif result.user is None:
        await again(401, "Wrong user name or password.")
    else:
        cookie = _cookie_header(STATE.tokens.issue(result.user), auth.SESSION_SECONDS, _is_https(scope))
        await _respond(
            send, 303, b"", [(b"location", next_path.encode("latin-1")), cookie, (b"cache-control", b"no-store")]
        )


async def _sign_out(scope: Scope, send: Send, setup: Setup) -> None:
    token = signed_in(setup, _cookie(scope["headers"]))
    if token is not None:
        STATE.tokens.revoke(token)  # a copy of the cookie is worthless from now on
    location = f"{_base()}/{SIGNIN}?signed_out=1"
    await _respond(send, 303, b"", [(b"location", location.encode("latin-1")), _cookie_header("", 0, _is_https(scope))])


# --- the gate at the top of every script run ---------------------------------------------------------

_SESSION_KEY = "_signin_session"  # which sign-in the session state belongs to


def _redirect(url: str) -> None:
    """Send the browser to ``url`` (the message ``st.login`` uses for its redirect)."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is not None:
        msg = ForwardMsg()
        msg.auth_redirect.url = url
        ctx.enqueue(msg)


def _connection_cookie() -> str | None:
    """The sign-in cookie of the connection running this script (not of the session's first one)."""
    return st.context.cookies.get(COOKIE)


def _current_path() -> str:
    try:
        parts = urlsplit(st.context.url or "")
    except ValueError:
        return "/"
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _forget_session() -> None:
    for key in list(st.session_state.keys()):
        del st.session_state[key]


def gate() -> str | None:
    """Sign-in when configured: returns the signed-in user (None without sign-in) or stops the run."""
    setup = current_setup()
    if not setup.enabled:
        st.sidebar.caption("No sign-in configured: for local use (the server listens on localhost only).")
        return None
    if setup.problem:
        _forget_session()
        st.title("Sign-in unavailable")
        st.error(_problem_text(setup.problem))
        st.stop()
    if not STATE.guard_installed:
        _forget_session()
        st.title("Sign-in unavailable")
        st.error(
            "Sign-in is configured, but this server was started without its sign-in guard, so it shows nothing. "
            "Start the dashboard with the command below (make app does)."
        )
        st.code(START_COMMAND, language="sh")
        st.stop()
    token = signed_in(setup, _connection_cookie())
    if token is None:
        _forget_session()
        url = f"{_base()}/{SIGNIN}?next={quote(_current_path(), safe='')}"
        st.title("Sign in")
        st.info("Your sign-in has ended (signed out, expired, or changed): sign in again.")
        st.link_button("Sign in", url, type="primary")
        _redirect(url)
        st.stop()
    if st.session_state.get(_SESSION_KEY) not in (None, token.token_id):
        _forget_session()  # another sign-in's state: start afresh
    st.session_state[_SESSION_KEY] = token.token_id
    st.sidebar.text(f"Signed in as {token.user}")
    if st.sidebar.button("Sign out", key="sign_out"):
        STATE.tokens.revoke(token)
        _forget_session()
        _redirect(f"{_base()}/{SIGNOUT}")
        st.stop()
    return token.user
