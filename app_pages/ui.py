"""Shared pieces of the dashboard: global filters (kept in the URL), the store handle, the
severity palette, chart helpers, CSV downloads and empty states.

Charts use Altair: it ships with Streamlit (no extra dependency, nothing fetched at run time),
its declarative Vega-Lite specs render client-side, and ``AppTest`` can see them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

import altair as alt
import pandas as pd
import streamlit as st

from analytics import catalog
from analytics.csvout import to_csv_bytes
from analytics.definitions import check_window, now
from analytics.filters import Filters
from core.errors import QueryError
from core.periods import align
from core.settings import Settings, load_settings
from core.severity import ORDER
from core.times import EARLIEST, LATEST, TIME_RANGE
from store.db import Store

SEVERITY_ORDER = list(ORDER)
SEVERITY_COLORS = {
    "critical": "#7b1fa2",
    "high": "#d32f2f",
    "medium": "#f57c00",
    "low": "#fbc02d",
    "info": "#90a4ae",
}
PERIODS = ("week", "month", "sprint")


@dataclass(frozen=True)
class View:
    """What every page looks at: the store, the filters, the period and the settings.
    ``data_end`` is set when the window's end was moved back to where the data ends."""

    store: Store
    filters: Filters
    period: str
    settings: Settings
    data_end: datetime | None = None


def get_store() -> Store:
    """The same database setting as the command line: ``$FINDINGS_DB`` or data/findings.duckdb."""
    return Store(os.environ.get("FINDINGS_DB") or None)


def severity_scale() -> alt.Scale:
    return alt.Scale(domain=SEVERITY_ORDER, range=[SEVERITY_COLORS[s] for s in SEVERITY_ORDER])


def _qp_list(name: str) -> list[str]:
    return [v for v in st.query_params.get_all(name) if v]


FIRST_DAY, LAST_DAY = EARLIEST.date(), LATEST.date()


def _qp_date(name: str) -> date | None:
    """A date from the URL; one that is not a date, or outside 1970–2100, is dropped with a word."""
    value = st.query_params.get(name)
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        st.sidebar.warning(f"Ignored {name}={md_escape(value)} from the address: not a date (YYYY-MM-DD).")
        return None
    if not FIRST_DAY <= day <= LAST_DAY:
        st.sidebar.warning(f"Ignored {name}={day.isoformat()} from the address: outside {TIME_RANGE}.")
        return None
    return day


def _data_end(store: Store, filters: Filters, settings: Settings) -> datetime | None:
    """Where the window should end when nobody said: now, unless the data ended before this week
    (a backfill, a project that stopped scanning) — then the end of the latest scan's day."""
    last = catalog.last_scan_at(store, filters)
    if last is None or filters.until is not None:
        return None
    if last >= align(now(), "week", settings):
        return None
    end = datetime.combine(last.date(), datetime.min.time()) + timedelta(days=1)
    return end if filters.since is None or filters.since < end else None


