"""The dashboard's sign-in on the web: a guard in front of every request, a sign-in page, and the
check at the top of every script run. This module holds what the three share — the setup read
from the configuration, the process's tokens and limits, the cookie — and the others are:

- ``signin_guard.py``: ``Guard`` (ASGI middleware, installed by ``serve.py`` through ``st.App``)
  sees every HTTP request and every WebSocket handshake before Streamlit does. When sign-in is
  configured, nothing but the sign-in page and ``/_stcore/health`` is served without a valid
  cookie: no page, no script, no WebSocket (so no session, no widget state), no upload (so an
  anonymous client cannot make the server hold its bytes), no media file. With a valid cookie it
  adds the header ``X-Findings-Session: <token id>``, which ``.streamlit/config.toml`` maps into
  the session's user info (``server.trustedUserHeaders``): Streamlit resumes a session only for a
  connection with the same user info, so a session id alone — or with another sign-in's cookie —
  gets a fresh session, never the signed-in one. A client's own ``X-Findings-Session`` is always
  dropped.
- ``signin_form.py``: ``/auth/signin`` is a plain HTML form (no script) posted to the server,
  which checks the password within ``auth.Limiter``'s limits and sets the cookie;
  ``/auth/signout`` ends it.
- ``signin_gate.py``: ``gate()`` runs at the top of every script run and checks the cookie of the
  connection that is running it (``st.context.cookies``), so a sign-out or an expiry takes effect
  at the next click.

Why a cookie and a guard: Streamlit hands an existing session (with its ``st.session_state``) to
any WebSocket that presents the session's id, and that id travels in upload URLs
(``/_stcore/upload_file/<session id>/…``), so it reaches proxy logs. A "signed in" flag kept in
the session would belong to whoever has the id. Here the proof of sign-in is a cookie only the
signed-in browser holds: ``HttpOnly`` (no script can read it), ``SameSite=Lax`` (no other site's
page sends it with its requests), signed with a key that never leaves the server process
(``auth.Tokens``), valid for 12 hours and ended by signing out.

When the configuration names a users file that cannot be read, or the settings file itself
cannot be read, nothing is served: the guard answers 503 and the gate shows why (fail closed).
A dashboard started without the guard (``streamlit run app.py``) with sign-in configured refuses
to show anything and says how to start it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app_pages import auth
from core.errors import ConfigError
from core.settings import load_settings

log = logging.getLogger(__name__)

COOKIE = "findings_signin"
SESSION_HEADER = b"x-findings-session"  # .streamlit/config.toml: server.trustedUserHeaders
SIGNIN, SIGNOUT = "auth/signin", "auth/signout"

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


def problem_text(problem: str) -> str:
    return f"Sign-in is configured, but {problem}. Nothing is shown until this is fixed."


def base_path() -> str:
    """The app's base URL path (``server.baseUrlPath``) with a leading slash, or "" at the root."""
    from streamlit import config

    base = str(config.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}" if base else ""


def cookie_in(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The sign-in cookie's value in a request's headers, or None."""
    from starlette.requests import cookie_parser

    for name, value in headers:
        if name == b"cookie":
            found = cookie_parser(value.decode("latin-1")).get(COOKIE)
            if found:
                return found
    return None


async def respond(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
