"""Security next to delivery (docs/definitions.md §6, last item, and §7): the findings each
deployment introduced and fixed, and time to remediate in production — the episodes of the
selected findings joined to the deployments that shipped the commits of their scans. Built on
``analytics.dora``'s query builder (its production deployments, window and periods)."""

from __future__ import annotations

import pandas as pd

from analytics.definitions import FIRST_SCAN_CTE, at_first_scan
from analytics.dora import IN_WINDOW, Query, query
from analytics.filters import Filters
from core.settings import Settings
from store.db import Store

# Episodes of the selected findings with the commits of their opening and closing scans.
EPISODES_CTE = """
ep AS (
    SELECT f.project, f.branch, f.tool, f.severity, f.rule_id, e.finding_id, e.stream_id, e.seq, e.status,
           e.opened_at, e.closed_at, lower(so.commit_sha) AS opened_commit, lower(sc.commit_sha) AS closed_commit
    FROM episodes e
    JOIN findings f USING (finding_id)
    JOIN scans so ON so.scan_id = e.opened_scan_id
    LEFT JOIN scans sc ON sc.scan_id = e.closed_scan_id
    WHERE {finding_where}
)"""

# A stream's first scan finds the backlog the code already had: no deployment introduced it (the
# Overview's flow and the sprint report say the same, with the same definition).
SECURITY_PER_DEPLOYMENT_SQL = """
WITH {prod},
{inwin},
{episodes},
{first_scan},
introduced AS (
    SELECT dc.project, dc.deployment_id,
           count(*) FILTER (WHERE NOT {at_first_scan}) AS findings_introduced,
           count(*) FILTER (WHERE {at_first_scan}) AS first_scan_backlog
    FROM deployment_commits dc
    JOIN ep ON ep.project = dc.project AND ep.opened_commit = dc.sha
    JOIN first_scan fs ON fs.stream_id = ep.stream_id
    GROUP BY ALL
),
fixed AS (
    SELECT dc.project, dc.deployment_id, count(*) AS findings_fixed
    FROM deployment_commits dc JOIN ep ON ep.project = dc.project AND ep.closed_commit = dc.sha
    WHERE ep.status = 'fixed'
    GROUP BY ALL
)
SELECT w.project, w.deployment_id, w.period_start, w.finished_at, w.sha,
       coalesce(i.findings_introduced, 0) AS findings_introduced,
       coalesce(i.first_scan_backlog, 0) AS first_scan_backlog,
       coalesce(x.findings_fixed, 0) AS findings_fixed,
       coalesce(i.findings_introduced, 0) - coalesce(x.findings_fixed, 0) AS net_findings
FROM inwin w
LEFT JOIN introduced i USING (project, deployment_id)
LEFT JOIN fixed x USING (project, deployment_id)
ORDER BY w.finished_at, w.project, w.deployment_id
"""

# Fixed episodes with the first deployment that shipped their fix. In the window: those whose fix
# reached production inside it, and those closed inside it whose fix has not been deployed.
PRODUCTION_REMEDIATION_CTE = """
first_fix_dep AS (
    SELECT dc.project, dc.sha, p.deployment_id, p.finished_at
    FROM deployment_commits dc JOIN prod p USING (project, deployment_id)
    QUALIFY row_number() OVER (PARTITION BY dc.project, dc.sha ORDER BY p.finished_at, p.deployment_id) = 1
),
prodrem AS (
    SELECT ep.project, ep.branch, ep.tool, ep.severity, ep.rule_id, ep.finding_id, ep.seq,
           ep.opened_at, ep.closed_at, ep.closed_commit AS fix_commit,
           fd.deployment_id, fd.finished_at AS deployed_at,
           {period_effective} AS period_start,
           (epoch(ep.closed_at) - epoch(ep.opened_at)) / 86400.0 AS days_to_fix,
           (epoch(fd.finished_at) - epoch(ep.opened_at)) / 86400.0 AS days_to_production,
           (epoch(fd.finished_at) - epoch(ep.closed_at)) / 86400.0 AS fix_to_production_days
    FROM ep
    LEFT JOIN first_fix_dep fd ON fd.project = ep.project AND fd.sha = ep.closed_commit
    WHERE ep.status = 'fixed' AND {window_effective}
)"""

PRODUCTION_REMEDIATION_SUMMARY_SQL = """
WITH {prod},
{episodes},
{prodrem}
SELECT project, period_start,
       count(*) AS fixed_episodes,
       count(deployment_id) AS deployed,
       count(*) - count(deployment_id) AS awaiting_deployment,
       avg(days_to_production) AS mttr_production_days,
       median(days_to_production) AS median_production_days,
       quantile_cont(days_to_production, 0.9) AS p90_production_days,
       median(days_to_fix) FILTER (WHERE deployment_id IS NOT NULL) AS median_fix_days,
       median(fix_to_production_days) AS median_fix_to_production_days
FROM prodrem GROUP BY ALL ORDER BY project, period_start
"""


def _slots(q: Query) -> dict[str, str]:
    """The slots of this module's fragments: the selected episodes, the first-scan relation, and
    production remediation counted where the fix reached production (or was closed, undeployed)."""
    effective = "coalesce(fd.finished_at, ep.closed_at)"
    return {
        "episodes": EPISODES_CTE.format(finding_where=q.finding_where),
        "first_scan": FIRST_SCAN_CTE,
        "at_first_scan": at_first_scan("ep", "fs"),
        "prodrem": PRODUCTION_REMEDIATION_CTE.format(
            period_effective=q.period_of(effective), window_effective=IN_WINDOW.format(col=effective)
        ),
    }


def security_per_deployment(
    store: Store, filters: Filters, period: str | None = None, settings: Settings | None = None
) -> pd.DataFrame:
    """Per deployment finished in the window: project, deployment_id, [period_start, period],
    finished_at, sha, findings_introduced (episodes whose opening scan's commit it shipped, except
    those found by their stream's first scan), first_scan_backlog (those: the backlog the code
    already had when scanning began, not introduced by this deployment), findings_fixed (fixed
    episodes whose closing scan's commit it shipped), net_findings (introduced − fixed).
    The finding filters apply; commits are compared as full lower-case SHAs."""
    q = query(filters, period, settings)
    return q.run(store, SECURITY_PER_DEPLOYMENT_SQL, **_slots(q))


def production_remediation_summary(
    store: Store, filters: Filters, period: str | None = None, settings: Settings | None = None
) -> pd.DataFrame:
    """Time to remediate in production (docs/definitions.md §6) per project (and period): each
    fixed episode's ``closed_at`` replaced by ``finished_at`` of the first deployment of the project
    whose commit set contains the closing scan's commit. Counted: episodes whose fix reached
    production in the window, and episodes closed in the window whose fix is not deployed yet.
    Columns: fixed_episodes, deployed, awaiting_deployment, mttr_production_days (mean),
    median_production_days, p90_production_days, median_fix_days (closed − opened, same deployed
    episodes), median_fix_to_production_days."""
    q = query(filters, period, settings)
    return q.run(store, PRODUCTION_REMEDIATION_SUMMARY_SQL, **_slots(q))
