"""Headline numbers for the Overview page: a span against the same span of the period before.

Like is compared with like. Without an explicit window end the headline shows the last *complete*
period (this week is not over yet) against the one before; with ``to_date`` it shows the current
period so far against the same stretch of the previous period (Monday–Wednesday against
Monday–Wednesday). A window that ends inside a period shows that period up to the window's end,
against the same stretch of the period before; a window that starts inside it cuts both alike.
Every MTTR, percentage and median comes with the count behind it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from analytics import dora, remediation, survival
from analytics.definitions import (
    CALENDAR_CTE,
    FIRST_SCAN_CTE,
    at_first_scan,
    check_window,
    episodes_cte,
    fixed_in,
    now,
    open_at,
    opened_in,
    overdue_at,
    reopened,
    run,
    window,
    within_sla,
)
from analytics.filters import Filters
from core.periods import align, next_start, period_label
from core.settings import Settings
from core.severity import ORDER
from store.db import Store


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
class Span:
    """[start, end) inside the period that starts at ``period_start``; ``whole`` when it is all of it."""

    start: datetime
    end: datetime
    period_start: datetime
    label: str
    whole: bool

    @property
    def days(self) -> float:
        return (self.end - self.start) / timedelta(days=1)


@dataclass(frozen=True)
class Headline:
    period: str
    current: Span
    previous: Span
    open_total: Delta
    open_by_severity: dict[str, Delta]  # every severity, 0 included, critical first
    new: Delta  # opened for the first time, not found by its stream's first scan
    first_scan: Delta  # found by a stream's first scan: a backlog found, not new work
    fixed: Delta  # also the count behind the MTTR
    mttr_mean_days: Delta
    mttr_median_days: Delta
    km_median_days: Delta
    km_episodes: Delta  # the episodes behind the KM half-life
    sla_compliance: Delta
    sla_fixed_with_sla: Delta  # the count behind SLA compliance
    overdue_open: Delta
    deployments: Delta
    lead_time_median_days: Delta
    lead_time_commits: Delta  # the count behind the lead time


def _num(value: Any) -> float | None:
    if value is None:
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


# ------------------------------------------------------------------------------------ the spans
def _label(period: str, period_start: datetime, start: datetime, end: datetime, settings: Settings) -> tuple[str, bool]:
    name = period_label(period, period_start, settings)
    if start >= end:
        return f"{name} (none of it in the window)", False
    whole = start == period_start and end == next_start(period_start, period, settings)
    if whole:
        return name, True
    if end - start < timedelta(days=1):
        return f"{name}, {start:%d %b %H:%M} – {end:%H:%M}", False
    last = end - timedelta(seconds=1)
    return f"{name}, {start:%d %b} – {last:%d %b}", False


def spans(filters: Filters, period: str, settings: Settings, *, to_date: bool = False) -> tuple[Span, Span]:
    """(current, previous): see the module's docstring."""
    check_window(filters)
    end = filters.until or now()
    if filters.until is None and not to_date:
        end = align(end, period, settings)  # the last complete period
    period_start = align(end - timedelta(microseconds=1), period, settings)
    start = min(max(period_start, filters.since or period_start), end)  # a future window: empty
    prev_start = align(period_start - timedelta(microseconds=1), period, settings)
    whole = start == period_start and end == next_start(period_start, period, settings)
    prev_to = period_start if whole else min(prev_start + (end - period_start), period_start)
    prev_from = min(prev_start + (start - period_start), prev_to)
    cur_label, cur_whole = _label(period, period_start, start, end, settings)
    prev_label, prev_whole = _label(period, prev_start, prev_from, prev_to, settings)
    return (
        Span(start, end, period_start, cur_label, cur_whole),
        Span(prev_from, prev_to, prev_start, prev_label, prev_whole),
    )


