"""The sprint report (docs/definitions.md §8 sprints, with the numbers of §6 and §7): per sprint,
what was found, fixed and reopened, how fast, which SLAs broke, and how the team shipped — one row
per sprint."""

from __future__ import annotations

import pandas as pd

from analytics import dora
from analytics.definitions import (
    CALENDAR_CTE,
    DECISION_KINDS,
    FIRST_SCAN_CTE,
    at_first_scan,
    breached_in,
    calendar,
    closed_in,
    episodes_cte,
    opened_in,
    overdue_at,
    period_start_sql,
    reopened,
    run,
    window,
)
from analytics.filters import Filters
from core.settings import Settings
from store.db import Store

# One statement for every sprint number: a metric function per column would scan the episodes ×
# findings join ten times, half of them range joins of every sprint with every episode.
# ``{sprint_of}`` is the start of the sprint holding a timestamp (``definitions.period_start_sql``,
# the SQL twin of ``core.periods.align``), so each timestamp finds its sprint by a hash lookup; the
# calendar's sprints are consecutive and the last one is cut at the window's end ($until).
# Per sprint [period_start, period_end), with the predicates of ``analytics.definitions``:
# - new / reopened / fixed / suppressed / MTTR of the episodes opened or closed in it (a part resumed
#   when a risk decision ended is neither new nor reopened; accepted / false_positive / wont_fix: the
#   episodes a decision took out of the backlog in it); MTTR keeps
#   ``remediation.mttr``'s window condition (closed_at ≥ since); first_scan: the part of new that
#   was already there at its stream's first scan (``remediation.flow``'s first_scan);
# - a breach: an episode whose SLA due date fell in the sprint while it was still open;
# - still_open / overdue_open at the sprint's end: an episode enters the backlog when it opens and
#   leaves it when it closes (the overdue list: enters once opened and past due, leaves when it
#   closes); a move before the end of a sprint counts for it and every later one, so each stock is
#   a running sum over the sprints of the moves in them (moves before the first sprint in the first);
# - top_rules / top_cwes: the three most frequent among the episodes opened in the sprint;
# - sla_source: the SLA tables (analytics.teams) of the episodes behind sla_breaches and overdue_open.
SPRINT_SQL = f"""
WITH {{cte}}, {CALENDAR_CTE},
{FIRST_SCAN_CTE},
e AS MATERIALIZED (
    SELECT ep.opened_at, closed_at, due_at, status, {reopened("ep")} AS reopened, resumed, days, rule_id, cwe,
           sla_source, {at_first_scan("ep", "fs")} AS at_first_scan
    FROM ep JOIN first_scan fs USING (stream_id)
),
opened AS (
    SELECT {{sprint_of_opened}} AS period_start, reopened, resumed, rule_id, cwe, at_first_scan FROM e
    WHERE {opened_in("e", "$since", "$until")}
),
flow_in AS (
    SELECT period_start, count(*) FILTER (WHERE NOT resumed) AS opened, count(*) FILTER (WHERE reopened) AS reopened,
           count(*) FILTER (WHERE at_first_scan) AS first_scan
    FROM opened GROUP BY ALL
),
flow_out AS (
    SELECT {{sprint_of_closed}} AS period_start,
           count(*) FILTER (WHERE status = 'fixed') AS fixed,
           count(*) FILTER (WHERE status = 'suppressed') AS suppressed,
           {", ".join(f"count(*) FILTER (WHERE status = '{k}') AS {k}" for k in DECISION_KINDS)},
           avg(days) FILTER (WHERE status = 'fixed') AS fixed_mean_days,
           median(days) FILTER (WHERE status = 'fixed') AS fixed_median_days
    FROM e WHERE {closed_in("e", "$since", "$until")}
    GROUP BY ALL
),
breaches AS (
    SELECT {{sprint_of_due}} AS period_start, count(*) AS sla_breaches
    FROM e WHERE {breached_in("e", "$since", "$until")}
    GROUP BY ALL
),
sla_sources AS (
    SELECT cal.period_start, string_agg(DISTINCT e.sla_source, ';' ORDER BY e.sla_source) AS sla_source
    FROM cal JOIN e ON e.due_at IS NOT NULL
         AND ({overdue_at("e", "cal.span_end")} OR {breached_in("e", "cal.span_start", "cal.span_end")})
    GROUP BY cal.period_start
),
moves AS (
    SELECT opened_at AS t, 1 AS open, 0 AS overdue FROM e
    UNION ALL SELECT greatest(opened_at, closed_at), -1, 0 FROM e WHERE closed_at IS NOT NULL
    UNION ALL SELECT greatest(opened_at, due_at), 0, 1 FROM e WHERE due_at IS NOT NULL
    UNION ALL SELECT greatest(opened_at, due_at, closed_at), 0, -1 FROM e
              WHERE due_at IS NOT NULL AND closed_at IS NOT NULL
),
stock AS (
    SELECT greatest({{sprint_of_t}}, $first_start) AS period_start, sum(open) AS open, sum(overdue) AS overdue
    FROM moves WHERE t < $until
    GROUP BY ALL
),
counted AS (
    SELECT period_start, 'rule' AS kind, rule_id AS item, count(*) AS n FROM opened
    WHERE rule_id IS NOT NULL GROUP BY ALL
    UNION ALL
    SELECT period_start, 'cwe' AS kind, cwe AS item, count(*) AS n FROM opened
    WHERE cwe IS NOT NULL GROUP BY ALL
),
top3 AS (
    SELECT period_start, kind, item || ' (' || n || ')' AS text, n, item FROM counted
    QUALIFY row_number() OVER (PARTITION BY period_start, kind ORDER BY n DESC, item) <= 3
),
tops AS (
    SELECT period_start,
           string_agg(text, '; ' ORDER BY n DESC, item) FILTER (WHERE kind = 'rule') AS top_rules,
           string_agg(text, '; ' ORDER BY n DESC, item) FILTER (WHERE kind = 'cwe') AS top_cwes
    FROM top3 GROUP BY period_start
)
SELECT cal.period AS sprint, cal.span_start AS start, cal.span_end AS end,
       coalesce(i.opened, 0) - coalesce(i.reopened, 0) AS new,
       coalesce(i.first_scan, 0) AS first_scan,
       coalesce(i.reopened, 0) AS reopened,
       coalesce(o.fixed, 0) AS fixed,
       coalesce(o.suppressed, 0) AS suppressed,
       {", ".join(f"coalesce(o.{k}, 0) AS {k}" for k in DECISION_KINDS)},
       CAST(sum(coalesce(s.open, 0)) OVER (ORDER BY cal.period_start) AS BIGINT) AS still_open,
       o.fixed_mean_days, o.fixed_median_days,
       coalesce(b.sla_breaches, 0) AS sla_breaches,
       CAST(sum(coalesce(s.overdue, 0)) OVER (ORDER BY cal.period_start) AS BIGINT) AS overdue_open,
       coalesce(t.top_rules, '') AS top_rules,
       coalesce(t.top_cwes, '') AS top_cwes,
       ss.sla_source
FROM cal
LEFT JOIN flow_in i USING (period_start)
LEFT JOIN flow_out o USING (period_start)
LEFT JOIN breaches b USING (period_start)
LEFT JOIN stock s USING (period_start)
LEFT JOIN tops t USING (period_start)
LEFT JOIN sla_sources ss USING (period_start)
ORDER BY cal.period_start
"""


