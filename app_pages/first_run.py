"""The first-run screen: what to do when the database holds no scans yet, with buttons that load
the demo history or the small sample history through the normal ingest path."""

from __future__ import annotations

import streamlit as st

from analytics import catalog
from app_pages.loading import load_demo_history, load_samples
from store.db import Store


def no_data(store: Store) -> bool:
    """True (after explaining what to do) when the database holds no scans yet."""
    _, scans, _ = catalog.counts(store)
    if scans:
        return False
    st.title("Security findings")
    st.info("The database is empty: no scans are loaded yet.")
    st.markdown("Load SARIF files from the command line:")
    st.code("python -m ingest sarif results/ --project acme/shop --branch main --commit $GIT_SHA", language="sh")
    st.markdown(
        "…or load a demo history: a year of 8 projects scanned by CodeQL, Semgrep, Bandit, Trivy, "
        "gitleaks and Checkov on most working days, with commits, deployments and incidents (about "
        "10 seconds; the same as `python -m demo`):"
    )
    if st.button("Load the demo history", key="load_demo", type="primary"):
        bar = st.progress(0.0, text="Generating and loading…")

        def show(n: int, total: int, _: str) -> None:  # thousands of files: redraw once per percent
            if n == total or (100 * n) // total != (100 * (n - 1)) // total:
                bar.progress(n / total, text=f"Loading {n:,}/{total:,} files")

        report = load_demo_history(store, show)
        st.success(f"Loaded {report.totals()['scans']:,} scans.")
        st.rerun()
    if st.button("Load the small sample history instead", key="load_samples"):
        with st.spinner("Loading…"):
            load_samples(store)
        st.rerun()
    st.caption("Scans can also be uploaded on the Scans page once something is loaded.")
    return True
