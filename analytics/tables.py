"""Row-level tables: findings and episodes, with their SLA due dates (the Findings page and the
``findings`` / ``episodes`` exports)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from analytics.definitions import (
    BEGINNING,
    DECIDED_CTES,
    DECIDED_NOW_CTE,
    check_window,
    episodes_cte,
    findings_with_sla,
    overlaps,
    rank_sql,
    run,
)
from analytics.filters import Filters
from analytics.frames import run_wide
from analytics.teams import SLA_RULES_CTE, sla_join, team_sql
from core.settings import Settings

# The latest episode comes from `episodes` alone: joining every episode to its finding first (the
# `ep` CTE) only to keep the last one would cost a second pass over findings.
# ``decision``: the risk decision in force at the window's end (an acceptance of a finding that was
# fixed during it is no longer shown: a fixed finding counts as fixed); a finding under one is not
# overdue, unless ``show_decided``; with ``on_expiry = "restart"`` its clock restarts when the
# latest decision ended during its current episode (``analytics.definitions``). ``team`` and the
# SLA that applies: ``analytics.teams``.
FINDINGS_SQL = f"""
WITH {{sla_rules}},
{DECIDED_CTES}, {DECIDED_NOW_CTE},
last_ep AS (
    SELECT finding_id, opened_at, closed_at, first_seen_at FROM episodes
    QUALIFY row_number() OVER (PARTITION BY finding_id ORDER BY seq DESC) = 1
)
SELECT f.finding_id, f.project, f.branch, f.tool, f.category, f.rule_id, r.name AS rule_name, f.severity,
       f.cwe, array_to_string(f.cwes, ';') AS cwes, f.path, f.start_line, f.message, f.status,
       f.first_seen_at, f.last_seen_at, f.episodes, f.episodes > 1 AS reopened,
       le.opened_at AS current_opened_at,
       CASE WHEN f.status = 'open' THEN date_diff('second', le.opened_at, $at) / 86400.0 END AS age_days,
       le.closed_at, {{clock}} + to_days(sla.sla_days) AS sla_due_at,
       (f.status = 'open' AND {{clock}} + to_days(sla.sla_days) < $at
        AND ($show_decided OR dn.decision IS NULL)) AS overdue,
       f.fingerprint_source, {{team}} AS team, sla.sla_days, sla.sla_source,
       CASE WHEN NOT (dn.decision = 'accepted' AND f.status = 'fixed') THEN dn.decision END AS decision
FROM {{findings}} f
LEFT JOIN last_ep le USING (finding_id)
LEFT JOIN dc_now dn USING (finding_id)
{{sla_join}}
LEFT JOIN rules r ON r.tool = f.tool AND r.rule_id = f.rule_id
WHERE {{where}} AND f.first_seen_at < $at AND f.last_seen_at >= $since
  AND ($search::VARCHAR IS NULL OR contains(lower(f.rule_id || ' ' || coalesce(f.cwe, '') || ' ' || f.path || ' '
                                           || f.message || ' ' || coalesce(r.name, '')), lower($search)))
  AND ($status::VARCHAR IS NULL OR f.status = $status::VARCHAR)
ORDER BY {{rank}}, f.project, f.tool, f.path, f.start_line NULLS LAST, f.finding_id
"""
RESTARTED_CLOCK = (
    "CASE WHEN NOT $show_decided AND dn.decision_ended_at > le.opened_at THEN dn.decision_ended_at"
    " ELSE le.first_seen_at END"
)

EPISODES_SQL = f"""
WITH {{cte}}
SELECT ep.finding_id, ep.seq, ep.project, ep.branch, ep.tool, ep.category, ep.severity, ep.rule_id, ep.cwe,
       ep.path, ep.start_line, ep.opened_at, ep.closed_at, ep.status, ep.seq > 1 AS reopened, ep.days,
       ep.first_seen_at, ep.due_at AS sla_due_at,
       CASE WHEN ep.due_at IS NULL THEN NULL
            WHEN ep.status = 'fixed' THEN ep.closed_at <= ep.due_at END AS within_sla,
       {team_sql("ep")} AS team, ep.sla_days, ep.sla_source
FROM ep
WHERE {overlaps("ep", "$since", "$at")}
ORDER BY ep.opened_at, ep.finding_id, ep.seq
"""

# One row per step of the stream's history: files loaded for one instant are parts of one analysis
# (ingest.lifecycle), so the finding is present at a step when any part holds it.
HISTORY_SQL = """
WITH st AS (SELECT stream_id FROM findings WHERE finding_id = $fid),
s AS (
    SELECT sc.scan_id, sc.scanned_at, sc.commit_sha, sc.tool_version,
           dense_rank() OVER (ORDER BY sc.scanned_at) AS k
    FROM scans sc JOIN st USING (stream_id)
)
SELECT s.k AS scan_number, min(s.scanned_at) AS scanned_at, min(s.commit_sha) AS commit_sha, min(s.scan_id) AS scan_id,
       CASE WHEN bool_or(o.finding_id IS NOT NULL AND NOT o.suppressed) THEN 'present'
            WHEN bool_or(o.suppressed) THEN 'suppressed' ELSE 'absent' END AS state,
       min(o.path) AS path, min(o.start_line) AS start_line, min(o.severity) AS severity, min(o.message) AS message
FROM s LEFT JOIN occurrences o ON o.scan_id = s.scan_id AND o.finding_id = $fid
GROUP BY s.k
ORDER BY s.k
"""

RULE_SQL = """
SELECT r.* FROM rules r JOIN findings f ON r.tool = f.tool AND r.rule_id = f.rule_id WHERE f.finding_id = $fid
"""


def _params(filters: Filters, settings: Settings, **extra: Any) -> tuple[str, dict[str, Any]]:
    check_window(filters)
    cte, params = episodes_cte(filters, settings)
    return cte, params | {"at": filters.window_end(), "since": filters.since or BEGINNING} | extra


def findings(
    store: Any, filters: Filters, settings: Settings | None = None, search: str | None = None, status: str | None = None
) -> pd.DataFrame:
    """One row per finding seen in the window, with its latest state and SLA due date."""
    settings = settings or Settings()
    _, params = _params(filters, settings, search=search or None, status=status or None)
    params["show_decided"] = filters.show_decided
    where, _ = filters.finding_where("f")
    sql = FINDINGS_SQL.format(
        where=where,
        rank=rank_sql("f.severity"),
        sla_rules=SLA_RULES_CTE.strip(),
        findings=findings_with_sla(settings),
        sla_join=sla_join("f", settings),
        team=team_sql("f"),
        clock=RESTARTED_CLOCK if settings.on_expiry == "restart" else "le.first_seen_at",
    )
    return run_wide(store, sql, params)


def episodes(store: Any, filters: Filters, settings: Settings | None = None) -> pd.DataFrame:
    """One row per episode overlapping the window."""
    settings = settings or Settings()
    cte, params = _params(filters, settings)
    return run_wide(store, EPISODES_SQL.format(cte=cte), params)


def finding_history(store: Any, finding_id: str) -> pd.DataFrame:
    """Every scan of the finding's stream: present, suppressed or absent, with commit and place."""
    return run(store, HISTORY_SQL, {"fid": finding_id})


def finding_rule(store: Any, finding_id: str) -> dict[str, Any] | None:
    df = run(store, RULE_SQL, {"fid": finding_id})
    return None if df.empty else df.iloc[0].to_dict()
