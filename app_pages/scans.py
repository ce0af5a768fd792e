"""Scans: loaded files and scans, rejected files with reasons, and an upload form that runs the
same ingest as the command line."""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from analytics import catalog
from analytics.filters import Filters
from app_pages.filters import View, get_store
from app_pages.loading import UPLOAD_PROJECT, UploadError, load_uploads, parse_when
from app_pages.tables import download_with, table
from app_pages.text import empty, md_escape
from ingest.models import ScanMeta

view: View | None = st.session_state.get("view")
store = view.store if view else get_store()
st.title("Scans")

with st.form("upload", clear_on_submit=True):
    st.subheader("Upload SARIF")
    files = st.file_uploader(
        "SARIF files (.sarif, .json, .sarif.json, optionally .gz)",
        accept_multiple_files=True,
        key="up_files",
        type=["sarif", "json", "gz"],
    )
    a, b, c = st.columns(3)
    project = a.text_input("Project", key="up_project", placeholder=f"from the SARIF, else {UPLOAD_PROJECT!r}")
    branch = b.text_input("Branch", key="up_branch", placeholder="main")
    commit = c.text_input("Commit", key="up_commit", placeholder="git SHA")
    d, e = st.columns(2)
    day = d.date_input("Scan date (UTC)", value=None, key="up_day", format="YYYY-MM-DD")
    time_text = e.text_input("Scan time (UTC, HH:MM)", key="up_time", placeholder="00:00")
    submitted = st.form_submit_button("Load", type="primary")

if submitted:
    if not files:
        st.warning("Choose at least one file.")
    else:
        when = parse_when(day, time_text.strip())
        if day and when is None:
            st.error("The scan time is not HH:MM.")
        else:
            meta = ScanMeta(
                project=project.strip() or None,
                branch=branch.strip() or None,
                commit=commit.strip() or None,
                scanned_at=when,
            )
            try:
                with st.spinner(f"Loading {len(files)} file(s) (after any other upload being loaded)…"):
                    report = load_uploads(store, [(f.name, f) for f in files], meta)
            except UploadError as e:
                st.error(f"The upload could not be loaded: {md_escape(e)}")
                report = None
            for f in report.files if report else ():  # names and reasons through md_escape: text, never links
                if f.status == "rejected":
                    st.error(f"{md_escape(f.path)}: rejected: {md_escape(f.reason)}")
                elif f.status == "already loaded":
                    st.info(f"{md_escape(f.path)}: already loaded")
                elif f.status == "loaded":
                    st.success(f"{md_escape(f.path)}: loaded {f.scans} scan(s), {f.occurrences} occurrence(s)")
                else:
                    st.error(f"{md_escape(f.path)}: {md_escape(f.status)}: {md_escape(f.reason)}")
                for w in f.warnings:
                    st.warning(f"{md_escape(f.path)}: {md_escape(w)}")
            st.session_state["last_upload"] = datetime.now(UTC).isoformat()

filters = (view.filters if view else None) or Filters()
PAGE_ROWS = 500
with store.session():
    total = catalog.scan_count(store, filters)
    pages = max(1, -(-total // PAGE_ROWS))
    page = 1
    if pages > 1:
        page = int(st.number_input(f"Page (of {pages:,})", 1, pages, 1, key="scans_page"))
    scans = catalog.scans(store, filters, limit=PAGE_ROWS, offset=(page - 1) * PAGE_ROWS)
    rejected = catalog.rejections(store)
st.subheader("Loaded scans")
if scans.empty:
    empty("No scan matches these filters.")
else:
    first = (page - 1) * PAGE_ROWS + 1
    st.caption(
        f"{total:,} scan(s), newest first: rows {first:,}–{first + len(scans) - 1:,} shown; "
        "the download holds all of them"
    )
    table(scans.drop(columns=["scan_id"]), "scans_table")
    download_with(lambda: catalog.scans(store, filters), "scans", "dl_scans")
st.subheader("Rejected files")
if rejected.empty:
    st.caption("None.")
else:
    table(rejected, "rejected_table")
