"""Streamlit entry point: global filters in the sidebar, pages from ``app_pages``.

Run with ``streamlit run app.py`` (or ``make app``). The app never opens a connection or writes
SQL itself: it calls ``analytics`` (and, for uploads, the same ingest job as the command line).
"""

from __future__ import annotations

import streamlit as st

from app_pages import signin, ui

st.set_page_config(page_title="Security findings", page_icon=":material/shield:", layout="wide")

signin.gate()
store = ui.get_store()
if ui.no_data(store):
    st.stop()

st.session_state["view"] = ui.sidebar(store)
pages = [
    st.Page("app_pages/overview.py", title="Overview", icon=":material/dashboard:", default=True, url_path="overview"),
    st.Page("app_pages/remediation.py", title="Remediation", icon=":material/healing:", url_path="remediation"),
    st.Page("app_pages/velocity.py", title="Velocity", icon=":material/rocket_launch:", url_path="velocity"),
    st.Page("app_pages/findings.py", title="Findings", icon=":material/search:", url_path="findings"),
    st.Page("app_pages/sprint_review.py", title="Sprint review", icon=":material/event:", url_path="sprint-review"),
    st.Page("app_pages/scans.py", title="Scans", icon=":material/upload_file:", url_path="scans"),
]
st.navigation(pages).run()
