"""Risk decisions as read back: the audit trail (``export decisions``) and one finding's history.

The rows come from the append-only ``decisions`` table that ``ingest.decisions`` writes; what a
decision does to the numbers is said in ``analytics.definitions`` (``DECIDED_CTES``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd

from analytics.definitions import BEGINNING, DECIDED_CTES, DECIDED_NOW_CTE, SCOPE_MATCH, check_window, now, run
from analytics.filters import Filters

COLUMNS = [
    "decided_at", "decision_id", "kind", "finding_id", "project", "tool", "rule_id", "path_glob", "reason",
    "decided_by", "expires_at", "revokes",
]  # fmt: skip

# Every row, a revocation with the scope of the decision it ends; filtered by project, tool and
# rule, and by the window on the time of the decision.
LOG_SQL = """
WITH x AS (
    SELECT d.decision_id, coalesce(d.project, f.project) AS project, coalesce(d.tool, f.tool) AS tool,
           coalesce(d.rule_id, f.rule_id) AS rule_id, d.finding_id, d.path_glob
    FROM decisions d LEFT JOIN findings f USING (finding_id)
)
SELECT d.decided_at, d.decision_id, d.kind, x.finding_id, x.project, x.tool, x.rule_id, x.path_glob, d.reason,
       d.decided_by, d.expires_at, d.revokes
FROM decisions d JOIN x ON x.decision_id = coalesce(d.revokes, d.decision_id)
WHERE {where} AND d.decided_at >= $since AND d.decided_at < $until
ORDER BY d.decided_at, d.decision_id
"""

# The decisions that cover one finding (its own and its rule's in a matching path), their
# revocations, and whether each is in force at $at.
HISTORY_SQL = f"""
WITH f AS (SELECT * FROM findings WHERE finding_id = $fid),
mine AS (SELECT d.decision_id FROM decisions d JOIN f ON d.finding_id = f.finding_id OR {SCOPE_MATCH}),
rev AS (SELECT revokes, min(decided_at) AS at FROM decisions WHERE kind = 'revoke' GROUP BY revokes)
SELECT d.decided_at, d.kind, d.reason, d.decided_by, d.expires_at, d.decision_id, d.revokes, d.path_glob,
       (d.kind <> 'revoke' AND d.decided_at <= $at AND (d.expires_at IS NULL OR d.expires_at > $at)
        AND (r.at IS NULL OR r.at > $at)) AS in_force
FROM decisions d LEFT JOIN rev r ON r.revokes = d.decision_id
WHERE d.decision_id IN (SELECT decision_id FROM mine) OR d.revokes IN (SELECT decision_id FROM mine)
ORDER BY d.decided_at, d.decision_id
"""

IN_FORCE_SQL = f"WITH {DECIDED_CTES}, {DECIDED_NOW_CTE} SELECT decision FROM dc_now WHERE finding_id = $fid"


def decision_log(store: Any, filters: Filters) -> pd.DataFrame:
    """Every decision and revocation decided in the window (the ``decisions`` export)."""
    check_window(filters)
    where, params = Filters(projects=filters.projects, tools=filters.tools, rules=filters.rules).finding_where("x")
    params |= {"since": filters.since or BEGINNING, "until": filters.window_end()}
    return run(store, LOG_SQL.format(where=where), params).reindex(columns=COLUMNS)


def finding_decisions(store: Any, finding_id: str, at: datetime | None = None) -> pd.DataFrame:
    """The decisions covering a finding and their revocations, oldest first, with ``in_force``."""
    return run(store, HISTORY_SQL, {"fid": finding_id, "at": at or now()})


def last_decided_at(store: Any) -> datetime | None:
    """The time of the latest decision or revocation, or None."""
    t = run(store, "SELECT max(decided_at) AS t FROM decisions", {})["t"].iloc[0]
    return None if pd.isna(t) else pd.Timestamp(t).to_pydatetime()


def decision_in_force(store: Any, finding_id: str, at: datetime | None = None) -> str | None:
    """The kind of the decision in force on the finding (``analytics.definitions``), or None."""
    df = run(store, IN_FORCE_SQL, {"fid": finding_id, "at": at or now()})
    return None if df.empty or pd.isna(df["decision"].iloc[0]) else str(df["decision"].iloc[0])
