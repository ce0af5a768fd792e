"""What is in the store: filter options, loaded files and scans, rejected files."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analytics.filters import Filters
from store.db import Store, query_df

OPTIONS_SQL = """
SELECT 'project' AS kind, project AS value FROM streams
UNION SELECT 'branch', branch FROM streams
UNION SELECT 'tool', tool FROM streams
UNION SELECT 'severity', severity FROM findings
ORDER BY kind, value
"""

SCANS_SQL = """
SELECT s.scanned_at, s.project, s.branch, s.tool, s.tool_name, s.tool_version, s.category, s.commit_sha,
       s.results_total, s.occurrences, s.skipped, s.scanned_at_source, fl.path AS file, fl.loaded_at, s.scan_id
FROM scans s JOIN files fl USING (file_key)
WHERE {where}
ORDER BY s.scanned_at DESC, s.tool, s.scan_id
LIMIT $limit
"""

REJECTIONS_SQL = "SELECT rejected_at, path, reason, sha256 FROM rejections ORDER BY rejected_at DESC LIMIT $limit"
COUNTS_SQL = "SELECT (SELECT count(*) FROM files), (SELECT count(*) FROM scans), (SELECT count(*) FROM findings)"


@dataclass(frozen=True)
class Options:
    projects: tuple[str, ...]
    branches: tuple[str, ...]
    tools: tuple[str, ...]
    severities: tuple[str, ...]


def options(store: Store) -> Options:
    with store.read() as conn:
        df = query_df(conn, OPTIONS_SQL)
    from ingest.models import Severity

    by = {k: tuple(g["value"].tolist()) for k, g in df.groupby("kind")}
    order = [s.value for s in Severity]
    sev = tuple(sorted(by.get("severity", ()), key=lambda s: order.index(s) if s in order else 99))
    return Options(by.get("project", ()), by.get("branch", ()), by.get("tool", ()), sev)


def counts(store: Store) -> tuple[int, int, int]:
    """(files, scans, findings): is there anything to show?"""
    with store.read() as conn:
        row = query_df(conn, COUNTS_SQL).iloc[0].tolist()
    return int(row[0]), int(row[1]), int(row[2])


def scans(store: Store, filters: Filters, limit: int = 5000) -> pd.DataFrame:
    """Loaded scans, newest first, with their file (project/branch/tool filters and the window)."""
    where, params = Filters(projects=filters.projects, branches=filters.branches, tools=filters.tools).finding_where(
        "s"
    )
    clauses = [where]
    if filters.since:
        clauses.append("s.scanned_at >= $since")
        params["since"] = filters.since
    if filters.until:
        clauses.append("s.scanned_at < $until")
        params["until"] = filters.until
    with store.read() as conn:
        return query_df(conn, SCANS_SQL.format(where=" AND ".join(clauses)), params | {"limit": limit})


def rejections(store: Store, limit: int = 1000) -> pd.DataFrame:
    with store.read() as conn:
        return query_df(conn, REJECTIONS_SQL, {"limit": limit})
