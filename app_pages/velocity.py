"""Velocity: the DORA metrics with their class, lead-time distribution, the deployments timeline
with failures marked, and security next to delivery.

With several projects the headline pools their numbers (every deployment, commit and incident
counted once, each with its n) but never classes the pooled numbers: a DORA class rates one
team's delivery, and pooled deploy days are "elite" as soon as the projects together deploy on
most days, however rarely most of them do. So each key's class is given as the spread of the
projects' classes ("elite 2 · high 3 · medium 2 · low 1 of 8 projects").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from analytics import dora, dora_classes, security_delivery
from app_pages.charts import chart, count_axis
from app_pages.filters import View
from app_pages.tables import download
from app_pages.text import empty, md_escape, number

view: View = st.session_state["view"]
st.title("Velocity")

with view.store.session():
    per_project = dora.dora(view.store, view.filters, None, view.settings)
    pooled = dora.dora_by_period(view.store, view.filters, None, view.settings)
    leads = dora.lead_times(view.store, view.filters, None, view.settings)
    timeline = dora.deployments_timeline(view.store, view.filters, None, view.settings)
    security = security_delivery.security_per_deployment(view.store, view.filters, None, view.settings)
    production = security_delivery.production_remediation_summary(view.store, view.filters, None, view.settings)

if per_project.empty or int(per_project["deployments"].sum()) == 0:
    empty(
        "No deployments in this window. Load them with `python -m ingest deployments FILE` (CSV/JSON), "
        "`python -m ingest git REPO --project P --tags-as-deployments`, and incidents with "
        "`python -m ingest incidents FILE`."
    )
    st.stop()


# --- tables: human labels, numbers formatted by kind, empty cells for missing values ----------


@dataclass(frozen=True)
class Col:
    """One shown column: the frame's column, its label, and its kind (a key of FORMATS, or text)."""

    name: str
    label: str
    kind: str = "text"
    help: str | None = None


FORMATS = {"count": "%d", "days": "%.1f", "hours": "%.1f", "rate": "%.1f%%", "number": "%.1f", "per_month": "%.2f"}


def shown(df: pd.DataFrame, cols: list[Col]) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The frame to display (labelled columns, rates in %, text without None) and its config."""
    out = pd.DataFrame(index=df.index)
    config: dict[str, Any] = {}
    for c in cols:
        values = df[c.name]
        if c.kind == "rate":
            out[c.label] = values.astype("float64") * 100
        elif c.kind == "count":
            out[c.label] = values.astype("int64")
        elif c.kind == "text":
            out[c.label] = ["" if pd.isna(v) else str(v) for v in values]
        else:
            out[c.label] = values.astype("float64")
        if c.kind == "text":
            config[c.label] = st.column_config.TextColumn(c.label, help=c.help)
        else:
            config[c.label] = st.column_config.NumberColumn(c.label, help=c.help, format=FORMATS[c.kind])
    return out.reset_index(drop=True), config


def table(df: pd.DataFrame, cols: list[Col], key: str) -> None:
    data, config = shown(df, cols)
    # placeholder: a missing value is an empty cell (Streamlit writes "None" otherwise)
    st.dataframe(data, hide_index=True, width="stretch", column_config=config, key=key, placeholder="")


# --- headline ----------------------------------------------------------------------------------

row = pooled.iloc[0]
CLASS_MD = {
    "elite": ":green[**elite**]",
    "high": ":blue[**high**]",
    "medium": ":orange[**medium**]",
    "low": ":red[**low**]",
}


def many(n: int, noun: str) -> str:
    """A count with its noun: 1 commit, 2 commits."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def classes(column: str) -> str:
    """The projects' classes of one key: "Class: high" for one project, else the spread."""
    spread = dora_classes.class_spread(per_project, column)
    if spread.projects == 1:
        (name,) = [n for n, k in spread.counts if k] or ["—"]
        return f"Class: {CLASS_MD.get(name, name)}"
    parts = [f"{CLASS_MD[n]} {k}" for n, k in spread.counts if k]
    if spread.unclassified:
        parts.append(f"no data {spread.unclassified}")
    return f"By project: {' · '.join(parts)} of {spread.projects} projects"


