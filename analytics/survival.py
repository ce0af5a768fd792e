"""The Kaplan–Meier remediation curve (docs/definitions.md §6): how long findings stay open,
counting the ones still open (censored) instead of leaving them out, and its median — the honest
MTTR when much is still open. Used by the MTTR export (its ``km_median_days``), the survival
export, the Remediation page's curves and the Overview's half-life."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from analytics.definitions import (
    CALENDAR_CTE,
    PERIOD_KEYS,
    days,
    episodes_cte,
    group_select,
    opened_in,
    run,
    span_params,
)
from analytics.filters import Filters, group_exprs
from core.settings import Settings
from store.db import Store

# Durations of the episodes opened in a span, censored at {censor}: fixed ones are events at their
# time to remediate; open ones (and those closed after {censor}) are censored at {censor};
# suppressed ones are censored when they were suppressed.
KM_SQL = """
WITH {cte}, {cal},
d AS (
    SELECT {select} cal.period_start, cal.period,
           CASE WHEN ep.closed_at IS NOT NULL AND ep.closed_at <= {censor}
                THEN ep.days ELSE {age} END AS t,
           (ep.status = 'fixed' AND ep.closed_at <= {censor}) AS event
    FROM cal JOIN ep ON {opened}
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


def km_sql(cte: str, select: str, names: Sequence[str], opened: str, censor: str) -> str:
    """The Kaplan–Meier statement: one curve per group and span (``period_start, period``)."""
    part_names = [*names, *PERIOD_KEYS]
    return KM_SQL.format(
        cte=cte,
        cal=CALENDAR_CTE,
        select=select,
        opened=opened,
        censor=censor,
        age=days("ep.opened_at", censor),
        part=", ".join(part_names),
        part_sel="".join(f"{n}, " for n in part_names),
    )


def survival(
    store: Store,
    filters: Filters,
    by: Sequence[str] = (),
    period: str | None = None,
    settings: Settings | None = None,
    *,
    keep_period: bool = False,
) -> pd.DataFrame:
    """The Kaplan–Meier remediation curve: episodes opened in the window (or its period), open
    ones censored at the window's end (or now), suppressed ones censored when they were suppressed.

    Columns: grouping columns [, period_start, period], days, at_risk, events, censored, survival,
    fixed_share (= 1 − survival). One row per distinct duration.
    """
    settings = settings or Settings()
    names, select = group_select(by)
    cte, _ = episodes_cte(filters, settings)
    params = span_params(store, filters, period, settings)
    sql = km_sql(cte, select, names, opened_in("ep", "cal.span_start", "cal.span_end"), "$until")
    df = run(store, sql, params)
    df["fixed_share"] = 1.0 - df["survival"]
    if not period and not keep_period:
        df = df.drop(columns=PERIOD_KEYS)
    return df


@dataclass(frozen=True)
class KaplanMeier:
    median_days: float | None  # None = "not reached": the curve stays above 0.5
    episodes: int


def km_summary(curve: pd.DataFrame) -> KaplanMeier:
    """The median of one curve (rows of ``survival`` for one group) and its number of episodes."""
    if curve.empty:
        return KaplanMeier(None, 0)
    curve = curve.sort_values("days")
    below = curve[curve["survival"] <= 0.5 + 1e-12]
    median = float(below["days"].iloc[0]) if len(below) else None
    return KaplanMeier(median, int(curve["at_risk"].iloc[0]))


def km_medians(
    store: Store,
    filters: Filters,
    by: Sequence[str],
    period: str | None,
    settings: Settings,
    *,
    keep_period: bool = False,
) -> pd.DataFrame:
    """Per group (and span): the first duration at which the curve reaches 0.5 (null: not reached)."""
    curve = survival(store, filters, by, period, settings, keep_period=True)
    keys = [n for n, _ in group_exprs(by)] + PERIOD_KEYS
    if curve.empty:
        out = pd.DataFrame({k: pd.Series(dtype="object") for k in keys}).assign(km_median_days=pd.Series(dtype=float))
        out["period_start"] = out["period_start"].astype("datetime64[us]")
    else:
        groups = curve[keys].drop_duplicates()
        reached = curve[curve["survival"] <= 0.5 + 1e-12].groupby(keys, dropna=False, sort=False)["days"].min()
        out = groups.merge(reached.rename("km_median_days").reset_index(), on=keys, how="left")
    return out if keep_period or period else out.drop(columns=PERIOD_KEYS)
