"""Headline numbers for the Overview page: this period against the previous one."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

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


def _period_numbers(
    store: Store, filters: Filters, start: datetime, end: datetime, settings: Settings
) -> dict[str, Any]:
    """Numbers of one period [start, end); backlog numbers at its end; KM over the filter window."""
    in_period = replace(filters, since=start, until=end)
    up_to_end = replace(filters, until=end)
    mttr = remediation.mttr(store, in_period, (), None, settings).iloc[0]
    flow = remediation.flow(store, in_period, (), None, settings).iloc[0]
    sla = remediation.sla(store, in_period, (), None, settings).iloc[0]
    backlog = remediation.backlog(store, up_to_end, ("severity",), None, settings)
    km = remediation.km_summary(remediation.survival(store, up_to_end, (), None, settings))
    open_by = {str(r["severity"]): int(r["open"]) for _, r in backlog.iterrows() if isinstance(r["severity"], str)}
    from analytics import dora

    d = dora.dora_by_period(store, in_period, None, settings)
    return {
        "open_total": sum(open_by.values()),
        "open_by": open_by,
        "new": int(flow["inflow"]) - int(flow["reopened"]),
        "fixed": int(flow["fixed"]),
        "mttr_mean": _num(mttr["mean_days"]),
        "mttr_median": _num(mttr["median_days"]),
        "km": km.median_days,
        "sla": _num(sla["compliance"]),
        "overdue": int(sla["overdue_open"]),
        "deployments": int(d["deployments"].iloc[0]) if len(d) else 0,
        "lead": _num(d["lead_time_median_days"].iloc[0]) if len(d) else None,
    }


def headline(store: Store, filters: Filters, period: str = "week", settings: Settings | None = None) -> Headline:
    """The period holding the window's end (or now) against the one before it."""
    settings = settings or Settings()
    end = filters.window_end()
    start = align(end, period, settings)
    if start == end:  # the window ends exactly on a boundary: the period that just finished
        start = align(end.replace() - (next_start(start, period, settings) - start) / 2, period, settings)
    previous_start = align(start.replace() - (next_start(start, period, settings) - start) / 2, period, settings)
    cur = _period_numbers(store, filters, start, end, settings)
    prev = _period_numbers(store, filters, previous_start, start, settings)

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