# ----------------------------------------------------------------------------------- the numbers
# Both spans in one pass over the episodes; each count is the one ``analytics.definitions`` defines
# (opened in the span; fixed in it; fixed within SLA; open and overdue at its end).
SPANS_SQL = f"""
WITH {{cte}}, {CALENDAR_CTE}, {FIRST_SCAN_CTE},
e AS (
    SELECT cal.period, ep.severity, {reopened("ep")} AS reopened, ep.resumed, ep.days,
           {at_first_scan("ep", "fs")} AS at_first_scan,
           {opened_in("ep", "cal.span_start", "cal.span_end")} AS opened_in,
           {fixed_in("ep", "cal.span_start", "cal.span_end")} AS fixed_in,
           {open_at("ep", "cal.span_end")} AS open_at_end,
           {overdue_at("ep", "cal.span_end")} AS overdue_at_end,
           {within_sla("ep")} AS within_sla,
           ep.due_at IS NOT NULL AS has_sla
    FROM cal CROSS JOIN ep JOIN first_scan fs USING (stream_id)
)
SELECT period, severity, grouping(severity) = 1 AS all_severities,
       count(*) FILTER (WHERE open_at_end) AS open,
       count(*) FILTER (WHERE opened_in) AS inflow,
       count(*) FILTER (WHERE opened_in AND reopened) AS reopened,
       count(*) FILTER (WHERE opened_in AND resumed) AS resumed,
       count(*) FILTER (WHERE opened_in AND at_first_scan) AS first_scan,
       count(*) FILTER (WHERE fixed_in) AS fixed,
       avg(days) FILTER (WHERE fixed_in) AS mean_days,
       median(days) FILTER (WHERE fixed_in) AS median_days,
       count(*) FILTER (WHERE fixed_in AND has_sla) AS closed_with_sla,
       count(*) FILTER (WHERE fixed_in AND within_sla) AS closed_within_sla,
       count(*) FILTER (WHERE overdue_at_end) AS overdue_open
FROM e
GROUP BY GROUPING SETS ((period), (period, severity))
"""

_NOTHING: dict[str, Any] = {
    "inflow": 0, "reopened": 0, "resumed": 0, "first_scan": 0, "fixed": 0, "mean_days": None, "median_days": None,
    "closed_with_sla": 0, "closed_within_sla": 0, "overdue_open": 0, "open": 0,
}  # fmt: skip


def _calendar(spans_: list[Span]) -> dict[str, Any]:
    return {
        "cal_start": [s.start for s in spans_],
        "cal_from": [s.start for s in spans_],
        "cal_end": [s.end for s in spans_],
        "cal_label": [str(i) for i in range(len(spans_))],
    }


def _remediation_numbers(
    store: Store, filters: Filters, spans_: list[Span], settings: Settings
) -> list[dict[str, Any]]:
    cte, params = episodes_cte(filters, settings)
    rows = run(store, SPANS_SQL.format(cte=cte), params | _calendar(spans_))
    out = []
    for i in range(len(spans_)):
        mine = rows[rows["period"] == str(i)]
        total = mine[mine["all_severities"]]
        t = total.iloc[0].to_dict() if len(total) else _NOTHING
        by_sev = {str(r.severity): int(r.open) for r in mine[~mine["all_severities"]].itertuples()}
        with_sla, within = int(t["closed_with_sla"]), int(t["closed_within_sla"])
        out.append(
            {
                "open_by": {s: by_sev.get(s, 0) for s in ORDER},
                "open_total": int(t["open"]),
                "new": int(t["inflow"]) - int(t["reopened"]) - int(t["resumed"]) - int(t["first_scan"]),
                "first_scan": int(t["first_scan"]),
                "fixed": int(t["fixed"]),
                "mttr_mean": _num(t["mean_days"]),
                "mttr_median": _num(t["median_days"]),
                "sla": within / with_sla if with_sla > 0 else None,
                "sla_n": with_sla,
                "overdue": int(t["overdue_open"]),
            }
        )
    return out


def _km(store: Store, filters: Filters, spans_: list[Span], settings: Settings) -> list[tuple[float | None, int]]:
    """The Kaplan–Meier half-life known at each span's end (``survival.survival`` for the window
    up to that end: episodes opened from the window's start, censored at the end), and its n."""
    last = max(s.end for s in spans_)
    if filters.since is not None and filters.since >= last:
        return [(None, 0) for _ in spans_]
    w = window(store, replace(filters, until=last), settings)
    cte, params = episodes_cte(filters, settings)
    params |= _calendar(spans_) | {"since": w.since}
    sql = survival.km_sql(cte, "", (), opened_in("ep", "$since", "cal.span_end"), "cal.span_end")
    curves = run(store, sql, params)
    out = []
    for i in range(len(spans_)):
        km = survival.km_summary(curves[curves["period"] == str(i)])
        out.append((km.median_days, km.episodes))
    return out


