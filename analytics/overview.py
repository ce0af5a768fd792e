"""Headline numbers for the Overview page: this period against the previous one."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import pandas as pd

from analytics import remediation
from analytics.calendar import align, next_start
from analytics.filters import Filters
from analytics.periods import period_label
from ingest.models import Severity
from store.db import Store
from store.settings import Settings


@dataclass(frozen=True)
class Delta:
    current: float | None
    previous: float | None

    @property
    def change(self) -> float | None:
        if self.current is None or self.previous is None:
            return None
        return self.current - self.previous


@dataclass(frozen=True)
class Headline:
    period: str
    label: str
    previous_label: str
    start: datetime
    end: datetime
    previous_start: datetime
    open_total: Delta
    open_by_severity: dict[str, Delta]
    new: Delta
    fixed: Delta
    mttr_mean_days: Delta
    mttr_median_days: Delta
    km_median_days: Delta
    sla_compliance: Delta
    overdue_open: Delta
    deployments: Delta
    lead_time_median_days: Delta


def _num(value: Any) -> float | None:
    if value is None:
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


# Both periods in one pass over the episodes (the per-period metric functions took nine scans of
# the episodes × findings join per period). Each count is the one ``remediation`` defines: flow
# (opened / fixed in the period), MTTR (fixed episodes closed in it), SLA (closed within their due
# date; open past it at the period's end) and the backlog by severity at the period's end.
PERIODS_SQL = """
WITH {cte},
per AS (SELECT unnest($period_starts) AS period_start, unnest($period_ends) AS period_end),
e AS (
    SELECT per.period_start, ep.severity, ep.seq, ep.days, ep.closed_at, ep.due_at,
           ep.opened_at >= per.period_start AND ep.opened_at < per.period_end AS opened_in,
           ep.status = 'fixed' AND ep.closed_at >= per.period_start AND ep.closed_at < per.period_end AS fixed_in,
           ep.opened_at < per.period_end AND (ep.closed_at IS NULL OR ep.closed_at >= per.period_end) AS open_at_end,
           ep.due_at < per.period_end AS due_by_end
    FROM per CROSS JOIN ep
)
SELECT period_start, severity, grouping(severity) = 1 AS all_severities,
       count(*) FILTER (WHERE open_at_end) AS open,
       count(*) FILTER (WHERE opened_in) AS inflow,
       count(*) FILTER (WHERE opened_in AND seq > 1) AS reopened,
       count(*) FILTER (WHERE fixed_in) AS fixed,
       avg(days) FILTER (WHERE fixed_in) AS mean_days,
       median(days) FILTER (WHERE fixed_in) AS median_days,
       count(*) FILTER (WHERE fixed_in AND due_at IS NOT NULL) AS closed_with_sla,
       count(*) FILTER (WHERE fixed_in AND closed_at <= due_at) AS closed_within_sla,
       count(*) FILTER (WHERE open_at_end AND due_by_end) AS overdue_open
