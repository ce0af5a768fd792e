"""Sprint review: one sprint on one screen, and its report as CSV."""

from __future__ import annotations

import math
from dataclasses import replace

import altair as alt
import pandas as pd
import streamlit as st

from analytics import sprints, tables
from app_pages.charts import chart
from app_pages.filters import View
from app_pages.tables import download, table
from app_pages.text import empty, number, percent

view: View = st.session_state["view"]
st.title("Sprint review")

with view.store.session():
    report = sprints.sprint_report(view.store, view.filters, view.settings)
if report.empty:
    empty("No sprint in this window.")
    st.stop()

labels = report["sprint"].tolist()
chosen = st.selectbox("Sprint", labels[::-1], key="sprint_pick")
row = report[report["sprint"] == chosen].iloc[0]
in_window = math.ceil((row["end"] - row["start"]) / pd.Timedelta(days=1))
length = (
    f"{view.settings.sprint_days} days"
    if in_window >= view.settings.sprint_days
    else f"{in_window} of its {view.settings.sprint_days} days in this window"
)
st.caption(
    f"{row['start']:%Y-%m-%d} – {(row['end'] - pd.Timedelta(seconds=1)):%Y-%m-%d} "
    f"({length}; calendar from config `[sprints]`)"
)

cols = st.columns(4)
first = int(row["first_scan"])
cols[0].metric(
    "New",
    int(row["new"]),
    help=f"{first:,} of them were already there at their stream's first scan (a scanner or repository "
    "added in this sprint): found, not introduced"
    if first
    else "Findings that appeared in this sprint (reopened ones are counted apart)",
)
cols[1].metric("Fixed", int(row["fixed"]))
cols[2].metric("Reopened", int(row["reopened"]))
cols[3].metric("Still open at the end", int(row["still_open"]))
cols = st.columns(4)
cols[0].metric(
    "MTTR of what was fixed",
    number(row["fixed_mean_days"], " d"),
    help=f"median {number(row['fixed_median_days'], ' d')}",
)
cols[1].metric("SLA breaches", int(row["sla_breaches"]), help="SLA due dates that passed during the sprint unfixed")
cols[2].metric("Deployments", int(row["deployments"]) if not pd.isna(row["deployments"]) else 0)
cols[3].metric(
    "Lead time / change failure rate",
    f"{number(row['lead_time_median_days'], ' d')} / {percent(row['change_failure_rate'])}",
)

sprint_filters = replace(view.filters, since=row["start"].to_pydatetime(), until=row["end"].to_pydatetime())
with view.store.session():
    eps = tables.episodes(view.store, sprint_filters, view.settings)
new = eps[(eps["opened_at"] >= row["start"]) & (eps["opened_at"] < row["end"])]
left, right = st.columns(2)
for col, field, title in ((left, "rule_id", "Top rules"), (right, "cwe", "Top CWEs")):
    with col:
        counts = new.dropna(subset=[field]).groupby(field).size().reset_index(name="new").nlargest(10, "new")
        if counts.empty:
            empty(f"No new finding with a {field.replace('_id', '')}.")
        else:
            chart(
                alt.Chart(counts, title=f"{title} among new findings")
                .mark_bar(color="#d32f2f")
                .encode(x=alt.X("new:Q", title="New findings"), y=alt.Y(f"{field}:N", sort="-x", title=None)),
                f"top_{field}",
            )

st.subheader("All sprints")
table(
    report.rename(columns={"first_scan": "of new: first scan", "end": "end (exclusive)"}),
    "sprint_table",
)
download(report, "sprint-report", "dl_sprint")  # = python -m analytics export sprint-report
