"""Start the dashboard with its sign-in guard: ``streamlit run serve.py`` (``make app`` does).

Streamlit serves ``app.py`` as usual; this file only adds, through ``st.App``, the guard of
``app_pages/signin_guard.py``: the sign-in page (``/auth/signin``, ``/auth/signout``) and the check
of the sign-in cookie on every request and WebSocket before Streamlit sees it. Without sign-in configured
the app is served exactly as ``streamlit run app.py`` serves it; with sign-in configured,
``streamlit run app.py`` refuses to show anything and names this command.
"""

import streamlit as st

from app_pages.signin_guard import middleware

app = st.App("app.py", middleware=[middleware()])