def sidebar(store: Store) -> View:
    """Global filters; their values live in the URL so that a view can be bookmarked."""
    settings = load_settings()
    opts = catalog.options(store)
    st.sidebar.header("Filters")

    def multi(label: str, key: str, choices: Sequence[str]) -> list[str]:
        default = [v for v in _qp_list(key) if v in choices]
        return st.sidebar.multiselect(label, list(choices), default=default, key=f"f_{key}", placeholder="all")

    projects = multi("Project", "project", opts.projects)
    branches = multi("Branch", "branch", opts.branches)
    tools = multi("Tool", "tool", opts.tools)
    severities = multi("Severity", "severity", opts.severities or SEVERITY_ORDER)
    since_default = _qp_date("since")
    until_default = _qp_date("until")
    bounds = {"min_value": FIRST_DAY, "max_value": LAST_DAY, "format": "YYYY-MM-DD"}
    since = st.sidebar.date_input("From", value=since_default, key="f_since", **bounds)
    until = st.sidebar.date_input("To (inclusive)", value=until_default, key="f_until", **bounds)
    if isinstance(since, date) and isinstance(until, date) and since > until:
        st.error(f"From {since:%Y-%m-%d} is after To {until:%Y-%m-%d}: change one of them in the sidebar.")
        st.stop()
    period_q = st.query_params.get("period", "week")
    period = st.sidebar.radio(
        "Period", PERIODS, index=PERIODS.index(period_q) if period_q in PERIODS else 0, key="f_period", horizontal=True
    )
    _write_query(projects, branches, tools, severities, since, until, period)
    filters = Filters(
        projects=tuple(projects),
        branches=tuple(branches),
        tools=tuple(tools),
        severities=tuple(severities),
        since=datetime.combine(since, datetime.min.time()) if isinstance(since, date) else None,
        until=datetime.combine(until, datetime.min.time()) + timedelta(days=1) if isinstance(until, date) else None,
    )
    st.sidebar.caption(f"Database: `{store.path or store.url}`")
    try:
        check_window(filters)
    except QueryError as e:
        st.error(f"Cannot show this window: {md_escape(e)}. Change From or To in the sidebar.")
        st.stop()
    data_end = _data_end(store, filters, settings)
    if data_end is not None:
        filters = replace(filters, until=data_end)
        st.sidebar.info(
            f"The data ends {data_end - timedelta(days=1):%Y-%m-%d}: the window ends there (set To to change it)."
        )
    return View(store, filters, period, settings, data_end)


def _write_query(
    projects: list[str],
    branches: list[str],
    tools: list[str],
    severities: list[str],
    since: object,
    until: object,
    period: str,
) -> None:
    wanted: dict[str, list[str] | str] = {}
    for key, values in (("project", projects), ("branch", branches), ("tool", tools), ("severity", severities)):
        if values:
            wanted[key] = list(values)
    if isinstance(since, date):
        wanted["since"] = since.isoformat()
    if isinstance(until, date):
        wanted["until"] = until.isoformat()
    if period != "week":
        wanted["period"] = period
    current = {
        k: (st.query_params.get_all(k) if k in ("project", "branch", "tool", "severity") else st.query_params.get(k))
        for k in st.query_params
    }
    if current != wanted:
        st.query_params.from_dict(wanted)


def download(df: pd.DataFrame, name: str, key: str) -> None:
    """A CSV download of exactly what ``python -m analytics export`` writes for these filters."""
    st.download_button(  # the CSV is made only when clicked (deferred), not on every render
        f"Download {name}.csv",
        lambda: to_csv_bytes(df),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=key,
        on_click="ignore",
    )


# Human column labels for tables (a CSV keeps the machine names).
LABELS = {
    "rule_id": "rule", "rule_name": "rule name", "cwe": "CWE", "cwes": "CWEs", "start_line": "line",
    "first_seen_at": "first seen", "last_seen_at": "last seen", "opened_at": "opened", "closed_at": "closed",
    "due_at": "SLA due", "sla_due_at": "SLA due", "days_overdue": "days overdue", "age_days": "age (days)",
    "current_opened_at": "open since", "scanned_at": "scanned", "loaded_at": "loaded", "commit_sha": "commit",
    "tool_name": "tool name", "tool_version": "tool version", "results_total": "results",
    "scanned_at_source": "scan time from", "rejected_at": "rejected", "sha256": "SHA-256",
    "fixed_mean_days": "MTTR mean (d)", "fixed_median_days": "MTTR median (d)",
    "lead_time_median_days": "lead time median (d)", "sla_breaches": "SLA breaches",
    "overdue_open": "overdue at the end", "still_open": "open at the end", "top_cwes": "top CWEs",
}  # fmt: skip
_DATES = {"first_seen_at", "last_seen_at", "due_at", "sla_due_at", "current_opened_at", "start", "end (exclusive)"}
_RATES = ("rate", "compliance", "share")


