"""Overview: headline numbers against the previous period, the backlog trend, inflow vs outflow."""

from __future__ import annotations

from typing import Any, Literal

import altair as alt
import streamlit as st

from analytics import catalog, overview, remediation
from app_pages.charts import SEVERITY_ORDER, chart, count_axis, period_axis, period_bands, severity_scale
from app_pages.filters import View
from app_pages.tables import download, table
from app_pages.text import empty, number, percent

view: View = st.session_state["view"]
st.title("Overview")

to_date = st.toggle(
    f"This {view.period} so far",
    key="ov_to_date",
    help=f"Off: the last complete {view.period} against the one before. On: the {view.period} so far against "
    f"the same days of the previous {view.period}.",
    disabled=view.filters.until is not None,
)
with view.store.session():
    head = overview.headline(view.store, view.filters, view.period, view.settings, to_date=to_date)
    backlog = remediation.backlog(view.store, view.filters, ("severity",), view.period, view.settings)
    flow = remediation.flow(view.store, view.filters, (), view.period, view.settings)
    owned = len(catalog.teams(view.store, view.settings)) > 1  # some rule gives a team
    teams = overview.team_table(view.store, view.filters, view.settings) if owned else None

cur, prev = head.current, head.previous
if cur.whole:
    st.caption(f"**{cur.label}** compared with **{prev.label}** (whole {view.period}s).")
else:
    st.caption(
        f"**{cur.label}** ({cur.days:.1f} days) compared with the same stretch of the {view.period} before: "
        f"**{prev.label}**. Partial {view.period}s are compared like with like."
    )

FEW = 5  # below this many, a change says little: shown grey, not red or green


Tone = Literal["normal", "inverse", "off"]


def change(d: overview.Delta, digits: int = 1, unit: str = "", color: Tone = "inverse") -> dict[str, Any]:
    """``st.metric``'s delta arguments: the signed change, or "no change" without an arrow or a
    colour (a "↑ +0" in red says something happened when nothing did)."""
    if d.change is None:
        return {"delta": None}
    if round(d.change, digits) == 0:
        return {"delta": "no change", "delta_color": "off", "delta_arrow": "off"}
    return {"delta": f"{d.change:+,.{digits}f}{unit}", "delta_color": color}


def tone(n: overview.Delta | None, inverse: bool = True) -> Tone:
    """Colour a change only when both sides rest on enough cases."""
    if n is not None and min(n.current or 0, n.previous or 0) < FEW:
        return "off"
    return "inverse" if inverse else "normal"


def based_on(n: overview.Delta, what: str) -> str:
    few = " — too few to compare" if min(n.current or 0, n.previous or 0) < FEW else ""
    return f"n = {int(n.current or 0):,} {what} (before: {int(n.previous or 0):,}){few}"


sla_points = overview.Delta(
    *(None if v is None else 100 * v for v in (head.sla_compliance.current, head.sla_compliance.previous))
)
cols = st.columns(4)
cols[0].metric(
    "Open findings",
    f"{head.open_total.current:,.0f}",
    **change(head.open_total, 0, color="inverse"),
    help="Episodes open at the end of the span",
)
cols[1].metric(
    "MTTR (mean)",
    number(head.mttr_mean_days.current, " d"),
    **change(head.mttr_mean_days, 1, " d", color=tone(head.fixed)),
    help="Mean days to remediate of the findings fixed in the span; "
    f"median {number(head.mttr_median_days.current, ' d')}",
)
cols[1].caption(based_on(head.fixed, "fixes"))
cols[2].metric(
    "KM half-life",
    number(head.km_median_days.current, " d") if head.km_median_days.current is not None else "not reached",
    **change(head.km_median_days, 1, " d", color=tone(head.km_episodes)),
    help="Kaplan–Meier median: half of the findings opened in the window are fixed by then, "
    "counting the still-open ones",
)
cols[2].caption(based_on(head.km_episodes, "findings"))
cols[3].metric(
    "SLA compliance",
    percent(head.sla_compliance.current),
    **change(sla_points, 0, " pts", tone(head.sla_fixed_with_sla, inverse=False)),
    help=f"Fixes within SLA in the span; {head.overdue_open.current:.0f} open finding(s) overdue at its end",
)
cols[3].caption(based_on(head.sla_fixed_with_sla, "fixes with an SLA"))
cols = st.columns(4)
cols[0].metric(
    "New",
    f"{head.new.current:,.0f}",
    **change(head.new, 0, color="inverse"),
    help="Findings that appeared for the first time (reopened ones and the backlog a stream's first scan "
    "found are not new work)",
)
if head.first_scan.current:
    cols[0].caption(f"+ {head.first_scan.current:,.0f} found by a first scan")
