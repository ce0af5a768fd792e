"""Remediation metrics (SPEC §6), computed in DuckDB over episodes joined to their findings.

Every function takes plain filter values (``Filters``), optional grouping columns and period, and
returns a pandas DataFrame whose columns are the CSV export's columns. Durations are fractional
days. The date window is [since, until); without ``since`` it starts at the first episode, without
``until`` it ends now.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from analytics.calendar import periods
from analytics.filters import Filters, QueryError, group_exprs
from analytics.frames import run_wide
from ingest.models import Severity
from store.db import Store, query_df
from store.settings import Settings

AGE_BUCKETS = (("d0_30", 30), ("d31_60", 60), ("d61_90", 90), ("d91_180", 180), ("d180_plus", None))
DEBT_DAYS = 365

# Episodes with the attributes of their finding, restricted by the finding filters.
EPISODES_CTE = """
ep AS (
    SELECT e.finding_id, e.stream_id, e.seq, e.opened_at, e.closed_at, e.status, e.first_seen_at,
           e.opened_scan_id, e.closed_scan_id,
           f.project, f.branch, f.tool, f.category, f.severity, f.cwe, f.rule_id, f.path, f.start_line, f.message,
           date_diff('second', e.opened_at, e.closed_at) / 86400.0 AS days,
           e.first_seen_at + to_days(sla.sla_days) AS due_at
    FROM episodes e
    JOIN findings f USING (finding_id)
    LEFT JOIN (SELECT unnest($sla_sev) AS severity, unnest($sla_days) AS sla_days) sla USING (severity)
    WHERE {where}
)
"""


@dataclass(frozen=True)
class Window:
    since: datetime
    until: datetime


def _base(filters: Filters, settings: Settings) -> tuple[str, dict[str, Any]]:
    where, params = filters.finding_where("f")
    sev = [s.value for s in Severity if settings.sla_days.get(s)]
    params = {**params, "sla_sev": sev, "sla_days": [settings.sla_days[Severity(s)] for s in sev]}
    return EPISODES_CTE.format(where=where), params


def _groups(by: Sequence[str]) -> tuple[list[str], str, str]:
    """(names, select list with trailing comma, partition clause) for grouping on the ep CTE."""
    exprs = [
        (name, sql.replace("f.", "ep.").replace("coalesce(ep.cwe, '')", "coalesce(ep.cwe, '')"))
        for name, sql in group_exprs(by)
    ]
    names = [n for n, _ in exprs]
    select = "".join(f"{sql} AS {name}, " for name, sql in exprs)
    return names, select, ", ".join(names)


def window(store: Store, filters: Filters, settings: Settings) -> Window:
    """The filters' window with defaults: first episode's opening .. now. The first opening is
    remembered for the duration of a ``store.session()`` (a page render asks many times)."""
    until = filters.window_end()
    if filters.since is not None:
        return Window(filters.since, until)
    memo = store.session_memo()
    key = ("first_opened", replace(filters, since=None, until=None), tuple(settings.sla_days.items()))
    if memo is not None and key in memo:
        first = memo[key]
    else:
        cte, params = _base(filters, settings)
        with store.read() as conn:
            first = query_df(conn, f"WITH {cte} SELECT min(opened_at) AS t FROM ep", params)["t"].iloc[0]
        if memo is not None:
            memo[key] = first
    since = until - timedelta(days=1) if pd.isna(first) else pd.Timestamp(first).to_pydatetime()
    return Window(min(since, until), until)


def _run(store: Store, sql: str, params: dict[str, Any]) -> pd.DataFrame:
    """Run with the named parameters the statement uses (DuckDB refuses extra ones)."""
    used = {k: v for k, v in params.items() if re.search(rf"\${k}\b", sql)}
    with store.read() as conn:
        return query_df(conn, sql, used)


def _calendar(w: Window, period: str | None, settings: Settings) -> dict[str, Any]:
    """The calendar parameters: the window's periods, or without a period the window as one."""
    if not period:
        return {"cal_start": [w.since], "cal_end": [w.until], "cal_label": ["window"]}
    cal = periods(w.since, w.until, period, settings)
    return {
        "cal_start": [c[0] for c in cal],
        "cal_end": [min(c[1], w.until) for c in cal],
        "cal_label": [c[2] for c in cal],
    }


