"""Streamlit entry point: global filters in the sidebar, pages from ``app_pages``.

Run with ``streamlit run app.py`` (or ``make app``). The app never opens a connection or writes
SQL itself: it calls ``analytics`` (and, for uploads, the same ingest job as the command line).
"""

from __future__ import annotations

import streamlit as st

from app_pages.filters import get_store, sidebar
from app_pages.first_run import no_data
from app_pages.signin_gate import gate
from app_pages.text import md_escape
from core.errors import StoreError

# No page icons: a ``:material/…:`` icon makes the browser fetch an SVG from a font server, which
# tells a third party the tool is in use and breaks "nothing is fetched at run time".
st.set_page_config(page_title="Security findings", layout="wide")

st.session_state["user"] = gate()  # the signed-in user (None without sign-in): decisions record it
pages = [
    st.Page("app_pages/overview.py", title="Overview", default=True, url_path="overview"),
    st.Page("app_pages/remediation.py", title="Remediation", url_path="remediation"),
    st.Page("app_pages/velocity.py", title="Velocity", url_path="velocity"),
    st.Page("app_pages/findings.py", title="Findings", url_path="findings"),
    st.Page("app_pages/sprint_review.py", title="Sprint review", url_path="sprint-review"),
    st.Page("app_pages/scans.py", title="Scans", url_path="scans"),
]
# A database that cannot be used (a server down or refusing us, a file locked or not a database) is
# said in the command line's words, not as Streamlit's redacted "This app has encountered an error".
try:
    store = get_store()
    if no_data(store):
        st.stop()
    st.session_state["view"] = sidebar(store)
    st.navigation(pages).run()
except StoreError as e:
    st.error(f"The database cannot be used: {md_escape(e)}")