FROM e
GROUP BY GROUPING SETS ((period_start), (period_start, severity))
"""


@dataclass(frozen=True)
class _Period:
    start: datetime
    end: datetime


# A period without a row: the selection has no episodes at all.
_NO_EPISODES: dict[str, Any] = {
    "inflow": 0, "reopened": 0, "fixed": 0, "mean_days": None, "median_days": None,
    "closed_with_sla": 0, "closed_within_sla": 0, "overdue_open": 0,
}  # fmt: skip


def _remediation_numbers(
    store: Store, filters: Filters, periods: list[_Period], settings: Settings
) -> dict[datetime, dict[str, Any]]:
    """Per period start: new, fixed, MTTR mean/median, SLA compliance, overdue and open backlog."""
    cte, params = remediation._base(filters, settings)
    params |= {"period_starts": [p.start for p in periods], "period_ends": [p.end for p in periods]}
    rows = remediation._run(store, PERIODS_SQL.format(cte=cte), params)
    out: dict[datetime, dict[str, Any]] = {}
    for p in periods:
        mine = rows[rows["period_start"] == pd.Timestamp(p.start)]
        total = mine[mine["all_severities"]]
        t = total.iloc[0].to_dict() if len(total) else _NO_EPISODES
        by_severity = mine[~mine["all_severities"] & (mine["open"] > 0)]
        with_sla, within_sla = int(t["closed_with_sla"]), int(t["closed_within_sla"])
        out[p.start] = {
            "open_by": {str(r.severity): int(r.open) for r in by_severity.itertuples() if isinstance(r.severity, str)},
            "new": int(t["inflow"]) - int(t["reopened"]),
            "fixed": int(t["fixed"]),
            "mttr_mean": _num(t["mean_days"]),
            "mttr_median": _num(t["median_days"]),
            "sla": within_sla / with_sla if with_sla > 0 else None,
            "overdue": int(t["overdue_open"]),
        }
    return out


def _km_medians(
    store: Store, filters: Filters, periods: list[_Period], settings: Settings
) -> dict[datetime, float | None]:
    """The Kaplan–Meier half-life at each period's end, as ``remediation.survival`` computes it for
    the filters up to that end (episodes opened in the window, censored at the end): one curve per
    period from one statement. The window starts at ``filters.since``, else at the selection's first
    opening, for every end alike (where that start is after a period's end, both select nothing)."""
    last = max(p.end for p in periods)
    w = remediation.window(store, replace(filters, until=last), settings)
    cte, params = remediation._base(filters, settings)
    params |= {
        "since": w.since,
        "until": last,
        "cal_start": [p.start for p in periods],
        "cal_end": [p.end for p in periods],
        "cal_label": [str(i) for i, _ in enumerate(periods)],
    }
    sql = remediation.KM_SQL.format(
        cte=cte,
        cal=remediation.CALENDAR_CTE,
        select="",
        period_cols="cal.period_start, cal.period, ",
        join="JOIN cal ON ep.opened_at < cal.period_end",
        censor="cal.period_end",
        part="period_start, period",
        part_sel="period_start, period, ",
    )
    curves = remediation._run(store, sql, params)
    return {
        p.start: remediation.km_summary(curves[curves["period_start"] == pd.Timestamp(p.start)]).median_days
        for p in periods
    }


def _dora_numbers(
    store: Store, filters: Filters, period: str, periods: list[_Period], settings: Settings
) -> dict[datetime, dict[str, Any]]:
    """Deployments and the median lead time per period: one ``dora_by_period`` over the periods
    (they are consecutive periods of ``period``), instead of one call per period."""
    from analytics import dora

    window = replace(filters, since=min(p.start for p in periods), until=max(p.end for p in periods))
    d = dora.dora_by_period(store, window, period, settings)
    found = {pd.Timestamp(r.period_start).to_pydatetime(): r for r in d.itertuples()}
    out: dict[datetime, dict[str, Any]] = {}
    for p in periods:
        r = found.get(p.start)
        out[p.start] = {
            "deployments": int(r.deployments) if r is not None else 0,
            "lead": _num(r.lead_time_median_days) if r is not None else None,
        }
    return out


def _period_numbers(
    store: Store, filters: Filters, period: str, periods: list[_Period], settings: Settings
) -> dict[datetime, dict[str, Any]]:
    """Numbers of each period [start, end); backlog numbers at its end; KM over the filter window."""
    rem = _remediation_numbers(store, filters, periods, settings)
    km = _km_medians(store, filters, periods, settings)
    dev = _dora_numbers(store, filters, period, periods, settings)
    out = {}
    for p in periods:
        numbers = rem[p.start] | dev[p.start]
        out[p.start] = {**numbers, "open_total": sum(numbers["open_by"].values()), "km": km[p.start]}
    return out


def headline(store: Store, filters: Filters, period: str = "week", settings: Settings | None = None) -> Headline:
    """The period holding the window's end (or now) against the one before it."""
    settings = settings or Settings()
    end = filters.window_end()
    start = align(end, period, settings)
    if start == end:  # the window ends exactly on a boundary: the period that just finished
        start = align(end.replace() - (next_start(start, period, settings) - start) / 2, period, settings)
    previous_start = align(start.replace() - (next_start(start, period, settings) - start) / 2, period, settings)
    numbers = _period_numbers(store, filters, period, [_Period(previous_start, start), _Period(start, end)], settings)
    cur, prev = numbers[start], numbers[previous_start]

    def d(key: str) -> Delta:
        return Delta(cur[key], prev[key])

    severities = [s.value for s in Severity if s.value in cur["open_by"] or s.value in prev["open_by"]]
    return Headline(
        period=period,
        label=period_label(period, start, settings),
        previous_label=period_label(period, previous_start, settings),
        start=start,
        end=end,
        previous_start=previous_start,
        open_total=d("open_total"),
        open_by_severity={s: Delta(cur["open_by"].get(s, 0), prev["open_by"].get(s, 0)) for s in severities},
        new=d("new"),
        fixed=d("fixed"),
        mttr_mean_days=d("mttr_mean"),
        mttr_median_days=d("mttr_median"),
        km_median_days=d("km"),
        sla_compliance=d("sla"),
        overdue_open=d("overdue"),
        deployments=d("deployments"),
        lead_time_median_days=d("lead"),
    )