cols[1].metric("Fixed", f"{head.fixed.current:,.0f}", **change(head.fixed, 0, color="normal"))
cols[2].metric("Deployments", f"{head.deployments.current:,.0f}", **change(head.deployments, 0, color="normal"))
cols[3].metric(
    "Lead time (median)",
    number(head.lead_time_median_days.current, " d"),
    **change(head.lead_time_median_days, 1, " d", color=tone(head.lead_time_commits)),
)
cols[3].caption(based_on(head.lead_time_commits, "commits"))

sev_cols = st.columns(len(head.open_by_severity))
for col, (sev, d) in zip(sev_cols, head.open_by_severity.items(), strict=True):
    col.metric(f"Open {sev}", f"{d.current:,.0f}", **change(d, 0))

if teams is not None:
    st.subheader("Teams")
    st.caption(
        "Over the window: open and overdue at its end; MTTR of the fixes in it; SLA compliance of the fixes "
        "with an SLA; Kaplan–Meier half-life of the findings opened in it — each with its n. Ownership: "
        "[teams] in the config (findings no rule matches are *unowned*)."
    )
    table(teams, "team_table")
    download(teams, "teams", "dl_teams")

st.subheader("Open backlog")
if backlog.empty or backlog["open"].sum() == 0:
    empty()
else:
    area = (
        alt.Chart(backlog.dropna(subset=["severity"]), title=f"Open findings at the end of each {view.period}")
        .mark_area()
        .encode(
            x=period_axis(view.period),
            y=alt.Y("open:Q", title="Open findings", stack=True, axis=count_axis()),
            color=alt.Color("severity:N", scale=severity_scale(), sort=SEVERITY_ORDER, title="Severity"),
            order=alt.Order("severity_rank:Q"),
            tooltip=["period:N", "severity:N", "open:Q"],
        )
        .transform_calculate(severity_rank=f"indexof({SEVERITY_ORDER!r}, datum.severity)")
    )
    chart(area, "backlog_chart")
    download(backlog, "backlog", "dl_backlog")

st.subheader("Inflow and outflow")
if flow.empty or (flow["inflow"].sum() + flow["outflow"].sum()) == 0:
    empty()
else:
    baseline = int(flow["first_scan"].sum())
    shown = flow
    if baseline:
        with_baseline = st.checkbox(
            "Count the backlog found by each stream's first scan as inflow",
            key="flow_first_scans",
            help="A first scan finds what was already there before anyone looked; it is not new work of "
            "that period, and one first scan can dwarf a year of weekly inflow.",
        )
        if not with_baseline:
            shown = flow.assign(inflow=flow["inflow"] - flow["first_scan"])
            first = flow.loc[flow["first_scan"] > 0, "period"]
            where = first.iloc[0] if len(first) == 1 else f"{first.iloc[0]} – {first.iloc[-1]}"
            st.caption(
                f"Inflow leaves out {baseline:,} finding(s) already present at their stream's first scan "
                f"({where}). The CSV has both: `inflow` counts them, `first_scan` says how many."
            )
    long = shown.melt(
        id_vars=["period_start", "period"], value_vars=["inflow", "outflow"], var_name="flow", value_name="episodes"
    )
    bars = (
        alt.Chart(long, title=f"Findings opened (inflow) and closed (outflow) per {view.period}")
        .mark_bar()
        .encode(
            x=period_bands(view.period),
            xOffset="flow:N",
            y=alt.Y("episodes:Q", title=f"Findings per {view.period}", axis=count_axis()),
            color=alt.Color(
                "flow:N", scale=alt.Scale(domain=["inflow", "outflow"], range=["#d32f2f", "#388e3c"]), title=None
            ),
            tooltip=["period:N", "flow:N", "episodes:Q"],
        )
    )
    chart(bars, "flow_chart")
    download(flow, "flow", "dl_flow")
