"""DORA metrics (docs/definitions.md §7) and their join with security findings (§6, time to
remediate in production).

Every function reads the store, takes ``(store, filters, period=None, settings=None)`` and returns
a pandas DataFrame (``dora_headline`` a dict). Unless said otherwise a *deployment* is a
successful deployment to the ``production`` environment, and the date window (``filters.since``
inclusive .. ``filters.until`` exclusive, default now) applies to its ``finished_at``. Only
``filters.projects`` and the window apply to DevOps data; the finding filters (branches, tools,
severities, CWEs, rules) apply to the findings side of ``security_per_deployment`` and
``production_remediation_summary``.

The details behind docs/definitions.md §7:

* **Deployment frequency.** Every ISO week of the window (the window runs from ``since``, else
  the project's first deployment, to ``until``, else now; a week cut by the window's edges or by
  a period boundary counts as the part inside) gets its number of distinct UTC days with ≥ 1
  deployment, zero-deployment weeks included; ``deploy_days_per_week_median`` is their median.
  Class: median ≥ 5 → elite (on demand); ≥ 1 → high (at least weekly); else, if the deployments of
  the window average ≥ 1 per month (``deployments_per_month`` = deployments / (window days /
  30.44)) → medium; else low. Both numbers are in the table, so that a median of 0 deployment days
  per week next to "medium" explains itself.
* **Lead time.** Each commit counts once, at the first deployment containing it (commit sets come
  from ``deployment_commits``: a deployment's ``commits`` list, else git ancestry); the sha of a
  deployment that came with a ``commits`` list (a squash commit) is not a change of its own.
  Zero is a valid lead time (a tag on its own commit, a deployment of the commit just made);
  negative ones (a commit dated after the deployment that shipped it: clock skew) are left out and
  counted in ``lead_time_negative``, a data-quality warning. p90 is ``quantile_cont`` (linear
  interpolation).
  Class: median < 1 day elite, < 7 days high, < 30 days medium, else low.
* **Change failure rate.** Deployments with ≥ 1 linked incident (``failed_deployments``) /
  deployments. Deployments whose status is ``failure`` never reached production and are counted
  apart (``unsuccessful_deployments``). Class: ≤ 5 % elite, ≤ 10 % high, ≤ 15 % medium, else low.
* **Incident links.** The first rule that finds a deployment wins: the incident's
  ``deployment_id`` (any environment or status); else the first deployment whose commit set
  contains ``cause_sha`` (a prefix matches); else the latest deployment of the project that
  finished before ``created_at``.
* **Recovery time.** Over incidents *resolved* inside the window (as MTTR counts episodes closed
  inside it): ``resolved_at`` − the linked deployment's ``finished_at``, else − ``created_at``.
  Class: median < 1 h elite, < 24 h high, < 168 h medium, else low.
* **Several projects.** A DORA class rates one team's delivery, so classes are given per project
  and a selection of projects is summed up by how many of them are in each class
  (``class_spread``: "elite 2 · high 3 · medium 2 · low 1 of 8 projects"). ``dora_by_period``
  also classifies its pooled numbers, but that class lets the busiest projects speak for all
  (pooled deploy days are "elite" as soon as the projects together deploy on most days): show it
  only with the spread beside it.
* **Rework rate.** Deployments with ``planned = false`` / deployments whose ``planned`` is known;
  null when no deployment says.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from analytics.definitions import check_window, period_start_sql, run
from analytics.dora_classes import (
    change_failure_class,
    deployment_frequency_class,
    deployments_per_month,
    lead_time_class,
    recovery_class,
)
from analytics.filters import Filters
from analytics.teams import team_params
from core.periods import period_label
from core.settings import Settings
from store.db import Store

_NO_PERIOD = "TIMESTAMP '1970-01-01'"

# --- SQL fragments. Named parameters: $projects, $since, $until, the period's (from
# --- definitions.period_start_sql) and the finding filter's (from Filters.finding_where); {col} is the
# --- column a fragment applies to. _Query.slots fills every {slot} of a statement.
IN_PROJECTS = "(len($projects::VARCHAR[]) = 0 OR list_contains($projects::VARCHAR[], {col}))"
IN_WINDOW = "({col} >= coalesce($since::TIMESTAMP, {col}) AND {col} < $until::TIMESTAMP)"

PROD_CTE = """
prod AS (  -- successful production deployments of the selected projects, all time
    SELECT project, deployment_id, started_at, finished_at, sha, planned
    FROM deployments
    WHERE environment = 'production' AND status = 'success' AND {projects_deployments}
)"""

# Incident → deployment (docs/definitions.md §7): its deployment_id, else the first deployment containing
# cause_sha, else the latest deployment finished before the incident was created.
LINKS_CTE = """
inc AS (SELECT * FROM incidents WHERE {projects_incidents}),
by_id AS (
    SELECT i.project, i.incident_id, d.deployment_id, d.finished_at
    FROM inc i JOIN deployments d ON d.project = i.project AND d.deployment_id = i.deployment_id
),
by_cause AS (
    SELECT i.project, i.incident_id, p.deployment_id, p.finished_at
    FROM inc i
    JOIN deployment_commits dc ON dc.project = i.project AND starts_with(dc.sha, i.cause_sha)
    JOIN prod p ON p.project = dc.project AND p.deployment_id = dc.deployment_id
    QUALIFY row_number() OVER (PARTITION BY i.project, i.incident_id ORDER BY p.finished_at, p.deployment_id) = 1
),
by_time AS (
    SELECT i.project, i.incident_id, p.deployment_id, p.finished_at
    FROM inc i JOIN prod p ON p.project = i.project AND i.created_at > p.finished_at
    QUALIFY row_number() OVER (PARTITION BY i.project, i.incident_id
                               ORDER BY p.finished_at DESC, p.deployment_id DESC) = 1
),
links AS (
    SELECT i.project, i.incident_id, i.created_at, i.resolved_at,
           coalesce(a.deployment_id, b.deployment_id, c.deployment_id) AS deployment_id,
           coalesce(a.finished_at, b.finished_at, c.finished_at) AS deployment_finished_at,
           CASE WHEN a.deployment_id IS NOT NULL THEN 'deployment_id'
                WHEN b.deployment_id IS NOT NULL THEN 'cause_sha'
                WHEN c.deployment_id IS NOT NULL THEN 'previous_deployment' END AS link_rule
    FROM inc i
    LEFT JOIN by_id a USING (project, incident_id)
    LEFT JOIN by_cause b USING (project, incident_id)
    LEFT JOIN by_time c USING (project, incident_id)
),
dep_incidents AS (
    SELECT project, deployment_id, count(*) AS incidents FROM links WHERE deployment_id IS NOT NULL GROUP BY ALL
)"""

INWIN_CTE = """
inwin AS (
    SELECT p.*, {period_finished} AS period_start FROM prod p WHERE {window_finished}
)"""

# The first deployment that shipped each commit (a squash deployment's own sha is no change).
FIRST_DEPLOYMENT_CTE = """
first_dep AS (
    SELECT dc.project, dc.sha, p.deployment_id, p.finished_at
    FROM deployment_commits dc JOIN prod p USING (project, deployment_id)
    WHERE dc.source <> 'sha'
    QUALIFY row_number() OVER (PARTITION BY dc.project, dc.sha ORDER BY p.finished_at, p.deployment_id) = 1
),
lt_all AS (  -- negative lead times (a commit dated after its deployment: clock skew) included
    SELECT f.project, f.deployment_id, f.sha, w.period_start, c.committed_at, f.finished_at AS deployed_at,
           (epoch(f.finished_at) - epoch(c.committed_at)) / 86400.0 AS lead_time_days,
           f.finished_at < c.committed_at AS negative
    FROM first_dep f
    JOIN inwin w USING (project, deployment_id)
    JOIN commits c ON c.project = f.project AND c.sha = f.sha
),
lt AS (  -- zero is a valid lead time
    SELECT project, deployment_id, sha, period_start, committed_at, deployed_at, lead_time_days
    FROM lt_all WHERE NOT negative
)
"""

DORA_SQL = """
WITH {prod},
{links},
{inwin},
{first_dep},
deps AS (
    SELECT {g_w} AS project, w.period_start, count(*) AS deployments,
           count(*) FILTER (WHERE di.incidents > 0) AS failed_deployments,
           count(w.planned) AS planned_known,
           count(*) FILTER (WHERE NOT w.planned) AS unplanned
    FROM inwin w LEFT JOIN dep_incidents di USING (project, deployment_id)
    GROUP BY ALL HAVING count(*) > 0  -- (pooled, the keys are constants: no empty row)
),
unsuccessful AS (
    SELECT {g_d} AS project, {period_failed} AS period_start, count(*) AS unsuccessful_deployments
    FROM deployments d
    WHERE d.environment = 'production' AND d.status = 'failure' AND {projects_d} AND {window_failed}
    GROUP BY ALL HAVING count(*) > 0
),
projects AS (
    SELECT DISTINCT project FROM (
        SELECT unnest($projects::VARCHAR[]) AS project
        UNION ALL SELECT project FROM deployments WHERE len($projects::VARCHAR[]) = 0
        UNION ALL SELECT project FROM incidents WHERE len($projects::VARCHAR[]) = 0
    )
),
bounds AS (  -- the window of each project: since (else its first deployment) .. until
    SELECT {g_pr} AS project, coalesce($since::TIMESTAMP, min(p.finished_at)) AS start_at
    FROM projects pr LEFT JOIN prod p ON p.project = pr.project AND p.finished_at < $until::TIMESTAMP
    GROUP BY ALL
),
days AS (
    SELECT project,  -- every day from start_at's until the one before $until
           unnest(generate_series(date_trunc('day', start_at), $until::TIMESTAMP - INTERVAL 1 MICROSECOND,
                                  INTERVAL 1 DAY)) AS day
    FROM bounds WHERE start_at < $until::TIMESTAMP
),
deploy_days AS (SELECT DISTINCT {g} AS project, date_trunc('day', finished_at) AS day FROM inwin),
weeks AS (
    SELECT d.project, {period_day} AS period_start, date_trunc('week', d.day) AS week,
           count(dd.day) AS deploy_days, count(*) AS days
    FROM days d LEFT JOIN deploy_days dd USING (project, day)
    GROUP BY ALL
),
freq AS (
    SELECT project, period_start, median(deploy_days) AS deploy_days_per_week_median, sum(days) AS window_days
    FROM weeks GROUP BY ALL
),
lead AS (
    SELECT {g} AS project, period_start,
           count(*) FILTER (WHERE NOT negative) AS lead_time_commits,
           count(*) FILTER (WHERE negative) AS lead_time_negative,
           median(lead_time_days) FILTER (WHERE NOT negative) AS lead_time_median_days,
           quantile_cont(lead_time_days, 0.9) FILTER (WHERE NOT negative) AS lead_time_p90_days
    FROM lt_all GROUP BY ALL HAVING count(*) > 0
),
rec AS (
    SELECT {g} AS project, {period_resolved} AS period_start,
           (epoch(resolved_at) - epoch(coalesce(deployment_finished_at, created_at))) / 3600.0 AS hours
    FROM links WHERE resolved_at IS NOT NULL AND {window_resolved}
),
recovery AS (
    SELECT project, period_start, count(*) AS incidents_resolved, median(hours) AS recovery_median_hours
    FROM rec GROUP BY ALL HAVING count(*) > 0
),
keys AS (
    SELECT project, period_start FROM freq
    UNION SELECT project, period_start FROM deps
    UNION SELECT project, period_start FROM unsuccessful
    UNION SELECT project, period_start FROM recovery
)
SELECT k.project, k.period_start,
       coalesce(d.deployments, 0) AS deployments,
       coalesce(d.failed_deployments, 0) AS failed_deployments,
       coalesce(u.unsuccessful_deployments, 0) AS unsuccessful_deployments,
       coalesce(f.window_days, 0) AS window_days,
       f.deploy_days_per_week_median,
       coalesce(l.lead_time_commits, 0) AS lead_time_commits,
       coalesce(l.lead_time_negative, 0) AS lead_time_negative,
       l.lead_time_median_days, l.lead_time_p90_days,
       CASE WHEN d.deployments > 0 THEN d.failed_deployments / d.deployments END AS change_failure_rate,
       coalesce(r.incidents_resolved, 0) AS incidents_resolved,
       r.recovery_median_hours,
       CASE WHEN d.planned_known > 0 THEN d.unplanned / d.planned_known END AS rework_rate
