"""Remediation: MTTR over time, Kaplan–Meier curves with SLA lines, aging, overdue, reopen rate."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from analytics import remediation, survival
from app_pages.charts import SEVERITY_ORDER, chart, count_axis, period_axis, period_bands, severity_scale
from app_pages.filters import View
from app_pages.tables import download, table
from app_pages.text import empty, number

view: View = st.session_state["view"]
st.title("Remediation")
group = st.radio("Break down by", ["severity", "tool", "project"], horizontal=True, key="rem_group")

with view.store.session():
    mttr = remediation.mttr(view.store, view.filters, (group,), view.period, view.settings)
    curve = survival.survival(view.store, view.filters, (group,), None, view.settings)
    aging = remediation.aging(view.store, view.filters, (group,), view.settings)
    overdue = remediation.overdue(view.store, view.filters, view.settings)
    flow = remediation.flow(view.store, view.filters, (), view.period, view.settings)
    overall = remediation.mttr(view.store, view.filters, (), None, view.settings).iloc[0]

cols = st.columns(4)
cols[0].metric("Fixed in window", f"{int(overall['closed']):,}")
cols[1].metric("MTTR mean / median", f"{number(overall['mean_days'])} / {number(overall['median_days'])} d")
cols[2].metric("p90", number(overall["p90_days"], " d"))
km = overall["km_median_days"]
cols[3].metric(
    "KM half-life",
    "not reached" if pd.isna(km) else number(km, " d"),
    help="Kaplan–Meier median over findings opened in the window, open ones counted as censored",
)

color = (
    alt.Color(f"{group}:N", scale=severity_scale(), sort=SEVERITY_ORDER, title=group.capitalize())
    if group == "severity"
    else alt.Color(f"{group}:N", title=group.capitalize())
)

st.subheader("Time to remediate")
closed = mttr[mttr["closed"] > 0]
if closed.empty:
    empty("No finding was fixed in this window.")
else:
    statistic = st.radio(
        "Statistic", ["median_days", "mean_days"], horizontal=True, key="rem_stat",
        format_func=lambda c: "median" if c == "median_days" else "mean",
        help="The median is not pulled up by a few very old findings; the mean is.",
    )  # fmt: skip
    base = alt.Chart(closed).encode(
        x=period_axis(view.period),
        y=alt.Y(f"{statistic}:Q", title=f"{'Median' if statistic == 'median_days' else 'Mean'} days to remediate"),
        tooltip=[
            f"{group}:N",
            "period:N",
            alt.Tooltip(f"{statistic}:Q", title="days", format=".1f"),
            alt.Tooltip("closed:Q", title="fixes (n)"),
        ],
    )
    title = f"Days to remediate, by {view.period} of the fix (point size: number of fixes)"
    if group == "severity":
        line = base.mark_line(point=False).encode(color=color) + base.mark_point(filled=True).encode(
            color=color, size=alt.Size("closed:Q", title="Fixes", scale=alt.Scale(range=[15, 200]))
        )
        chart(line.properties(title=title), "mttr_chart")
    else:  # one small chart per tool or project: 8–16 lines on one chart cannot be read
        panel = base.mark_line(point=alt.OverlayMarkDef(filled=True, size=25), color="#5c6bc0").properties(
            width=260, height=140
        )
        grid = panel.facet(facet=alt.Facet(f"{group}:N", title=None), columns=3, title=title)
        st.altair_chart(grid, key="mttr_chart")
download(mttr, "mttr", "dl_mttr")

st.subheader("Remediation curve (Kaplan–Meier)")
if curve.empty:
    empty("No finding was opened in this window.")
else:
    starts = curve.groupby(group, dropna=False).head(1).assign(days=0.0, survival=1.0)
    curve_from_zero = pd.concat([starts, curve], ignore_index=True)
    steps = (
        alt.Chart(curve_from_zero, title="Share of findings still open after N days (open findings censored)")
        .mark_line(interpolate="step-after")
        .encode(
            x=alt.X("days:Q", title="Days since the finding opened"),
            y=alt.Y(
                "survival:Q", title="Still open (share)", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")
            ),
            color=color,
            tooltip=[
                f"{group}:N",
                alt.Tooltip("days:Q", format=".1f"),
                alt.Tooltip("survival:Q", format=".0%"),
                "at_risk:Q",
            ],
        )
    )
    sla_days = pd.DataFrame([{"severity": s.value, "sla_days": d} for s, d in view.settings.sla_days.items() if d])
    rules = (
        alt.Chart(sla_days)
        .mark_rule(strokeDash=[4, 4])
        .encode(
            x="sla_days:Q",
            color=alt.Color("severity:N", scale=severity_scale(), legend=None),
            tooltip=["severity:N", alt.Tooltip("sla_days:Q", title="SLA (days)")],
        )
    )
    # Each layer keeps its own colour scale: sharing one merged the SLA lines' severity domain into the
    # curves' tool/project domain (blank curves) and dropped the legend.
    chart(alt.layer(steps, rules).resolve_scale(color="independent"), "km_chart")
    st.caption("Dashed lines: the SLA of each severity (config `[sla]`).")
download(curve, "survival", "dl_survival")

left, right = st.columns(2)
with left:
    st.subheader("Aging of open findings")
    if aging.empty or aging["open"].sum() == 0:
        empty("Nothing is open.")
    else:
        buckets = aging.melt(
            id_vars=[group],
            value_vars=["d0_30", "d31_60", "d61_90", "d91_180", "d180_plus"],
            var_name="bucket",
            value_name="findings",
        )
        labels = {"d0_30": "0–30", "d31_60": "31–60", "d61_90": "61–90", "d91_180": "91–180", "d180_plus": ">180"}
        buckets["age (days)"] = buckets["bucket"].map(labels)
        bars = (
            alt.Chart(buckets, title="Open findings by age")
            .mark_bar()
            .encode(
                x=alt.X("age (days):N", sort=list(labels.values()), title="Age (days)"),
                y=alt.Y("findings:Q", title="Open findings", axis=count_axis()),
                color=color,
                tooltip=[f"{group}:N", "age (days):N", "findings:Q"],
            )
        )
        chart(bars, "aging_chart")
        st.caption(f"Security debt (open > 365 days): **{int(aging['security_debt'].sum())}**")
    download(aging, "aging", "dl_aging")
with right:
    st.subheader("Reopen rate")
    rate = flow.dropna(subset=["reopen_rate"])
    if rate.empty:
        empty("No finding was closed in this window.")
    else:
        chart(
            alt.Chart(rate, title=f"Reopened / closed per {view.period}")
            .mark_bar(color="#7b1fa2")
            .encode(
                x=period_bands(view.period),
                y=alt.Y("reopen_rate:Q", title="Reopen rate", axis=alt.Axis(format="%")),
                tooltip=["period:N", "reopened:Q", "outflow:Q", alt.Tooltip("reopen_rate:Q", format=".0%")],
            ),
            "reopen_chart",
        )

st.subheader("Overdue findings")
if overdue.empty:
    empty("No open finding is past its SLA due date.")
else:
    counts = overdue["severity"].value_counts()
    st.caption(
        " · ".join(f"{sev} **{int(counts.get(sev, 0)):,}**" for sev in SEVERITY_ORDER if sev in counts)
        + " — the most severe first, then the longest overdue"
    )
    table(overdue.drop(columns=["finding_id"]), "overdue_table")
download(overdue, "overdue", "dl_overdue")