deployments = int(row["deployments"])
failed = int(row["failed_deployments"])
commits = int(row["lead_time_commits"])
resolved = int(row["incidents_resolved"])
cols = st.columns(4)
cols[0].metric(
    "Deployments",
    f"{deployments:,}",
    help="Successful production deployments in the window, all selected projects together.",
)
cols[0].caption(f"in {many(int(row['window_days']), 'day')}  \n{classes('deployment_frequency_class')}")
cols[1].metric(
    "Lead time for changes (median)",
    number(row["lead_time_median_days"], " d"),
    help=f"Commit → first production deployment containing it, over {commits:,} commits; "
    f"p90 {number(row['lead_time_p90_days'], ' d')}.",
)
cols[1].caption(f"{many(commits, 'commit')}  \n{classes('lead_time_class')}")
cols[2].metric(
    "Change failure rate",
    number(None if deployments == 0 else 100 * row["change_failure_rate"], "%"),
    help="Deployments with at least one linked incident / deployments.",
)
cols[2].caption(f"{failed:,} of {many(deployments, 'deployment')}  \n{classes('change_failure_class')}")
cols[3].metric(
    "Recovery time (median)",
    number(row["recovery_median_hours"], " h"),
    help=f"Incident resolved − the deployment it links to finished, over {resolved:,} incidents resolved "
    "in the window.",
)
cols[3].caption(f"{many(resolved, 'incident')} resolved  \n{classes('recovery_class')}")
st.caption(
    "Numbers pool the selected projects. Classes are DORA 2023's benchmarks (`docs/definitions.md` §7); a class rates "
    "one team's delivery, so with several projects the page counts the projects in each class instead "
    "of classing the pooled numbers, which would let the busiest projects speak for all."
)

negative = per_project.loc[per_project["lead_time_negative"] > 0, ["project", "lead_time_negative"]]
if not negative.empty:
    pairs = zip(negative["project"], negative["lead_time_negative"], strict=True)
    which = ", ".join(f"{p} {int(n):,}" for p, n in pairs)
    st.warning(
        f"Data quality: {int(negative['lead_time_negative'].sum()):,} commit(s) are dated after the deployment "
        f"that shipped them (clock skew) and are left out of lead time ({md_escape(which)})."
    )

# --- per project -------------------------------------------------------------------------------

st.subheader("Per project")
st.caption("Each tab gives one key's numbers, the counts behind them and the class they earn.")
frequency_tab, lead_tab, failure_tab, recovery_tab = st.tabs(
    ["Deployment frequency", "Lead time", "Change failure", "Recovery"]
)
PROJECT = Col("project", "Project")
with frequency_tab:
    table(
        per_project,
        [
            PROJECT,
            Col("deployments", "Deployments", "count"),
            Col("window_days", "Window (days)", "count"),
            Col(
                "deploy_days_per_week_median",
                "Deploy days / week (median)",
                "number",
                "Median over the window's weeks of the days with a deployment: ≥ 5 elite, ≥ 1 high.",
            ),
            Col(
                "deployments_per_month",
                "Deployments / month",
                "per_month",
                "Average over the window; when the median week has no deploy day, ≥ 1 a month is medium, less is low.",
            ),
            Col("deployment_frequency_class", "Class"),
        ],
        "dora_table",
    )
with lead_tab:
    table(
        per_project,
        [
            PROJECT,
            Col("lead_time_commits", "Commits", "count", "Commits deployed in the window, at their first deployment."),
            Col(
                "lead_time_negative",
                "Left out (clock skew)",
                "count",
                "Commits dated after the deployment that shipped them: not a lead time.",
            ),
            Col("lead_time_median_days", "Median (d)", "days"),
            Col("lead_time_p90_days", "p90 (d)", "days"),
            Col("lead_time_class", "Class"),
        ],
        "dora_lead_table",
    )
with failure_tab:
    table(
        per_project,
        [
            PROJECT,
            Col("deployments", "Deployments", "count"),
            Col("failed_deployments", "With an incident", "count"),
            Col("change_failure_rate", "Change failure rate", "rate"),
            Col("change_failure_class", "Class"),
            Col("unsuccessful_deployments", "Failed to deploy", "count", "Status failure: never reached production."),
            Col("rework_rate", "Rework", "rate", "Unplanned deployments / deployments whose plan is known."),
        ],
        "dora_failure_table",
    )
with recovery_tab:
    table(
        per_project,
        [
            PROJECT,
            Col("incidents_resolved", "Incidents resolved", "count"),
            Col("recovery_median_hours", "Median recovery (h)", "hours"),
            Col("recovery_class", "Class"),
        ],
        "dora_recovery_table",
    )
download(per_project, "dora", "dl_dora")