def table(df: pd.DataFrame, key: str, **kwargs: object) -> object:
    """A dataframe for reading: human labels, counts as integers, durations with one decimal,
    rates as %, dates as dates, empty cells instead of "None". Extra arguments go to st.dataframe."""
    shown = df.copy()
    config: dict[str, object] = {}
    for col in shown.columns:
        label = LABELS.get(col, col.replace("_", " "))
        kind = shown[col].dtype
        if pd.api.types.is_bool_dtype(kind):
            config[col] = st.column_config.CheckboxColumn(label)
        elif pd.api.types.is_integer_dtype(kind):
            config[col] = st.column_config.NumberColumn(label, format="%d")
        elif pd.api.types.is_float_dtype(kind):
            rate = any(word in col for word in _RATES)
            config[col] = st.column_config.NumberColumn(label, format="percent" if rate else "%.1f")
        elif pd.api.types.is_datetime64_any_dtype(kind):
            fmt = "YYYY-MM-DD" if col in _DATES else "YYYY-MM-DD HH:mm"
            config[col] = st.column_config.DatetimeColumn(label, format=fmt)
        else:
            shown[col] = shown[col].astype("object").where(shown[col].notna(), "").astype(str)
            config[col] = st.column_config.TextColumn(label)
    options: dict[str, object] = {
        "hide_index": True,
        "width": "stretch",
        "key": key,
        "column_config": config,
        "placeholder": "",  # an empty number cell is empty, not "None"
    }
    return st.dataframe(shown, **(options | kwargs))  # type: ignore[call-overload]


def download_with(make: Callable[[], pd.DataFrame], name: str, key: str) -> None:
    """A CSV download whose rows are fetched only when clicked (all of them, not the page shown)."""
    st.download_button(
        f"Download {name}.csv",
        lambda: to_csv_bytes(make()),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=key,
        on_click="ignore",
    )


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~$&])")
_MD_LIST = re.compile(r"^(\s*)(-|\d+(?=[.)]))")
_WWW = re.compile(r"(?i)(www)(?=\.)")
WORD_JOINER = "\u2060"  # invisible, and breaks what Streamlit's Markdown would turn into a link or an icon


def md_escape(text: object) -> str:
    """Text from SARIF or from a user, made inert for Streamlit's Markdown (headers, alerts):
    Markdown syntax is escaped, and an invisible word joiner goes where Streamlit would otherwise
    make a link (``www.``, ``scheme://``, ``a@b.c`` — escaping does not stop its autolinks) or an
    icon, emoji or colour (``:material/x:``, ``:smile:``, ``:red[…]`` — nor those). Shown, the text
    is unchanged."""
    out = _MD_SPECIAL.sub(r"\\\1", str(text)).replace("\r", " ").replace("\n", " ")
    out = _MD_LIST.sub(lambda m: f"{m.group(1)}\\-" if m.group(2) == "-" else f"{m.group(0)}\\", out)  # no list
    out = _WWW.sub(lambda m: m.group(1) + WORD_JOINER, out)
    return out.replace(":", ":" + WORD_JOINER).replace("@", WORD_JOINER + "@")


def empty(message: str = "Nothing matches these filters.") -> None:
    st.info(message)


def number(value: float | None, unit: str = "", digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "—"
    return f"{value:,.{digits}f}{unit}"


def percent(value: float | None) -> str:
    return "—" if value is None or pd.isna(value) else f"{100 * value:.0f}%"


TICKS = {"day": ("day", 1), "week": ("week", 1), "month": ("month", 1), "quarter": ("month", 3), "sprint": ("week", 2)}
TIME_FORMAT = {"day": "%d %b", "week": "%d %b", "month": "%b %Y", "quarter": "%b %Y", "sprint": "%d %b"}


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
        from app_pages.loading import load_demo_history

        bar = st.progress(0.0, text="Generating and loading…")

        def show(n: int, total: int, _: str) -> None:  # ~7,600 files: redraw once per percent
            if n == total or (100 * n) // total != (100 * (n - 1)) // total:
                bar.progress(n / total, text=f"Loading {n:,}/{total:,} files")

        report = load_demo_history(store, show)
        st.success(f"Loaded {report.totals()['scans']:,} scans.")
        st.rerun()
    if st.button("Load the small sample history instead", key="load_samples"):
        from app_pages.loading import load_samples

        with st.spinner("Loading…"):
            load_samples(store)
        st.rerun()
    st.caption("Scans can also be uploaded on the Scans page once something is loaded.")
    return True
