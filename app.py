"""Streamlit entry point. A placeholder until the dashboard issue lands: it shows the summary.

The app never opens a connection or writes SQL itself: it calls ``analytics`` only.
"""

from __future__ import annotations

import streamlit as st

from analytics.summary import summary
from store.db import Store

st.set_page_config(page_title="Security findings", layout="wide")
st.title("Security findings")
result = summary(Store())
if result.files == 0:
    st.info("The database is empty. Load scans with:  python -m ingest sarif PATH... --project NAME")
else:
    cols = st.columns(4)
    cols[0].metric("Files", result.files)
    cols[1].metric("Scans", result.scans)
    cols[2].metric("Findings", result.findings)
    cols[3].metric("Open episodes", result.episodes.open)
    st.dataframe(
        [
            {
                "tool": tool,
                "scans": t.scans,
                "findings": t.findings,
                "open": t.episodes.open,
                "fixed": t.episodes.fixed,
                "mttr_mean_days": t.mttr_mean_days,
            }
            for tool, t in result.per_tool.items()
        ],
        use_container_width=True,
    )
