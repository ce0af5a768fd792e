"""Chart helpers: the severity palette and the axes every page's charts share.

Charts use Altair: it ships with Streamlit (no extra dependency, nothing fetched at run time),
its declarative Vega-Lite specs render client-side, and ``AppTest`` can see them.
"""

from __future__ import annotations

import altair as alt
import streamlit as st

from core.severity import ORDER

SEVERITY_ORDER = list(ORDER)
SEVERITY_COLORS = {
    "critical": "#7b1fa2",
    "high": "#d32f2f",
    "medium": "#f57c00",
    "low": "#fbc02d",
    "info": "#90a4ae",
}
TICKS = {"day": ("day", 1), "week": ("week", 1), "month": ("month", 1), "quarter": ("month", 3), "sprint": ("week", 2)}
TIME_FORMAT = {"day": "%d %b", "week": "%d %b", "month": "%b %Y", "quarter": "%b %Y", "sprint": "%d %b"}


def severity_scale() -> alt.Scale:
    return alt.Scale(domain=SEVERITY_ORDER, range=[SEVERITY_COLORS[s] for s in SEVERITY_ORDER])


def period_axis(period: str, field: str = "period_start") -> alt.X:
    """A time axis labelled for the period (weeks and sprints by their start date)."""
    interval, step = TICKS.get(period, ("day", 1))
    return alt.X(
        f"{field}:T",
        title=f"{period.capitalize()} (start)",
        axis=alt.Axis(
            format=TIME_FORMAT.get(period, "%d %b %Y"),
            labelAngle=0,
            tickCount=alt.TickCount(interval=interval, step=step),
        ),
    )


def count_axis(**kwargs: object) -> alt.Axis:
    """An axis of counts: whole numbers only (never "0.1 findings")."""
    return alt.Axis(format="d", tickMinStep=1, **kwargs)


def period_bands(period: str, field: str = "period") -> alt.X:
    """An ordinal axis of period labels, in time order (for bars)."""
    return alt.X(f"{field}:O", title=period.capitalize(), sort=None, axis=alt.Axis(labelAngle=-45))


def chart(spec: alt.Chart | alt.LayerChart, key: str) -> None:
    st.altair_chart(spec, width="stretch", key=key)
