"""Velocity: the DORA metrics with their class, lead-time distribution, the deployments timeline
with failures marked, and security next to delivery."""

from __future__ import annotations

import altair as alt
import streamlit as st

from analytics import dora
from app_pages import ui

view: ui.View = st.session_state["view"]
st.title("Velocity")

with view.store.session():
    per_project = dora.dora(view.store, view.filters, None, view.settings)
    pooled = dora.dora_by_period(view.store, view.filters, None, view.settings)
    leads = dora.lead_times(view.store, view.filters, None, view.settings)
    timeline = dora.deployments_timeline(view.store, view.filters, None, view.settings)
    security = dora.security_per_deployment(view.store, view.filters, None, view.settings)
    production = dora.production_remediation_summary(view.store, view.filters, None, view.settings)

if per_project.empty or int(per_project["deployments"].sum()) == 0:
    ui.empty(
        "No deployments in this window. Load them with `python -m ingest deployments FILE` (CSV/JSON), "
        "`python -m ingest git REPO --project P --tags-as-deployments`, and incidents with "
        "`python -m ingest incidents FILE`."
    )
    st.stop()

row = pooled.iloc[0]
CLASS_ICON = {
    "elite": ":green[**elite**]",
    "high": ":blue[**high**]",
    "medium": ":orange[**medium**]",
    "low": ":red[**low**]",
}


def klass(value: object) -> str:
    return CLASS_ICON.get(str(value), "—")


cols = st.columns(4)
cols[0].metric(
    "Deployments",
    f"{int(row['deployments']):,}",
    help=f"median {ui.number(row['deploy_days_per_week_median'])} deployment days per week",
)
cols[0].caption(f"Frequency: {klass(row['deployment_frequency_class'])}")
cols[1].metric(
    "Lead time for changes (median)",
    ui.number(row["lead_time_median_days"], " d"),
    help=f"p90 {ui.number(row['lead_time_p90_days'], ' d')}",
)
cols[1].caption(f"Class: {klass(row['lead_time_class'])}")
cols[2].metric("Change failure rate", ui.percent(row["change_failure_rate"]))
cols[2].caption(f"Class: {klass(row['change_failure_class'])}")
cols[3].metric("Failed deployment recovery (median)", ui.number(row["recovery_median_hours"], " h"))
cols[3].caption(f"Class: {klass(row['recovery_class'])}")
st.caption("Classes are DORA 2023's benchmarks (SPEC §7).")

st.subheader("Per project")
st.dataframe(per_project, hide_index=True, width="stretch", key="dora_table")
ui.download(per_project, "dora", "dl_dora")

left, right = st.columns(2)
with left:
    st.subheader("Lead-time distribution")
    if leads.empty:
        ui.empty("No commit with a known commit time was deployed in this window.")
    else:
        ui.chart(
            alt.Chart(leads, title="Commits by lead time (commit → production)")
            .mark_bar()
            .encode(
                x=alt.X("lead_time_days:Q", bin=alt.Bin(maxbins=30), title="Lead time (days)"),
                y=alt.Y("count():Q", title="Commits"),
                color=alt.Color("project:N", title="Project"),
            ),
            "lead_chart",
        )
with right:
    st.subheader("Deployments")
    marked = timeline.assign(
        outcome=[
            "failed" if s == "failure" else ("caused incident" if (i or 0) > 0 else "ok")
            for s, i in zip(timeline["status"], timeline["incidents"], strict=True)
        ]
    )
    ui.chart(
        alt.Chart(marked, title="Deployments over time (failed and incident-causing ones marked)")
        .mark_point(filled=True, size=70)
        .encode(
            x=alt.X("finished_at:T", title="Finished"),
            y=alt.Y("project:N", title=None),
            color=alt.Color(
                "outcome:N",
                scale=alt.Scale(domain=["ok", "caused incident", "failed"], range=["#388e3c", "#f57c00", "#d32f2f"]),
                title="Outcome",
            ),
            shape=alt.Shape("environment:N", title="Environment"),
            tooltip=[
                "project:N",
                "deployment_id:N",
                "environment:N",
                "status:N",
                "finished_at:T",
                "incidents:Q",
                "commit_count:Q",
            ],
        ),
        "deploy_chart",
    )

st.subheader("Security next to delivery")
if security.empty:
    ui.empty("No deployment in this window.")
else:
    long = security.melt(
        id_vars=["project", "deployment_id", "finished_at"],
        value_vars=["findings_introduced", "findings_fixed"],
        var_name="change",
        value_name="findings",
    )
    ui.chart(
        alt.Chart(long, title="Findings introduced and fixed by each deployment's commits")
        .mark_bar()
        .encode(
            x=alt.X("finished_at:T", title="Deployment"),
            y=alt.Y("findings:Q", title="Findings per deployment"),
            color=alt.Color(
                "change:N",
                scale=alt.Scale(domain=["findings_introduced", "findings_fixed"], range=["#d32f2f", "#388e3c"]),
                title=None,
            ),
            tooltip=["project:N", "deployment_id:N", "change:N", "findings:Q"],
        ),
        "security_chart",
    )
if not production.empty:
    st.markdown("**Time to remediate in production** (fix → first deployment that shipped it)")
    st.dataframe(production, hide_index=True, width="stretch", key="production_table")
