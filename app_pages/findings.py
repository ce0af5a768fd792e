"""Findings: a searchable table; one finding's history across scans, its risk decisions (with the
form to record one), its rule and location. ``?finding=ID`` in the address opens that finding.

Everything from SARIF (messages, rule help, paths) is shown as plain text: st.text / st.code /
dataframes, never Markdown or HTML.
"""

from __future__ import annotations

import altair as alt
import streamlit as st

from analytics import tables
from app_pages import decision_form
from app_pages.charts import chart
from app_pages.filters import View
from app_pages.tables import download, table
from app_pages.text import empty, md_escape

view: View = st.session_state["view"]
st.title("Findings")

left, right = st.columns([3, 1])
search = left.text_input("Search rule, CWE, path or message", key="find_search", placeholder="e.g. CWE-89 or sql")
status = right.selectbox("Status", ["all", "open", "fixed", "suppressed"], key="find_status")
with view.store.session():
    df = tables.findings(
        view.store, view.filters, view.settings, search=search or None, status=None if status == "all" else status
    )

st.caption(f"{len(df):,} finding(s), the most severe first")
if df.empty:
    empty()
    st.stop()

shown = df[
    [
        "severity",
        "status",
        "tool",
        "rule_id",
        "cwe",
        "path",
        "start_line",
        "message",
        "age_days",
        "sla_due_at",
        "overdue",
        "decision",
        "project",
        "branch",
        "first_seen_at",
        "episodes",
    ]
]
event = table(shown, "findings_table", on_select="rerun", selection_mode="single-row")
download(df, "findings", "dl_findings")

rows = event.selection.rows if event and event.selection else []  # type: ignore[attr-defined]
linked = df.index[df["finding_id"] == st.query_params.get("finding", "")].tolist()  # ?finding=ID opens one
if not rows and not linked:
    st.info("Select a row to see that finding's history across scans.")
    st.stop()

finding = df.iloc[rows[0]] if rows else df.loc[linked[0]]
fid = str(finding["finding_id"])
with view.store.session():
    history = tables.finding_history(view.store, fid)
    rule = tables.finding_rule(view.store, fid)
    eps = tables.episodes(view.store, type(view.filters)(), view.settings)
eps = eps[eps["finding_id"] == fid]

# md_escape: SARIF text stays text in a heading too (no Markdown, no link, no icon); anchor=False: no URL from it
st.subheader(f"{md_escape(finding['rule_id'])} in {md_escape(finding['path'] or '(no location)')}", anchor=False)
st.text(str(finding["message"]))  # plain text: never rendered as Markdown/HTML
a, b, c, d = st.columns(4)
a.metric("Status", str(finding["status"]))
b.metric("Severity", str(finding["severity"]))
c.metric("Episodes", int(finding["episodes"]))
d.metric("First seen", f"{finding['first_seen_at']:%Y-%m-%d}")

timeline = (
    alt.Chart(history, title="Presence in each scan of the stream")
    .mark_tick(thickness=4, size=28)
    .encode(
        x=alt.X("scanned_at:T", title="Scan time"),
        y=alt.Y("state:N", title=None, sort=["present", "suppressed", "absent"]),
        color=alt.Color(
            "state:N",
            scale=alt.Scale(domain=["present", "suppressed", "absent"], range=["#d32f2f", "#90a4ae", "#388e3c"]),
            legend=None,
        ),
        tooltip=["scan_number:Q", "scanned_at:T", "state:N", "commit_sha:N", "path:N", "start_line:Q"],
    )
)
chart(timeline, "history_chart")
st.markdown("**Episodes**")
table(eps[["seq", "opened_at", "closed_at", "status", "days", "sla_due_at", "within_sla"]], "episodes_table")
decision_form.panel(view, fid, st.session_state.get("user"))
with st.expander("Scans (present / absent) with commits"):
    st.dataframe(history.drop(columns=["scan_id"]), hide_index=True, width="stretch", key="history_table")
if rule:
    with st.expander("Rule"):
        for label, key in (
            ("Name", "name"),
            ("Description", "full_description"),
            ("Help", "help_text"),
            ("Help URI", "help_uri"),
        ):
            if rule.get(key):
                st.caption(label)
                st.text(str(rule[key]))
st.caption("Location")
st.code(
    f"{finding['path']}:{'' if finding['start_line'] != finding['start_line'] else finding['start_line']}",
    language=None,
)
