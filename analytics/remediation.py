"""Remediation metrics (docs/definitions.md §6), computed in DuckDB over episodes joined to their findings.

Every function takes plain filter values (``Filters``), optional grouping columns and period, and
returns a pandas DataFrame whose columns are the CSV export's columns. Durations are fractional
days. Which episodes each number counts is said once, in ``analytics.definitions``: the window is
[since, until), and a period cut by the window counts only its part inside it. Without a period a
metric is computed over the window as one span.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from analytics import survival
from analytics.definitions import (
    CALENDAR_CTE,
    DECISION_KINDS,
    FIRST_SCAN_CTE,
    PERIOD_KEYS,
    at_first_scan,
    closed_in,
    days,
    decided_in,
    episodes_cte,
    fixed_in,
    group_select,
    open_at,
    opened_in,
    overdue_at,
    rank_sql,
    reopened,
    reopened_in,
    run,
    span_params,
    suppressed_in,
    within_sla,
)
from analytics.filters import Filters
from analytics.frames import run_wide
from analytics.teams import team_sql
from core.settings import Settings
from store.db import Store

AGE_BUCKETS = (("d0_30", 30), ("d31_60", 60), ("d61_90", 90), ("d91_180", 180), ("d180_plus", None))
DEBT_DAYS = 365


def _complete(df: pd.DataFrame, params: dict[str, Any], names: list[str], counts: Sequence[str]) -> pd.DataFrame:
    """Every span appears (for grouped output: for each group that appears in any span), with zero
    counts where nothing happened; an empty window gives no rows but keeps the columns."""
    cal = pd.DataFrame(
        {
            "period_start": pd.to_datetime(pd.Series(params["cal_start"], dtype="datetime64[us]")),
            "period": params["cal_label"],
        }
    )
    if names:
        cal = (
            df[names].drop_duplicates().merge(cal, how="cross")
            if len(df)
            else cal.iloc[0:0].assign(**{n: [] for n in names})
        )
    if len(df):
        df = df.astype({"period_start": "datetime64[us]"})
        out = cal.merge(df, on=[*names, *PERIOD_KEYS], how="left")
    else:
        out = cal.reindex(columns=[*cal.columns, *(c for c in df.columns if c not in cal.columns)])
    for col in counts:
        out[col] = out[col].fillna(0).astype("int64") if col in out else pd.Series(0, index=out.index, dtype="int64")
    return out


def _outer(left: pd.DataFrame, right: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Outer join on the group and span keys (span starts compared as one dtype)."""
    left, right = (df.astype({"period_start": "datetime64[us]"}) for df in (left, right))
    return left.merge(right, on=keys, how="outer")


def _finish(df: pd.DataFrame, period: str | None, cols: list[str], sort: list[str]) -> pd.DataFrame:
    """Column order, row order; without a period the span columns go."""
    if not period:
        cols = [c for c in cols if c not in PERIOD_KEYS]
        sort = [c for c in sort if c not in PERIOD_KEYS]
    return df.reindex(columns=cols).sort_values(sort or cols[:1], kind="stable").reset_index(drop=True)


# ------------------------------------------------------------------------------------------ MTTR
MTTR_SQL = f"""
WITH {{cte}}, {CALENDAR_CTE}
SELECT {{select}} cal.period_start, cal.period,
       count(*) AS closed,
       avg(ep.days) AS mean_days,
       median(ep.days) AS median_days,
       quantile_cont(ep.days, 0.9) AS p90_days
FROM cal JOIN ep ON {fixed_in("ep", "cal.span_start", "cal.span_end")}
GROUP BY ALL
"""

# Episodes a risk decision ended in each span, by kind (not fixed: never in the MTTR).
_DECIDED_COUNTS = ",\n".join(
    f"count(*) FILTER (WHERE {decided_in('ep', k, 'cal.span_start', 'cal.span_end')}) AS {k}" for k in DECISION_KINDS
)
DECIDED_SQL = f"""
WITH {{cte}}, {CALENDAR_CTE}
SELECT {{select}} cal.period_start, cal.period,
{_DECIDED_COUNTS}
FROM cal JOIN ep ON {closed_in("ep", "cal.span_start", "cal.span_end")} AND ep.status IN {DECISION_KINDS}
GROUP BY ALL
"""

OPEN_AT_END_SQL = f"""
WITH {{cte}}, {CALENDAR_CTE}
SELECT {{select}} cal.period_start, cal.period, count(*) AS open
FROM cal JOIN ep ON {open_at("ep", "cal.span_end")}
GROUP BY ALL
"""


