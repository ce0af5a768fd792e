"""Data-quality warnings: patterns in the store that say an identity, not the code, changed.

When a scanner's context for a finding changes though the finding stays (a block-snippet scanner
whose adapter cannot read an address, a message that embeds a changing value), the lifecycle sees
the old identity fixed and a new one opened in the same scan. One such pair is indistinguishable
from a real fix plus a real new finding; several of one rule in one file at once, with at least as
many opened as fixed, is the signature of identity churn. Those are reported here as a warning, to
be read beside the remediation numbers (which still count them: the store records what the scans
say), never as remediation.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from analytics.definitions import run
from analytics.filters import Filters
from analytics.teams import team_params
from core.settings import Settings
from store.db import Store

MIN_CHURN = 2  # fixed episodes of one rule in one file at one scan before a pair pattern is churn

CHURN_SQL = """
WITH ep AS (
    SELECT e.stream_id, e.status, e.opened_at, e.closed_at, e.closed_scan_id, f.rule_id, f.path
    FROM episodes e JOIN findings f USING (finding_id)
    WHERE {where}
),
fixed AS (
    SELECT stream_id, closed_at AS scanned_at, rule_id, path, count(*) AS fixed, min(closed_scan_id) AS scan_id
    FROM ep WHERE status = 'fixed'
    GROUP BY stream_id, closed_at, rule_id, path
),
opened AS (
    SELECT stream_id, opened_at AS scanned_at, rule_id, path, count(*) AS opened
    FROM ep
    GROUP BY stream_id, opened_at, rule_id, path
)
SELECT x.scanned_at, st.project, st.branch, st.tool, st.category, x.rule_id, x.path, x.fixed, o.opened, x.scan_id
FROM fixed x
JOIN opened o ON o.stream_id = x.stream_id AND o.scanned_at = x.scanned_at AND o.rule_id = x.rule_id
             AND o.path = x.path
JOIN streams st ON st.stream_id = x.stream_id
WHERE x.fixed >= $min_churn AND o.opened >= x.fixed
  AND ($since::TIMESTAMP IS NULL OR x.scanned_at >= $since::TIMESTAMP) AND x.scanned_at < $until
ORDER BY x.scanned_at, st.project, st.branch, st.tool, st.category, x.rule_id, x.path
"""


def identity_churn(store: Store, filters: Filters, settings: Settings | None = None) -> pd.DataFrame:
    """One row per scan, rule and file where identity churned: at least two episodes of that rule
    in that file (path) were closed as fixed at the scan and as many or more were opened at it.

    Columns: ``scanned_at`` (the scan's time), ``project``, ``branch``, ``tool``, ``category``
    (its stream), ``rule_id``, ``path``, ``fixed`` (episodes of the rule in the file closed as
    fixed at that scan), ``opened`` (episodes of the rule in the file opened at that scan, new or
    reopened), ``scan_id`` (the scan that closed them; of several files loaded for one instant, the
    first — see ``ingest.lifecycle``). Ordered by time, stream, rule and path.

    The finding filters (project, branch, tool, severity, CWE, rule) select the episodes counted;
    the window [since, until) selects the scans. Episodes closed as suppressed are not fixes and do
    not count.
    """
    where, params = filters.finding_where("f")
    params |= team_params(settings or Settings())
    bound: dict[str, Any] = {**params, "min_churn": MIN_CHURN, "since": filters.since, "until": filters.window_end()}
    return run(store, CHURN_SQL.format(where=where), bound)