FROM keys k
LEFT JOIN deps d USING (project, period_start)
LEFT JOIN unsuccessful u USING (project, period_start)
LEFT JOIN freq f USING (project, period_start)
LEFT JOIN lead l USING (project, period_start)
LEFT JOIN recovery r USING (project, period_start)
ORDER BY k.project, k.period_start
"""

LEAD_TIMES_SQL = """
WITH {prod},
{inwin},
{first_dep}
SELECT project, deployment_id, sha, period_start, committed_at, deployed_at, lead_time_days
FROM lt ORDER BY project, deployed_at, deployment_id, committed_at, sha
"""

TIMELINE_SQL = """
WITH {prod},
{links},
shipped AS (
    SELECT project, deployment_id, count(*) FILTER (WHERE source <> 'sha') AS commit_count
    FROM deployment_commits GROUP BY ALL
)
SELECT d.project, d.deployment_id, {period_finished} AS period_start, d.environment, d.status,
       d.started_at, d.finished_at, (epoch(d.finished_at) - epoch(d.started_at)) / 60.0 AS duration_minutes,
       d.sha, coalesce(s.commit_count, 0) AS commit_count, d.planned, coalesce(di.incidents, 0) AS incidents
FROM deployments d
LEFT JOIN shipped s USING (project, deployment_id)
LEFT JOIN dep_incidents di USING (project, deployment_id)
WHERE {projects_d} AND {window_finished}
ORDER BY d.finished_at, d.project, d.deployment_id
"""


class Query:
    """The query builder of the DORA statements (and of ``analytics.security_delivery``'s): fills
    the named slots of a statement and keeps the parameters it needs. ``pooled``: the
    aggregates of DORA_SQL over all selected projects at once (project = '*')."""

    def __init__(self, filters: Filters, period: str | None, settings: Settings, pooled: bool = False):
        self.period = period
        self.settings = settings
        self.pooled = pooled
        self.params: dict[str, Any] = {
            "projects": list(filters.projects),
            "since": filters.since,
            "until": filters.window_end(),
        }
        check_window(filters)
        self.finding_where, fw = filters.finding_where("f")
        self.params.update(fw | team_params(settings))

    def period_of(self, column: str) -> str:
        if self.period is None:
            return _NO_PERIOD
        sql, values = period_start_sql(self.period, column, self.settings)
        self.params.update(values)
        return sql

    def slots(self) -> dict[str, str]:
        p, w = IN_PROJECTS.format, IN_WINDOW.format
        prod = PROD_CTE.format(projects_deployments=p(col="project"))
        inwin = INWIN_CTE.format(
            period_finished=self.period_of("p.finished_at"), window_finished=w(col="p.finished_at")
        )

        def g(column: str) -> str:
            return "'*'" if self.pooled else column

        return {
            "g": g("project"),
            "g_w": g("w.project"),
            "g_d": g("d.project"),
            "g_pr": g("pr.project"),
            "prod": prod,
            "links": LINKS_CTE.format(projects_incidents=p(col="project")),
            "inwin": inwin,
            "first_dep": FIRST_DEPLOYMENT_CTE,
            "projects_d": p(col="d.project"),
            "period_failed": self.period_of("d.finished_at"),
            "window_failed": w(col="d.finished_at"),
            "period_finished": self.period_of("d.finished_at"),
            "window_finished": w(col="d.finished_at"),
            "period_day": self.period_of("d.day"),
            "period_resolved": self.period_of("resolved_at"),
            "window_resolved": w(col="resolved_at"),
        }

    def run(self, store: Store, template: str, **more: str) -> pd.DataFrame:
        """The statement with every slot filled (``more``: slots of a caller's own fragments)."""
        df = run(store, template.format(**(self.slots() | more)), self.params)
        if "period_start" in df.columns:
            if self.period is None:
                df = df.drop(columns=["period_start"])
            else:
                labels = [
                    period_label(self.period, ts, self.settings) if pd.notna(ts) else None for ts in df["period_start"]
                ]
                df.insert(df.columns.get_loc("period_start") + 1, "period", labels)
        return df


def query(filters: Filters, period: str | None, settings: Settings | None, pooled: bool = False) -> Query:
    return Query(filters, period, settings or Settings(), pooled)


DORA_COLUMNS = (
    "project",
    "deployments",
    "failed_deployments",
    "unsuccessful_deployments",
    "window_days",
    "deploy_days_per_week_median",
    "deployments_per_month",
    "deployment_frequency_class",
    "lead_time_commits",
    "lead_time_negative",
    "lead_time_median_days",
    "lead_time_p90_days",
    "lead_time_class",
    "change_failure_rate",
    "change_failure_class",
    "incidents_resolved",
    "recovery_median_hours",
    "recovery_class",
    "rework_rate",
)


def _dora(store: Store, filters: Filters, period: str | None, settings: Settings | None, pooled: bool) -> pd.DataFrame:
    df = query(filters, period, settings, pooled).run(store, DORA_SQL)
    df["deployments_per_month"] = [
        deployments_per_month(int(n), float(d)) for n, d in zip(df["deployments"], df["window_days"], strict=True)
    ]
    df["deployment_frequency_class"] = [
        deployment_frequency_class(m, int(n), float(d))
        for m, n, d in zip(df["deploy_days_per_week_median"], df["deployments"], df["window_days"], strict=True)
    ]
    df["lead_time_class"] = [lead_time_class(v) for v in df["lead_time_median_days"]]
    df["change_failure_class"] = [change_failure_class(v) for v in df["change_failure_rate"]]
    df["recovery_class"] = [recovery_class(v) for v in df["recovery_median_hours"]]
    lead = ["project", *(["period_start", "period"] if period else [])]
    return df[[*lead, *DORA_COLUMNS[1:]]].reset_index(drop=True)


def dora(store: Store, filters: Filters, period: str | None = None, settings: Settings | None = None) -> pd.DataFrame:
    """One row per project (and per period when ``period`` is given: ``period_start``, ``period``
    after ``project``) with the four DORA keys, their classes and the rework rate (``DORA_COLUMNS``)."""
    return _dora(store, filters, period, settings, pooled=False)


def dora_by_period(
    store: Store, filters: Filters, period: str | None = None, settings: Settings | None = None
) -> pd.DataFrame:
    """The same columns as ``dora`` without ``project``: all selected projects pooled (medians over
    all their commits/incidents, deploy days = days with a deployment of any of them), one row per
    period (or one row when ``period`` is None)."""
    return _dora(store, filters, period, settings, pooled=True).drop(columns=["project"])


def lead_times(
    store: Store, filters: Filters, period: str | None = None, settings: Settings | None = None
) -> pd.DataFrame:
    """One row per (project, deployment_id, sha): each commit at the first deployment that shipped
    it, for deployments finished in the window; columns project, deployment_id, sha, [period_start,
    period], committed_at, deployed_at, lead_time_days (≥ 0; commits dated after their deployment
    are left out here and counted in ``dora``'s ``lead_time_negative``)."""
    return query(filters, period, settings).run(store, LEAD_TIMES_SQL)


def deployments_timeline(
    store: Store, filters: Filters, period: str | None = None, settings: Settings | None = None
) -> pd.DataFrame:
    """Every deployment (any environment and status) finished in the window: project,
    deployment_id, [period_start, period], environment, status, started_at, finished_at,
    duration_minutes, sha, commit_count, planned, incidents (linked)."""
    return query(filters, period, settings).run(store, TIMELINE_SQL)


def dora_headline(store: Store, filters: Filters, settings: Settings | None = None) -> dict[str, dict[str, Any]]:
    """Per project: deployments, lead_time_median_days, lead_time_commits (the n behind the median),
    lead_time_negative (commits dated after their deployment, left out: a data-quality warning),
    change_failure_rate, recovery_median_hours, deployment_frequency_class — None where there is
    nothing to compute."""
    counts = ("deployments", "lead_time_commits", "lead_time_negative")
    keys = (
        "deployments",
        "lead_time_median_days",
        "lead_time_commits",
        "lead_time_negative",
        "change_failure_rate",
        "recovery_median_hours",
        "deployment_frequency_class",
    )
    out: dict[str, dict[str, Any]] = {}
    for row in dora(store, filters, None, settings).to_dict("records"):
        values: dict[str, Any] = {}
        for key in keys:
            v = row[key]
            if v is None or (isinstance(v, float) and math.isnan(v)):
                values[key] = None
            elif key in counts:
                values[key] = int(v)
            else:
                values[key] = float(v) if not isinstance(v, str) else v
        out[str(row["project"])] = values
    return out