left, right = st.columns(2)
with left:
    st.subheader("Lead-time distribution")
    if leads.empty:
        empty("No commit with a known commit time was deployed in this window.")
    else:
        chart(
            alt.Chart(leads, title="Commits by lead time (commit → production)")
            .mark_bar()
            .encode(
                x=alt.X("lead_time_days:Q", bin=alt.Bin(maxbins=30), title="Lead time (days)"),
                y=alt.Y("count():Q", axis=count_axis(title="Commits")),
                color=alt.Color("project:N", title="Project"),
                tooltip=[alt.Tooltip("project:N", title="Project"), alt.Tooltip("count():Q", title="Commits")],
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
    chart(
        alt.Chart(marked, title="Each deployment by outcome")
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
                alt.Tooltip("project:N", title="Project"),
                alt.Tooltip("deployment_id:N", title="Deployment"),
                alt.Tooltip("environment:N", title="Environment"),
                alt.Tooltip("status:N", title="Status"),
                alt.Tooltip("finished_at:T", title="Finished", format="%Y-%m-%d %H:%M"),
                alt.Tooltip("incidents:Q", title="Incidents", format="d"),
                alt.Tooltip("commit_count:Q", title="Commits", format="d"),
            ],
        ),
        "deploy_chart",
    )

# --- security next to delivery -----------------------------------------------------------------

SERIES = {"findings_introduced": "introduced", "findings_fixed": "fixed", "first_scan_backlog": "first-scan backlog"}
SERIES_COLORS = {"introduced": "#d32f2f", "fixed": "#388e3c", "first-scan backlog": "#90a4ae"}


def changes(security: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """One row per deployment and kind of change with findings; ``bar`` is negative for fixes, so
    that a deployment's introduced and fixed never stack into one bar."""
    ids = ["project", "deployment_id", "finished_at"]
    long = security.melt(id_vars=ids, value_vars=columns, var_name="change", value_name="findings")
    long = long[long["findings"] > 0]
    fixed = long["change"] == "findings_fixed"
    return long.assign(change=long["change"].map(SERIES), bar=long["findings"].where(~fixed, -long["findings"]))


def security_chart(long: pd.DataFrame, shown: list[str]) -> alt.Chart:
    return (
        alt.Chart(long, title="Findings introduced (up) and fixed (down) by each deployment's commits")
        .mark_bar()
        .encode(
            x=alt.X("finished_at:T", title="Deployment"),
            y=alt.Y(
                "sum(bar):Q",
                axis=alt.Axis(title="Findings per deployment", format="d", tickMinStep=1, labelExpr="abs(datum.value)"),
            ),
            color=alt.Color(
                "change:N", scale=alt.Scale(domain=shown, range=[SERIES_COLORS[s] for s in shown]), title=None
            ),
            tooltip=[
                alt.Tooltip("project:N", title="Project"),
                alt.Tooltip("deployment_id:N", title="Deployment"),
                alt.Tooltip("finished_at:T", title="Finished", format="%Y-%m-%d %H:%M"),
                alt.Tooltip("change:N", title="Findings"),
                alt.Tooltip("findings:Q", title="Count", format="d"),
            ],
        )
    )


st.subheader("Security next to delivery")
if security.empty:
    empty("No deployment in this window.")
else:
    columns = ["findings_introduced", "findings_fixed"]
    backlog = int(security["first_scan_backlog"].sum())
    if backlog:
        if st.checkbox(
            "Show the backlog found by each stream's first scan",
            key="velocity_first_scans",
            help="A stream's first scan finds what the code already had before anyone looked: no "
            "deployment introduced it.",
        ):
            columns.append("first_scan_backlog")
        else:
            st.caption(
                f"Introduced leaves out {backlog:,} finding(s) found by their stream's first scan: the "
                "backlog the code already had when scanning began, not introduced by a deployment."
            )
    long = changes(security, columns)
    if long.empty:
        empty(
            "No deployment of this window shipped a commit at which a scan found or lost a finding "
            "(that needs scans loaded with `--commit` and deployments that shipped those commits)."
        )
    else:
        chart(security_chart(long, [SERIES[c] for c in columns]), "security_chart")
if not production.empty:
    st.markdown("**Time to remediate in production**")
    st.caption(
        "Days from a finding's opening to the first production deployment that shipped its fix; "
        "fixes no deployment has shipped yet are awaiting deployment."
    )
    table(
        production,
        [
            Col("project", "Project"),
            Col("fixed_episodes", "Fixed", "count"),
            Col("deployed", "Deployed", "count"),
            Col("awaiting_deployment", "Awaiting", "count", "Fixed, but no production deployment shipped the fix yet."),
            Col("median_production_days", "Median (d)", "days"),
            Col("p90_production_days", "p90 (d)", "days"),
            Col("mttr_production_days", "Mean (d)", "days"),
            Col("median_fix_days", "Median to fix (d)", "days", "Opened → closed (the scan that saw it gone)."),
            Col("median_fix_to_production_days", "Fix → production (d)", "days", "Median, closed → deployed."),
        ],
        "production_table",
    )
