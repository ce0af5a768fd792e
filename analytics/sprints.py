"""The sprint report (SPEC §8 sprints + §6 + §7): per sprint, what was found, fixed and reopened,
how fast, which SLAs broke, and how the team shipped — one row per sprint."""

from __future__ import annotations

from typing import Any

import pandas as pd

from analytics import remediation
from analytics.filters import Filters
from analytics.remediation import _base, _calendar, _run, window
from store.db import Store
from store.settings import Settings

TOP_SQL = """
WITH {cte}, {cal},
counted AS (
    SELECT cal.period_start, {col} AS item, count(*) AS n
    FROM cal JOIN ep ON ep.opened_at >= cal.period_start AND ep.opened_at < cal.period_end
    WHERE {col} IS NOT NULL
    GROUP BY cal.period_start, {col}
)
SELECT * FROM counted
QUALIFY row_number() OVER (PARTITION BY period_start ORDER BY n DESC, item) <= 3
ORDER BY period_start, n DESC, item
"""

BREACH_SQL = """
WITH {cte}, {cal}
SELECT cal.period_start, count(*) AS sla_breaches
FROM cal JOIN ep ON ep.due_at >= cal.period_start AND ep.due_at < cal.period_end
                 AND ep.opened_at <= ep.due_at AND (ep.closed_at IS NULL OR ep.closed_at > ep.due_at)
GROUP BY ALL
"""

COLUMNS = [
    "sprint", "start", "end", "new", "reopened", "fixed", "suppressed", "still_open",
    "fixed_mean_days", "fixed_median_days", "sla_breaches", "overdue_open", "top_rules", "top_cwes",
    "deployments", "lead_time_median_days", "change_failure_rate",
]  # fmt: skip


def _top(store: Store, cte: str, params: dict[str, Any], col: str) -> pd.Series:
    df = _run(store, TOP_SQL.format(cte=cte, cal=remediation.CALENDAR_CTE, col=col), params)
    if df.empty:
        return pd.Series(dtype="object")
    df["text"] = df["item"].astype(str) + " (" + df["n"].astype(str) + ")"
    return df.groupby("period_start")["text"].agg("; ".join)


def sprint_report(store: Store, filters: Filters, settings: Settings | None = None) -> pd.DataFrame:
    """One row per sprint of the window. A breach is an episode whose SLA due date fell inside the
    sprint while it was still open; ``overdue_open`` counts those still open past due at its end."""
    settings = settings or Settings()
    flow = remediation.flow(store, filters, (), "sprint", settings)
    mttr = remediation.mttr(store, filters, (), "sprint", settings).drop(columns=["open", "closed"])
    sla = remediation.sla(store, filters, (), "sprint", settings)
    backlog = remediation.backlog(store, filters, (), "sprint", settings)
    w = window(store, filters, settings)
    cte, params = _base(filters, settings)
    params |= _calendar(w, "sprint", settings)
    breaches = _run(store, BREACH_SQL.format(cte=cte, cal=remediation.CALENDAR_CTE), params)
    rules = _top(store, cte, params, "ep.rule_id")
    cwes = _top(store, cte, params, "ep.cwe")
    out = pd.DataFrame({"period_start": params["cal_start"], "end": params["cal_end"], "sprint": params["cal_label"]})
    out["period_start"] = pd.to_datetime(out["period_start"])
    for frame in (flow, mttr, sla, backlog, breaches):
        frame = frame.copy()
        frame["period_start"] = pd.to_datetime(frame["period_start"])
        out = out.merge(frame.drop(columns=[c for c in ("period", "at") if c in frame]), on="period_start", how="left")
    out = out.rename(
        columns={
            "period_start": "start",
            "inflow": "opened",
            "open": "still_open",
            "mean_days": "fixed_mean_days",
            "median_days": "fixed_median_days",
        }
    )
    out["new"] = out["opened"] - out["reopened"]
    out["top_rules"] = out["start"].map(rules).fillna("")
    out["top_cwes"] = out["start"].map(cwes).fillna("")
    out["sla_breaches"] = out["sla_breaches"].fillna(0).astype("int64")
    out = _with_dora(store, filters, settings, out)
    out["end"] = pd.to_datetime(out["end"])
    return out.reindex(columns=COLUMNS).reset_index(drop=True)


def _with_dora(store: Store, filters: Filters, settings: Settings, out: pd.DataFrame) -> pd.DataFrame:
    try:
        from analytics import dora
    except ImportError:  # pragma: no cover - dora is part of the package
        return out
    d = dora.dora_by_period(store, filters, "sprint", settings)
    if d.empty:
        out["deployments"] = 0
        return out
    d = d.rename(columns={"period_start": "start"})
    d["start"] = pd.to_datetime(d["start"])
    out = out.merge(d[["start", "deployments", "lead_time_median_days", "change_failure_rate"]], on="start", how="left")
    out["deployments"] = out["deployments"].fillna(0).astype("int64")
    return out