COLUMNS = [
    "sprint", "start", "end", "new", "first_scan", "reopened", "fixed", "suppressed", *DECISION_KINDS, "still_open",
    "fixed_mean_days", "fixed_median_days", "sla_breaches", "overdue_open", "top_rules", "top_cwes",
    "deployments", "lead_time_median_days", "change_failure_rate", "sla_source",
]  # fmt: skip


def sprint_report(store: Store, filters: Filters, settings: Settings | None = None) -> pd.DataFrame:
    """One row per sprint of the window. A breach is an episode whose SLA due date fell inside the
    sprint while it was still open; ``overdue_open`` counts those still open past due at its end."""
    settings = settings or Settings()
    w = window(store, filters, settings)
    cte, params = episodes_cte(filters, settings)
    cal = calendar(w, "sprint", settings)
    _, sprint_params = period_start_sql("sprint", "t", settings)
    first_start = cal["cal_start"][0] if cal["cal_start"] else w.since
    params |= cal | sprint_params | {"since": w.since, "until": w.until, "first_start": first_start}
    columns = {"opened": "opened_at", "closed": "closed_at", "due": "due_at", "t": "t"}
    sql = SPRINT_SQL.format(
        cte=cte, **{f"sprint_of_{name}": period_start_sql("sprint", col, settings)[0] for name, col in columns.items()}
    )
    out = run(store, sql, params)
    out = _with_dora(store, filters, settings, out)
    out["end"] = pd.to_datetime(out["end"])
    return out.reindex(columns=COLUMNS).reset_index(drop=True)


def _with_dora(store: Store, filters: Filters, settings: Settings, out: pd.DataFrame) -> pd.DataFrame:
    d = dora.dora_by_period(store, filters, "sprint", settings)
    if d.empty:
        out["deployments"] = 0
        return out
    d = d.rename(columns={"period": "sprint"})
    out = out.merge(
        d[["sprint", "deployments", "lead_time_median_days", "change_failure_rate"]], on="sprint", how="left"
    )
    out["deployments"] = out["deployments"].fillna(0).astype("int64")
    return out
