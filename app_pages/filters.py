"""The global filters every page shares: the sidebar, kept in the URL so that a view can be
bookmarked, and the ``View`` it makes (store, filters, period, settings). When nobody set an end
and the data stopped before this week, the window ends where the data ends."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path

import streamlit as st

from analytics import catalog
from analytics import decisions as decision_reads
from analytics.definitions import check_window, now
from analytics.filters import Filters
from app_pages.text import md_escape
from core.errors import QueryError
from core.periods import align
from core.settings import Settings, load_settings
from core.severity import ORDER
from core.times import EARLIEST, LATEST, TIME_RANGE
from store.db import Store

PERIODS = ("week", "month", "sprint")
PAGE_KEYS = ("finding",)  # URL parameters a page reads (Findings: ?finding=ID)
FIRST_DAY, LAST_DAY = EARLIEST.date(), LATEST.date()


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


def _qp_list(name: str) -> list[str]:
    return [v for v in st.query_params.get_all(name) if v]


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
    decided = decision_reads.last_decided_at(store)
    if last is not None and decided is not None:
        last = max(last, decided)  # a risk decision is data too: the window reaches it
    if last is None or filters.until is not None:
        return None
    if last >= align(now(), "week", settings):
        return None
    end = datetime.combine(last.date(), datetime.min.time()) + timedelta(days=1)
    return end if filters.since is None or filters.since < end else None


def _shown_path(store: Store) -> str:
    """The database as the user named it: relative to the working directory when inside it."""
    if store.path is None:
        return store.where
    try:
        return str(store.path.relative_to(Path.cwd()))
    except ValueError:
        return str(store.path)


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
    severities = multi("Severity", "severity", opts.severities or list(ORDER))
    team_choices = catalog.teams(store, settings)
    teams = multi("Team", "team", team_choices) if len(team_choices) > 1 else []
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
    show_decided = st.sidebar.toggle(
        "Show decided findings",
        value=st.query_params.get("decided") == "1",
        key="f_decided",
        help="Count findings under a risk decision (accepted, false positive, won't fix) as if undecided.",
    )
    _write_query(projects, branches, tools, severities, since, until, period, teams=teams, show_decided=show_decided)
    filters = Filters(
        projects=tuple(projects),
        branches=tuple(branches),
        tools=tuple(tools),
        severities=tuple(severities),
        teams=tuple(teams),
        since=datetime.combine(since, datetime.min.time()) if isinstance(since, date) else None,
        until=datetime.combine(until, datetime.min.time()) + timedelta(days=1) if isinstance(until, date) else None,
        show_decided=show_decided,
    )
    st.sidebar.caption(f"Database: `{_shown_path(store)}`")
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
    teams: Sequence[str] = (),
    show_decided: bool = False,
) -> None:
    wanted: dict[str, list[str] | str] = {}
    lists = (("project", projects), ("branch", branches), ("tool", tools), ("severity", severities), ("team", teams))
    for key, values in lists:
        if values:
            wanted[key] = list(values)
    if isinstance(since, date):
        wanted["since"] = since.isoformat()
    if isinstance(until, date):
        wanted["until"] = until.isoformat()
    if period != "week":
        wanted["period"] = period
    if show_decided:
        wanted["decided"] = "1"
    for page_key in PAGE_KEYS:  # a page's own parameter stays
        if st.query_params.get(page_key):
            wanted[page_key] = st.query_params[page_key]
    current = {
        k: (st.query_params.get_all(k) if k in {n for n, _ in lists} else st.query_params.get(k))
        for k in st.query_params
    }
    if current != wanted:
        st.query_params.from_dict(wanted)