def _dora(store: Store, filters: Filters, spans_: list[Span], settings: Settings) -> list[dict[str, Any]]:
    out = []
    for s in spans_:
        d = dora.dora_by_period(store, replace(filters, since=s.start, until=s.end), None, settings)
        r = d.iloc[0] if len(d) else None
        out.append(
            {
                "deployments": int(r["deployments"]) if r is not None else 0,
                "lead": _num(r["lead_time_median_days"]) if r is not None else None,
                "lead_n": int(r["lead_time_commits"]) if r is not None else 0,
            }
        )
    return out


def headline(
    store: Store, filters: Filters, period: str = "week", settings: Settings | None = None, *, to_date: bool = False
) -> Headline:
    """The headline numbers of the current span against the previous one (module docstring)."""
    settings = settings or Settings()
    cur, prev = spans(filters, period, settings, to_date=to_date)
    pair = [prev, cur]
    rem = _remediation_numbers(store, filters, pair, settings)
    km = _km(store, filters, pair, settings)
    dev = _dora(store, filters, pair, settings)
    p, c = (rem[i] | dev[i] | {"km": km[i][0], "km_n": km[i][1]} for i in (0, 1))

    def d(key: str) -> Delta:
        return Delta(c[key], p[key])

    return Headline(
        period=period,
        current=cur,
        previous=prev,
        open_total=d("open_total"),
        open_by_severity={s: Delta(c["open_by"][s], p["open_by"][s]) for s in ORDER},
        new=d("new"),
        first_scan=d("first_scan"),
        fixed=d("fixed"),
        mttr_mean_days=d("mttr_mean"),
        mttr_median_days=d("mttr_median"),
        km_median_days=d("km"),
        km_episodes=d("km_n"),
        sla_compliance=d("sla"),
        sla_fixed_with_sla=d("sla_n"),
        overdue_open=d("overdue"),
        deployments=d("deployments"),
        lead_time_median_days=d("lead"),
        lead_time_commits=d("lead_n"),
    )


# ------------------------------------------------------------------------------------ per team
TEAM_COLUMNS = [
    "team", "open", "overdue", "mttr_mean_days", "mttr_n", "sla_compliance", "sla_n", "km_median_days", "km_n",
]  # fmt: skip


def team_table(store: Store, filters: Filters, settings: Settings | None = None) -> pd.DataFrame:
    """One row per owning team (``unowned`` included) over the window: open and overdue at its end;
    MTTR of the episodes fixed in it and their number; SLA compliance of those with an SLA and
    their number; the Kaplan–Meier half-life of the episodes opened in it and their number. The
    same functions as the ``mttr``, ``sla`` and ``survival`` exports grouped by team."""
    settings = settings or Settings()
    by = ("team",)
    mttr = remediation.mttr(store, filters, by, None, settings)
    sla = remediation.sla(store, filters, by, None, settings)
    curve = survival.survival(store, filters, by, None, settings)
    km_n = curve.groupby("team")["at_risk"].max().rename("km_n").reset_index() if len(curve) else None
    out = mttr.merge(sla, on="team", how="outer")
    out = out.merge(km_n, on="team", how="left") if km_n is not None else out.assign(km_n=0)
    out = out.rename(
        columns={
            "overdue_open": "overdue", "mean_days": "mttr_mean_days", "closed": "mttr_n",
            "compliance": "sla_compliance", "closed_with_sla": "sla_n",
        }
    )  # fmt: skip
    for col in ("open", "overdue", "mttr_n", "sla_n", "km_n"):
        out[col] = out[col].fillna(0).astype("int64")
    return out.reindex(columns=TEAM_COLUMNS).sort_values("team", kind="stable").reset_index(drop=True)