def mttr(
    store: Store,
    filters: Filters,
    by: Sequence[str] = (),
    period: str | None = None,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """MTTR over the episodes fixed in each span, with median, p90 and count; the Kaplan–Meier
    median of the episodes opened in it; and the episodes open at its end.

    ``accepted``, ``false_positive``, ``wont_fix``: episodes a risk decision took out of the
    backlog in the span (``analytics.definitions``), beside ``closed`` and never in it.

    Columns: grouping columns [, period_start, period], closed, mean_days, median_days, p90_days,
    km_median_days, open, accepted, false_positive, wont_fix.
    """
    settings = settings or Settings()
    names, select = group_select(by)
    cte, _ = episodes_cte(filters, settings)
    params = span_params(store, filters, period, settings)
    closed = run(store, MTTR_SQL.format(cte=cte, select=select), params)
    open_now = run(store, OPEN_AT_END_SQL.format(cte=cte, select=select), params)
    decided = run(store, DECIDED_SQL.format(cte=cte, select=select), params)
    keys = [*names, *PERIOD_KEYS]
    km = survival.km_medians(store, filters, by, period, settings, keep_period=True)
    joined = _outer(_outer(_outer(closed, open_now, keys), km, keys), decided, keys)
    out = _complete(joined, params, names, ("closed", "open", *DECISION_KINDS))
    cols = [*keys, "closed", "mean_days", "median_days", "p90_days", "km_median_days", "open", *DECISION_KINDS]
    return _finish(out, period, cols, keys)


# ------------------------------------------------------------------------------ backlog and flow
BACKLOG_SQL = f"""
WITH {{cte}}, {CALENDAR_CTE}
SELECT cal.period_start, cal.period, {{select}} count(*) AS open
FROM cal JOIN ep ON {open_at("ep", "cal.span_end")}
GROUP BY ALL
"""


def backlog(
    store: Store,
    filters: Filters,
    by: Sequence[str] = ("severity",),
    period: str | None = "week",
    settings: Settings | None = None,
) -> pd.DataFrame:
    """Open backlog at the end of each span: episodes open at that time.

    Columns: period_start, period, at, grouping columns, open. Without a period: one row (per
    group) at the window's end.
    """
    settings = settings or Settings()
    names, select = group_select(by)
    cte, _ = episodes_cte(filters, settings)
    params = span_params(store, filters, period, settings)
    df = run(store, BACKLOG_SQL.format(cte=cte, select=select), params)
    df = _complete(df, params, names, ("open",))
    ends = dict(zip(params["cal_label"], params["cal_end"], strict=True))
    df["at"] = pd.to_datetime(pd.Series([ends.get(p) for p in df["period"]], dtype="datetime64[us]"))
    cols = ["period_start", "period", "at", *names, "open"]
    df = df.reindex(columns=cols).sort_values(["period_start", *names], kind="stable").reset_index(drop=True)
    return df


FLOW_SQL = f"""
WITH {{cte}}, {CALENDAR_CTE}, {FIRST_SCAN_CTE},
opened AS (
    SELECT cal.period_start, cal.period, {{select}}
           count(*) AS inflow, count(*) FILTER (WHERE {reopened("ep")}) AS reopened,
           count(*) FILTER (WHERE {at_first_scan("ep", "fs")}) AS first_scan
    FROM cal JOIN ep ON {opened_in("ep", "cal.span_start", "cal.span_end")}
    JOIN first_scan fs USING (stream_id)
    GROUP BY ALL
),
closed AS (
    SELECT cal.period_start, cal.period, {{select}}
           count(*) AS outflow,
           count(*) FILTER (WHERE ep.status = 'fixed') AS fixed,
           count(*) FILTER (WHERE ep.status = 'suppressed') AS suppressed,
           {", ".join(f"count(*) FILTER (WHERE ep.status = '{k}') AS {k}" for k in DECISION_KINDS)}
    FROM cal JOIN ep ON {closed_in("ep", "cal.span_start", "cal.span_end")}
    GROUP BY ALL
)
SELECT * FROM opened FULL OUTER JOIN closed USING (period_start, period {{using}})
"""


def flow(
    store: Store,
    filters: Filters,
    by: Sequence[str] = (),
    period: str | None = "week",
    settings: Settings | None = None,
) -> pd.DataFrame:
    """Inflow (episodes opened, and parts resumed when a risk decision ended), outflow (episodes
    closed: fixed + suppressed + taken out by a decision: accepted, false_positive, wont_fix), net
    and reopen rate
    (reopened episodes opened in the span / episodes closed in it) per span. ``first_scan`` counts
    the part of the inflow found by its stream's first scan: already there before anyone looked,
    so not new work of the period (part of ``inflow`` all the same).

    Columns: period_start, period, grouping columns, inflow, first_scan, outflow, net, fixed,
    suppressed, accepted, false_positive, wont_fix, reopened, reopen_rate (without a period: one
    span, the window, labelled "window").
    """
    settings = settings or Settings()
    names, select = group_select(by)
    cte, _ = episodes_cte(filters, settings)
    params = span_params(store, filters, period, settings)
    using = "".join(f", {n}" for n in names)
    df = run(store, FLOW_SQL.format(cte=cte, select=select, using=using), params)
    counts = ("inflow", "first_scan", "outflow", "fixed", "suppressed", *DECISION_KINDS, "reopened")
    df = _complete(df, params, names, counts)
    df["net"] = df["inflow"] - df["outflow"]
    df["reopen_rate"] = (df["reopened"] / df["outflow"]).where(df["outflow"] > 0)
    cols = [*PERIOD_KEYS, *names, "inflow", "first_scan", "outflow", "net", "fixed", "suppressed", *DECISION_KINDS]
    cols.append("reopened")
    # (flow keeps its period columns without a period: one span labelled "window", as documented)
    return _finish(df, "window", [*cols, "reopen_rate"], [*PERIOD_KEYS, *names])


# ----------------------------------------------------------------------------- aging and debt
AGING_SQL = f"""
WITH {{cte}},
o AS (
    SELECT {{select}} {days("ep.opened_at", "$until")} AS age
    FROM ep WHERE {open_at("ep", "$until")}
)
SELECT {{select_o}}
       count(*) AS open,
       count(*) FILTER (WHERE age <= 30) AS d0_30,
       count(*) FILTER (WHERE age > 30 AND age <= 60) AS d31_60,
       count(*) FILTER (WHERE age > 60 AND age <= 90) AS d61_90,
       count(*) FILTER (WHERE age > 90 AND age <= 180) AS d91_180,
       count(*) FILTER (WHERE age > 180) AS d180_plus,
       count(*) FILTER (WHERE age > {DEBT_DAYS}) AS security_debt,
       max(age) AS oldest_days,
       median(age) AS median_age_days
FROM o GROUP BY ALL
"""


def aging(store: Store, filters: Filters, by: Sequence[str] = (), settings: Settings | None = None) -> pd.DataFrame:
    """Episodes open at the window's end (or now) by age: 0–30, 31–60, 61–90, 91–180, >180 days;
    security debt = open longer than 365 days.

    Columns: grouping columns, open, d0_30, d31_60, d61_90, d91_180, d180_plus, security_debt,
    oldest_days, median_age_days.
    """
    settings = settings or Settings()
    names, select = group_select(by)
    cte, _ = episodes_cte(filters, settings)
    params = span_params(store, filters, None, settings)
    select_o = "".join(f"{n}, " for n in names)
    df = run(store, AGING_SQL.format(cte=cte, select=select, select_o=select_o), params)
    if not names and df.empty:
        df = pd.DataFrame([{"open": 0}])
    cols = [*names, "open", *(b for b, _ in AGE_BUCKETS), "security_debt", "oldest_days", "median_age_days"]
    df = df.reindex(columns=cols)
    for col in ["open", *(b for b, _ in AGE_BUCKETS), "security_debt"]:
        df[col] = df[col].fillna(0).astype("int64")
    return df.sort_values(names or ["open"], kind="stable").reset_index(drop=True)


# -------------------------------------------------------------------------------------------- SLA
SLA_SQL = f"""
WITH {{cte}}, {CALENDAR_CTE},
closed AS (
    SELECT cal.period_start, cal.period, {{select}}
           count(*) FILTER (WHERE ep.due_at IS NOT NULL) AS closed_with_sla,
           count(*) FILTER (WHERE {within_sla("ep")}) AS closed_within_sla,
           string_agg(DISTINCT ep.sla_source, ';' ORDER BY ep.sla_source) FILTER (WHERE ep.due_at IS NOT NULL)
               AS closed_sources
    FROM cal JOIN ep ON {fixed_in("ep", "cal.span_start", "cal.span_end")}
    GROUP BY ALL
),
overdue AS (
    SELECT cal.period_start, cal.period, {{select}} count(*) AS overdue_open,
           string_agg(DISTINCT ep.sla_source, ';' ORDER BY ep.sla_source) AS overdue_sources
    FROM cal JOIN ep ON {overdue_at("ep", "cal.span_end")}
    GROUP BY ALL
)
SELECT * FROM closed FULL OUTER JOIN overdue USING (period_start, period {{using}})
"""


def sla(
    store: Store,
    filters: Filters,
    by: Sequence[str] = (),
    period: str | None = None,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """SLA compliance: of the episodes fixed in the span that have an SLA, the share fixed by their
    due date (first detection + SLA days of the severity; reopening does not restart the clock);
    and the episodes overdue at the span's end.

    Columns: [period_start, period,] grouping columns, closed_with_sla, closed_within_sla,
    compliance, overdue_open, sla_source (the SLA tables behind the counts, ``;``-joined).
    """
    settings = settings or Settings()
    names, select = group_select(by)
    cte, _ = episodes_cte(filters, settings)
    params = span_params(store, filters, period, settings)
    using = "".join(f", {n}" for n in names)
    df = run(store, SLA_SQL.format(cte=cte, select=select, using=using), params)
    df = _complete(df, params, names, ("closed_with_sla", "closed_within_sla", "overdue_open"))
    df["compliance"] = (df["closed_within_sla"] / df["closed_with_sla"]).where(df["closed_with_sla"] > 0)
    df["sla_source"] = _sources(df)
    cols = [*PERIOD_KEYS, *names, "closed_with_sla", "closed_within_sla", "compliance", "overdue_open", "sla_source"]
    return _finish(df, period, cols, [*PERIOD_KEYS, *names])


def _sources(df: pd.DataFrame) -> pd.Series:
    """The SLA tables behind a row's counts (analytics.teams: ``global``, ``team:T``, ``project:p``),
    sorted and joined with ``;``; empty when nothing counted had an SLA."""
    out = []
    for closed, overdue in zip(df.get("closed_sources", []), df.get("overdue_sources", []), strict=True):
        names = {n for v in (closed, overdue) if isinstance(v, str) for n in v.split(";")}
        out.append(";".join(sorted(names)) or None)
    return pd.Series(out, index=df.index, dtype="object")


# Riskiest first: severity, then the longest overdue.
OVERDUE_SQL = f"""
WITH {{cte}}
SELECT ep.finding_id, ep.project, ep.branch, ep.tool, ep.severity, ep.rule_id, ep.cwe, ep.path, ep.start_line,
       ep.message, ep.first_seen_at, ep.opened_at, ep.due_at,
       {days("ep.due_at", "$until")} AS days_overdue, {team_sql("ep")} AS team, ep.sla_days, ep.sla_source
FROM ep
WHERE {overdue_at("ep", "$until")}
ORDER BY {rank_sql("ep.severity")}, ep.due_at, ep.finding_id
"""


def overdue(store: Store, filters: Filters, settings: Settings | None = None) -> pd.DataFrame:
    """Open findings past their SLA due date at the window's end (or now): the most severe first,
    then the most overdue."""
    settings = settings or Settings()
    cte, _ = episodes_cte(filters, settings)
    params = span_params(store, filters, None, settings)
    return run_wide(store, OVERDUE_SQL.format(cte=cte), params)


# -------------------------------------------------------------------------------------- capacity
CAPACITY_SQL = f"""
WITH {{cte}}, {CALENDAR_CTE}
SELECT cal.period_start, cal.period, {{select}}
       count(*) FILTER (WHERE {open_at("ep", "cal.span_start")}) AS open_at_start,
       count(*) FILTER (WHERE {opened_in("ep", "cal.span_start", "cal.span_end")}) AS opened,
       count(*) FILTER (WHERE {closed_in("ep", "cal.span_start", "cal.span_end")}) AS closed
FROM cal JOIN ep ON ep.opened_at < cal.span_end AND (ep.closed_at IS NULL OR ep.closed_at >= cal.span_start)
GROUP BY ALL
"""


def capacity(store: Store, filters: Filters, by: Sequence[str] = (), settings: Settings | None = None) -> pd.DataFrame:
    """Remediation capacity per month: episodes closed in the month / (open at the month's start +
    opened in the month). Columns: period_start, period, grouping columns, open_at_start, opened,
    closed, capacity."""
    settings = settings or Settings()
    names, select = group_select(by)
    cte, _ = episodes_cte(filters, settings)
    params = span_params(store, filters, "month", settings)
    df = run(store, CAPACITY_SQL.format(cte=cte, select=select), params)
    df = _complete(df, params, names, ("open_at_start", "opened", "closed"))
    denom = df["open_at_start"] + df["opened"]
    df["capacity"] = (df["closed"] / denom).where(denom > 0)
    cols = [*PERIOD_KEYS, *names, "open_at_start", "opened", "closed", "capacity"]
    return _finish(df, "month", cols, [*PERIOD_KEYS, *names])


# The episode counts of ``summary`` (one span, the window): each from its definition above.
EPISODE_COUNTS_SQL = f"""
count(*) FILTER (WHERE {open_at("ep", "$until")}) AS open,
count(*) FILTER (WHERE {fixed_in("ep", "$since", "$until")}) AS fixed,
count(*) FILTER (WHERE {suppressed_in("ep", "$since", "$until")}) AS suppressed,
count(*) FILTER (WHERE {reopened_in("ep", "$since", "$until")}) AS reopened,
{",".join(f"count(*) FILTER (WHERE {decided_in('ep', k, '$since', '$until')}) AS {k}" for k in DECISION_KINDS)},
avg(ep.days) FILTER (WHERE {fixed_in("ep", "$since", "$until")}) AS mean_days,
median(ep.days) FILTER (WHERE {fixed_in("ep", "$since", "$until")}) AS median_days
"""
