"""The sign-in gate at the top of every script run (``app.py`` calls ``gate()`` first): it checks
the cookie of the connection running the script, not of the session's first one, so a sign-out
or an expiry takes effect at the next click; it shows who is signed in and the sign-out button,
and with sign-in configured but unusable, or the server started without its guard, it shows why
and nothing else."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

import streamlit as st

from app_pages.signin import COOKIE, SIGNIN, SIGNOUT, STATE, base_path, current_setup, problem_text, signed_in

START_COMMAND = "streamlit run serve.py"
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
        st.error(problem_text(setup.problem))
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
        url = f"{base_path()}/{SIGNIN}?next={quote(_current_path(), safe='')}"
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
        _redirect(f"{base_path()}/{SIGNOUT}")
        st.stop()
    return token.user