CALENDAR_CTE = """
cal AS (SELECT unnest($cal_start) AS period_start, unnest($cal_end) AS period_end, unnest($cal_label) AS period)
"""


# ------------------------------------------------------------------------------------------ MTTR
MTTR_SQL = """
WITH {cte}, {cal}
SELECT {select} {period_cols}
       count(*) FILTER (WHERE ep.status = 'fixed') AS closed,
       avg(ep.days) FILTER (WHERE ep.status = 'fixed') AS mean_days,
       median(ep.days) FILTER (WHERE ep.status = 'fixed') AS median_days,
       quantile_cont(ep.days, 0.9) FILTER (WHERE ep.status = 'fixed') AS p90_days
FROM ep {join}
WHERE ep.closed_at >= $since AND ep.closed_at < $until {join_where}
GROUP BY ALL
"""

OPEN_AT_END_SQL = """
WITH {cte}, {cal}
SELECT {select} {period_cols} count(*) AS open
FROM ep {join_open}
WHERE ep.opened_at < {at} AND (ep.closed_at IS NULL OR ep.closed_at >= {at})
GROUP BY ALL
"""


def mttr(
    store: Store,
    filters: Filters,
    by: Sequence[str] = (),
    period: str | None = None,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """MTTR over fixed episodes closed in the window (per period of closing), with median, p90,
    count, the Kaplan–Meier median of episodes opened in the window (per period of opening), and
    the episodes open at the window's (period's) end.

    Columns: grouping columns [, period_start, period], closed, mean_days, median_days, p90_days,
    km_median_days, open.
    """
    settings = settings or Settings()
    names, select, _ = _groups(by)
    w = window(store, filters, settings)
    cte, params = _base(filters, settings)
    params |= {"since": w.since, "until": w.until}
    keys = list(names)
    if period:
        params |= _calendar(w, period, settings)
        cal = CALENDAR_CTE
        period_cols = "cal.period_start, cal.period, "
        join = "JOIN cal ON ep.closed_at >= cal.period_start AND ep.closed_at < cal.period_end"
        join_open = "JOIN cal ON TRUE"
        at = "cal.period_end"
        keys += ["period_start", "period"]
    else:
        cal = "cal AS (SELECT 1)"
        period_cols, join, join_open, at = "", "", "", "$until"
    closed = _run(
        store,
        MTTR_SQL.format(cte=cte, cal=cal, select=select, period_cols=period_cols, join=join, join_where=""),
        params,
    )
    open_now = _run(
        store,
        OPEN_AT_END_SQL.format(cte=cte, cal=cal, select=select, period_cols=period_cols, join_open=join_open, at=at),
        params,
    )
    km = km_medians(store, filters, by, period, settings)
    out = _outer(closed, open_now, keys)
    out = _outer(out, km, keys)
    if period:
        out = _complete_periods(out, params, names)
    out["closed"] = out["closed"].fillna(0).astype("int64")
    out["open"] = out["open"].fillna(0).astype("int64")
    cols = [*keys, "closed", "mean_days", "median_days", "p90_days", "km_median_days", "open"]
    return out.reindex(columns=cols).sort_values(keys or ["closed"], kind="stable").reset_index(drop=True)


def _outer(left: pd.DataFrame, right: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    if not keys:
        merged = pd.concat([left.reset_index(drop=True), right.reset_index(drop=True)], axis=1)
        return merged if len(merged) else pd.DataFrame([{}])
    return left.merge(right, on=keys, how="outer")


def _complete_periods(df: pd.DataFrame, params: dict[str, Any], names: list[str]) -> pd.DataFrame:
    """Periods with no activity still appear (for grouped output: only for groups that exist)."""
    cal = pd.DataFrame({"period_start": params["cal_start"], "period": params["cal_label"]})
    cal["period_start"] = pd.to_datetime(cal["period_start"]).astype(
        df["period_start"].dtype if len(df) else "datetime64[us]"
    )
    if names:
        groups = df[names].drop_duplicates()
        cal = groups.merge(cal, how="cross")
    return cal.merge(df, on=[*names, "period_start", "period"], how="left")


# --------------------------------------------------------------------------------- Kaplan–Meier
KM_SQL = """
WITH {cte}, {cal},
d AS (
    SELECT {select} {period_cols}
           CASE WHEN ep.closed_at IS NOT NULL AND ep.closed_at <= {censor}
                THEN ep.days
                ELSE date_diff('second', ep.opened_at, {censor}) / 86400.0 END AS t,
           (ep.status = 'fixed' AND ep.closed_at <= {censor}) AS event
    FROM ep {join}
    WHERE ep.opened_at >= $since AND ep.opened_at < $until
),
agg AS (SELECT {part_sel} t, count(*) FILTER (WHERE event) AS events, count(*) AS n FROM d GROUP BY ALL),
risk AS (
    SELECT *, sum(n) OVER (PARTITION BY {part} ORDER BY t DESC ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
              AS at_risk
    FROM agg
)
SELECT {part_sel} t AS days, at_risk, events, n - events AS censored,
       CASE WHEN max(CASE WHEN events = at_risk THEN 1 ELSE 0 END) OVER w = 1 THEN 0.0
            ELSE exp(sum(CASE WHEN events = at_risk THEN 0 ELSE ln(1 - events / at_risk) END) OVER w) END
           AS survival
FROM risk
WINDOW w AS (PARTITION BY {part} ORDER BY t ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
ORDER BY {part_sel} t
"""


def survival(
    store: Store,
    filters: Filters,
    by: Sequence[str] = (),
    period: str | None = None,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """The Kaplan–Meier remediation curve: episodes opened in the window (or period), open ones
    censored at the window's end (or now), suppressed ones censored when they were suppressed.

    Columns: grouping columns [, period_start, period], days, at_risk, events, censored, survival,
    fixed_share (= 1 − survival). One row per distinct duration.
    """
    settings = settings or Settings()
    names, select, _ = _groups(by)
    w = window(store, filters, settings)
    cte, params = _base(filters, settings)
    params |= {"since": w.since, "until": w.until}
    part_names = list(names)
    if period:
        params |= _calendar(w, period, settings)
        cal, period_cols = CALENDAR_CTE, "cal.period_start, cal.period, "
        join = "JOIN cal ON ep.opened_at >= cal.period_start AND ep.opened_at < cal.period_end"
        part_names += ["period_start", "period"]
    else:
        cal, period_cols, join = "cal AS (SELECT 1)", "", ""
    part = ", ".join(part_names) or "NULL"
    part_sel = "".join(f"{n}, " for n in part_names)
    sql = KM_SQL.format(
        cte=cte,
        cal=cal,
        select=select,
        period_cols=period_cols,
        join=join,
        censor="$until",
        part=part,
        part_sel=part_sel,
    )
    df = _run(store, sql, params)
    df["fixed_share"] = 1.0 - df["survival"]
    return df


@dataclass(frozen=True)
class KaplanMeier:
    median_days: float | None  # None = "not reached": the curve stays above 0.5
    fixed_by_7: float | None
    fixed_by_30: float | None
    fixed_by_90: float | None
    episodes: int


def km_summary(curve: pd.DataFrame) -> KaplanMeier:
    """Median and share fixed by 7/30/90 days of one curve (rows of ``survival`` for one group)."""
    if curve.empty:
        return KaplanMeier(None, None, None, None, 0)
    curve = curve.sort_values("days")
    below = curve[curve["survival"] <= 0.5 + 1e-12]
    median = float(below["days"].iloc[0]) if len(below) else None

    def fixed_by(days: float) -> float:
        upto = curve[curve["days"] <= days]
        return float(1.0 - upto["survival"].iloc[-1]) if len(upto) else 0.0

    n = int(curve["at_risk"].iloc[0])
    return KaplanMeier(median, fixed_by(7), fixed_by(30), fixed_by(90), n)


def km_medians(
    store: Store, filters: Filters, by: Sequence[str], period: str | None, settings: Settings
) -> pd.DataFrame:
    curve = survival(store, filters, by, period, settings)
    keys = [*(n for n, _ in group_exprs(by))] + (["period_start", "period"] if period else [])
    if curve.empty:
        return pd.DataFrame(columns=[*keys, "km_median_days"])
    if not keys:
        return pd.DataFrame([{"km_median_days": km_summary(curve).median_days}])
    # per group, the first duration at which the curve reaches 0.5 (vectorised: no loop over groups)
    groups = curve[keys].drop_duplicates()
    reached = curve[curve["survival"] <= 0.5 + 1e-12].groupby(keys, dropna=False, sort=False)["days"].min()
    medians = reached.rename("km_median_days").reset_index()
    return groups.merge(medians, on=keys, how="left")


# ------------------------------------------------------------------------------ backlog and flow
BACKLOG_SQL = """
WITH {cte}, {cal}
SELECT cal.period_start, cal.period, cal.period_end AS at, {select} count(ep.finding_id) AS open
FROM cal LEFT JOIN ep ON ep.opened_at < cal.period_end AND (ep.closed_at IS NULL OR ep.closed_at >= cal.period_end)
GROUP BY ALL
"""


def backlog(
    store: Store,
    filters: Filters,
    by: Sequence[str] = ("severity",),
    period: str | None = "week",
    settings: Settings | None = None,
) -> pd.DataFrame:
    """Open backlog at the end of each period: episodes with opened_at ≤ t < coalesce(closed_at, ∞).

    Columns: period_start, period, at, grouping columns, open. Without a period: one row at the
    window's end.
    """
    settings = settings or Settings()
    names, select, _ = _groups(by)
    w = window(store, filters, settings)
    cte, params = _base(filters, settings)
    params |= _calendar(w, period, settings)
    df = _run(store, BACKLOG_SQL.format(cte=cte, cal=CALENDAR_CTE, select=select), params)
    if names:  # a LEFT JOIN of an empty period yields a NULL group with 0: keep the period, drop the NULL
        df = df[~(df[names].isna().all(axis=1) & (df["open"] == 0))] if len(df) else df
        df = _complete_periods(df, params, names) if len(df) else df
        df["open"] = df["open"].fillna(0).astype("int64")
        df["at"] = df.groupby("period_start")["at"].transform("max") if len(df) else df["at"]
    cols = ["period_start", "period", "at", *names, "open"]
    return df.reindex(columns=cols).sort_values(["period_start", *names], kind="stable").reset_index(drop=True)


def _per_period(
    store: Store,
    filters: Filters,
    by: Sequence[str],
    period: str | None,
    settings: Settings,
    template: str,
    counts: Sequence[str],
) -> pd.DataFrame:
    """Run a ``{cte} {cal} {select} {using}`` template over the period calendar (or the whole
    window as one period), label the periods, keep empty ones, and make the counts integers."""
    names, select, _ = _groups(by)
    w = window(store, filters, settings)
    cte, params = _base(filters, settings)
    params |= _calendar(w, period, settings)
    using = "".join(f", {n}" for n in names)
    df = _run(store, template.format(cte=cte, cal=CALENDAR_CTE, select=select, using=using), params)
    labels = dict(zip(params["cal_start"], params["cal_label"], strict=True))
    df["period"] = [labels.get(pd.Timestamp(t).to_pydatetime()) for t in df["period_start"]] if len(df) else []
    df = _complete_periods(df, params, names)
    for col in counts:
        df[col] = df[col].fillna(0).astype("int64")
    return df


# Each stream's first scan, and whether an episode (of ``ep``, joined to it as ``fs``) was already
# there then: the backlog a first scan finds, not new work (flow's and the sprint report's first_scan).
FIRST_SCAN_CTE = "first_scan AS (SELECT stream_id, min(scanned_at) AS at FROM scans GROUP BY stream_id)"
AT_FIRST_SCAN = "(ep.seq = 1 AND ep.opened_at = fs.at)"

FLOW_SQL = """
WITH {cte}, {cal}, {first_scan},
opened AS (
    SELECT cal.period_start, {select}
           count(*) AS inflow, count(*) FILTER (WHERE ep.seq > 1) AS reopened,
           count(*) FILTER (WHERE {at_first_scan}) AS first_scan
    FROM cal JOIN ep ON ep.opened_at >= cal.period_start AND ep.opened_at < cal.period_end
    JOIN first_scan fs USING (stream_id)
    GROUP BY ALL
),
closed AS (
    SELECT cal.period_start, {select}
           count(*) AS outflow,
           count(*) FILTER (WHERE ep.status = 'fixed') AS fixed,
           count(*) FILTER (WHERE ep.status = 'suppressed') AS suppressed
    FROM cal JOIN ep ON ep.closed_at >= cal.period_start AND ep.closed_at < cal.period_end
    GROUP BY ALL
)
SELECT * FROM opened FULL OUTER JOIN closed USING (period_start {using})
""".replace("{first_scan}", FIRST_SCAN_CTE).replace("{at_first_scan}", AT_FIRST_SCAN)


def flow(
    store: Store,
    filters: Filters,
    by: Sequence[str] = (),
    period: str | None = "week",
    settings: Settings | None = None,
) -> pd.DataFrame:
    """Inflow (episodes opened), outflow (episodes closed: fixed + suppressed), net and reopen rate
    (reopened episodes opened in the period / episodes closed in it) per period. ``first_scan``
    counts the part of the inflow that is the backlog found by its stream's first scan: already
    there before anyone looked, so not new work of the period (part of ``inflow`` all the same).

    Columns: period_start, period, grouping columns, inflow, first_scan, outflow, net, fixed,
    suppressed, reopened, reopen_rate.
    """
    settings = settings or Settings()
    names = [n for n, _ in group_exprs(by)]
    df = _per_period(
        store,
        filters,
        by,
        period,
        settings,
        FLOW_SQL,
        ("inflow", "first_scan", "outflow", "fixed", "suppressed", "reopened"),
    )
    df["net"] = df["inflow"] - df["outflow"]
    df["reopen_rate"] = (df["reopened"] / df["outflow"]).where(df["outflow"] > 0)
    cols = [
        "period_start",
        "period",
        *names,
        "inflow",
        "first_scan",
        "outflow",
        "net",
        "fixed",
        "suppressed",
        "reopened",
        "reopen_rate",
    ]
    return df.reindex(columns=cols).sort_values(["period_start", *names], kind="stable").reset_index(drop=True)


# ----------------------------------------------------------------------------- aging and debt
AGING_SQL = """
WITH {cte},
o AS (
    SELECT {select} date_diff('second', ep.opened_at, $at) / 86400.0 AS age
    FROM ep WHERE ep.opened_at < $at AND (ep.closed_at IS NULL OR ep.closed_at >= $at)
)
SELECT {select_o}
       count(*) AS open,
       count(*) FILTER (WHERE age <= 30) AS d0_30,
       count(*) FILTER (WHERE age > 30 AND age <= 60) AS d31_60,
       count(*) FILTER (WHERE age > 60 AND age <= 90) AS d61_90,
       count(*) FILTER (WHERE age > 90 AND age <= 180) AS d91_180,
       count(*) FILTER (WHERE age > 180) AS d180_plus,
       count(*) FILTER (WHERE age > {debt}) AS security_debt,
       max(age) AS oldest_days,
       median(age) AS median_age_days
FROM o GROUP BY ALL
"""


def aging(store: Store, filters: Filters, by: Sequence[str] = (), settings: Settings | None = None) -> pd.DataFrame:
    """Open episodes at the window's end (or now) by age: 0–30, 31–60, 61–90, 91–180, >180 days;
    security debt = open longer than 365 days.

    Columns: grouping columns, open, d0_30, d31_60, d61_90, d91_180, d180_plus, security_debt,
    oldest_days, median_age_days.
    """
    settings = settings or Settings()
    names, select, _ = _groups(by)
    cte, params = _base(filters, settings)
    params |= {"at": filters.window_end()}
    select_o = "".join(f"{n}, " for n in names)
    df = _run(store, AGING_SQL.format(cte=cte, select=select, select_o=select_o, debt=DEBT_DAYS), params)
    if not names and df.empty:
        df = pd.DataFrame([{"open": 0}])
    cols = [*names, "open", *(b for b, _ in AGE_BUCKETS), "security_debt", "oldest_days", "median_age_days"]
    df = df.reindex(columns=cols)
    for col in ["open", *(b for b, _ in AGE_BUCKETS), "security_debt"]:
        df[col] = df[col].fillna(0).astype("int64")
    return df.sort_values(names or ["open"], kind="stable").reset_index(drop=True)


# -------------------------------------------------------------------------------------------- SLA
SLA_SQL = """
WITH {cte}, {cal},
closed AS (
    SELECT cal.period_start, {select}
           count(*) FILTER (WHERE ep.due_at IS NOT NULL) AS closed_with_sla,
           count(*) FILTER (WHERE ep.closed_at <= ep.due_at) AS closed_within_sla
    FROM cal JOIN ep ON ep.status = 'fixed' AND ep.closed_at >= cal.period_start AND ep.closed_at < cal.period_end
    GROUP BY ALL
),
overdue AS (
    SELECT cal.period_start, {select} count(*) AS overdue_open
    FROM cal JOIN ep ON ep.opened_at < cal.period_end AND (ep.closed_at IS NULL OR ep.closed_at >= cal.period_end)
                    AND ep.due_at < cal.period_end
    GROUP BY ALL
)
SELECT * FROM closed FULL OUTER JOIN overdue USING (period_start {using})
"""


def sla(
    store: Store,
    filters: Filters,
    by: Sequence[str] = (),
    period: str | None = None,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """SLA compliance: of the fixed episodes closed in the period that have an SLA, the share closed
    by their due date (first detection + SLA days of the severity; reopening does not restart the
    clock); and the open episodes past their due date at the period's end.

    Columns: [period_start, period,] grouping columns, closed_with_sla, closed_within_sla,
    compliance, overdue_open.
    """
    settings = settings or Settings()
    names = [n for n, _ in group_exprs(by)]
    df = _per_period(
        store, filters, by, period, settings, SLA_SQL, ("closed_with_sla", "closed_within_sla", "overdue_open")
    )
    df["compliance"] = (df["closed_within_sla"] / df["closed_with_sla"]).where(df["closed_with_sla"] > 0)
    cols = ["period_start", "period", *names, "closed_with_sla", "closed_within_sla", "compliance", "overdue_open"]
    if not period:
        cols = cols[2:]
    return (
        df.reindex(columns=cols)
        .sort_values([c for c in ("period_start", *names) if c in cols] or ["compliance"], kind="stable")
        .reset_index(drop=True)
    )


OVERDUE_SQL = """
WITH {cte}
SELECT ep.finding_id, ep.project, ep.branch, ep.tool, ep.severity, ep.rule_id, ep.cwe, ep.path, ep.start_line,
       ep.message, ep.first_seen_at, ep.opened_at, ep.due_at,
       date_diff('second', ep.due_at, $at) / 86400.0 AS days_overdue
FROM ep
WHERE ep.opened_at < $at AND (ep.closed_at IS NULL OR ep.closed_at >= $at) AND ep.due_at < $at
ORDER BY ep.due_at, ep.finding_id
"""


def overdue(store: Store, filters: Filters, settings: Settings | None = None) -> pd.DataFrame:
    """Open findings past their SLA due date at the window's end (or now), most overdue first."""
    settings = settings or Settings()
    cte, params = _base(filters, settings)
    params |= {"at": filters.window_end()}
    return run_wide(store, OVERDUE_SQL.format(cte=cte), params)


# -------------------------------------------------------------------------------------- capacity
def capacity(store: Store, filters: Filters, by: Sequence[str] = (), settings: Settings | None = None) -> pd.DataFrame:
    """Remediation capacity per month: episodes closed in the month / (open at the month's start +
    opened in the month). Columns: period_start, period, grouping columns, open_at_start, opened,
    closed, capacity."""
    settings = settings or Settings()
    names, select, _ = _groups(by)
    w = window(store, filters, settings)
    cte, params = _base(filters, settings)
    params |= _calendar(w, "month", settings)
    sql = f"""
    WITH {cte}, {CALENDAR_CTE}
    SELECT cal.period_start, cal.period, {select}
           count(*) FILTER (WHERE ep.opened_at < cal.period_start
                            AND (ep.closed_at IS NULL OR ep.closed_at >= cal.period_start)) AS open_at_start,
           count(*) FILTER (WHERE ep.opened_at >= cal.period_start AND ep.opened_at < cal.period_end) AS opened,
           count(*) FILTER (WHERE ep.closed_at >= cal.period_start AND ep.closed_at < cal.period_end) AS closed
    FROM cal JOIN ep ON ep.opened_at < cal.period_end AND (ep.closed_at IS NULL OR ep.closed_at >= cal.period_start)
    GROUP BY ALL
    """
    df = _run(store, sql, params)
    df = _complete_periods(df, params, names)
    for col in ("open_at_start", "opened", "closed"):
        df[col] = df[col].fillna(0).astype("int64")
    denom = df["open_at_start"] + df["opened"]
    df["capacity"] = (df["closed"] / denom).where(denom > 0)
    cols = ["period_start", "period", *names, "open_at_start", "opened", "closed", "capacity"]
    return df.reindex(columns=cols).sort_values(["period_start", *names], kind="stable").reset_index(drop=True)


def check_period(period: str | None) -> None:
    from analytics.periods import PERIODS

    if period is not None and period not in PERIODS:
        raise QueryError(f"unknown period {period!r}; choose from {', '.join(PERIODS)}")
