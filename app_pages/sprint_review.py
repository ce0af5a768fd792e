"""Sprint review: one sprint on one screen — what needs action, how far the scans can be trusted,
the sprint's numbers — its review pack as HTML and the sprint report as CSV."""

from __future__ import annotations

import math
from dataclasses import replace

import altair as alt
import pandas as pd
import streamlit as st

from analytics import review, sprints, tables
from analytics.report import render_html
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

with view.store.session():
    pack = review.review(view.store, view.filters, view.settings, chosen, report)
previous = pack.previous.label if pack.previous else None

st.subheader("Needs action")
cols = st.columns(4)
for col, section, label in zip(
    cols,
    pack.actions.sections(),
    ("New critical/high", "Critical/high past SLA", "Acceptances expiring", "Fixed"),
    strict=True,
):
    change = section.count.delta
    col.metric(
        label,
        section.count.now if section.recorded else "—",
        delta=None if change is None or not section.recorded else (f"{change:+d}" if change else "±0"),
        delta_color="off" if not change else ("normal" if section.key == "fixed" else "inverse"),
        delta_arrow="auto" if change else "off",
        delta_description=section.empty_text if not section.recorded else (f"vs {previous}" if previous else None),
        help=section.title if section.recorded else f"{section.title}: {section.empty_text}",
    )
for section in pack.actions.sections():
    if not section.recorded:
        continue
    with st.expander(f"{section.title}: {section.count.now:,}"):
        if section.rows.empty:
            empty(section.empty_text)
        else:
            table(section.rows.drop(columns=["finding_id"], errors="ignore"), f"review_{section.key}")

st.subheader("Coverage")
cov = pack.coverage
cols = st.columns(3)
cols[0].metric(
    f"Not scanned for {cov.stale_days}+ days",
    len(cov.stale),
    help="Projects, or tools of a project, whose latest scan is this old at the sprint's end (config [review])",
)
cols[1].metric("Streams with guessed metadata", len(cov.guessed), help="Scan time or project was a fallback")
cols[2].metric(
    "Identity churn",
    len(cov.churn),
    help="Scans where several findings of one rule in one file were fixed and as many new at once: "
    "a data-quality warning, not remediation",
)
for frame, key, title in (
    (cov.stale, "review_stale", "Not scanned"),
    (cov.guessed, "review_guessed", "Guessed metadata"),
    (cov.churn, "review_churn", "Identity churn"),
):
    if not frame.empty:
        st.caption(title)
        table(frame, key)
st.download_button(  # the pack is drawn only when clicked (deferred), not on every render
    "Download the review pack (HTML)",
    lambda: render_html(pack).encode("utf-8"),
    file_name=f"review-{chosen.replace(' ', '-')}.html",
    mime="text/html",
    key="dl_review_pack",
    on_click="ignore",
)  # = python -m analytics report sprint

st.subheader("The sprint")
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
cols[1].metric("Reopened", int(row["reopened"]))
cols[2].metric("Suppressed", int(row["suppressed"]))
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
