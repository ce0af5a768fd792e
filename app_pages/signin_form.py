"""The sign-in and sign-out pages (``/auth/signin``, ``/auth/signout``), answered by the guard
before Streamlit sees the request: a plain HTML form with no script, posted to the server, which
checks the password within ``auth.Limiter``'s limits (one hash at a time, in a worker thread) and
sets the cookie; signing out revokes the token, so a copy of the cookie is worthless too. Where
to go afterwards is always a path of this app."""

from __future__ import annotations

import html
import threading
from collections.abc import Awaitable, Sequence
from urllib.parse import parse_qs, urlsplit

from app_pages import auth
from app_pages.signin import (
    COOKIE,
    SIGNIN,
    SIGNOUT,
    STATE,
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

MAX_FORM_BYTES = 8192

HTML_HEADERS = [
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


def html_page(title: str, message: str | None, *, form: bool, next_path: str = "/", name: str = "") -> bytes:
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
            f'<form method=post action="{e(base_path())}/{SIGNIN}">',
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
    base = base_path()
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
    attrs = f"{COOKIE}={value}; Path={base_path() or '/'}; Max-Age={max_age}; HttpOnly; SameSite=Lax"
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


async def handle(rel: str, scope: Scope, receive: Receive, send: Send) -> None:
    """Answer a request for the sign-in page (``rel`` = SIGNIN) or for signing out (SIGNOUT)."""
    setup = current_setup()
    query = {k: v[0] for k, v in parse_qs(scope.get("query_string", b"").decode("latin-1")).items()}
    next_path = _safe_next(query.get("next"))
    if setup.problem:
        await respond(send, 503, html_page("Sign-in unavailable", problem_text(setup.problem), form=False),
                      HTML_HEADERS)  # fmt: skip
        return
    if rel == SIGNOUT:
        await _sign_out(scope, send, setup)
        return
    if setup.users_path is None or signed_in(setup, cookie_in(scope["headers"])):
        await respond(send, 303, b"", [(b"location", next_path.encode("latin-1"))])
        return
    if scope["method"] != "POST":
        message = "You are signed out." if "signed_out" in query else None
        await respond(send, 200, html_page("Sign in", message, form=True, next_path=next_path), HTML_HEADERS)
        return
    await _sign_in(scope, receive, send, setup)


async def _sign_in(scope: Scope, receive: Receive, send: Send, setup: Setup) -> None:
    import anyio

    if not _same_origin(scope):
        await respond(send, 403, b"Cross-site sign-in refused.\n", [(b"content-type", b"text/plain")])
        return
    form = await _read_form(receive)
    if form is None:
        await respond(send, 413, b"Form too large.\n", [(b"content-type", b"text/plain")])
        return
    name, password = form.get("user", "").strip(), form.get("password", "")
    next_path = _safe_next(form.get("next"))

    def again(status: int, message: str, extra: Sequence[tuple[bytes, bytes]] = ()) -> Awaitable[None]:
        page = html_page("Sign in", message, form=True, next_path=next_path, name=name[: auth.MAX_NAME_CHARS])
        return respond(send, status, page, HTML_HEADERS + list(extra))

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
        await respond(send, 503, html_page("Sign-in unavailable", problem_text(str(e)), form=False), HTML_HEADERS)
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
        await respond(
            send, 303, b"", [(b"location", next_path.encode("latin-1")), cookie, (b"cache-control", b"no-store")]
        )


async def _sign_out(scope: Scope, send: Send, setup: Setup) -> None:
    token = signed_in(setup, cookie_in(scope["headers"]))
    if token is not None:
        STATE.tokens.revoke(token)  # a copy of the cookie is worthless from now on
    location = f"{base_path()}/{SIGNIN}?signed_out=1"
    await respond(send, 303, b"", [(b"location", location.encode("latin-1")), _cookie_header("", 0, _is_https(scope))])
