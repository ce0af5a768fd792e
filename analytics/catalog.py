"""What is in the store: filter options, loaded files and scans, rejected files."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from analytics.filters import Filters
from analytics.teams import TEAM_RULES, team_params
from core.settings import Settings
from core.severity import rank
from core.teams import UNOWNED
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
LIMIT $limit OFFSET $offset
"""

KNOWN_SQL = """
SELECT 'cwe' AS kind, unnest(cwes) AS value FROM findings
UNION SELECT 'rule', rule_id FROM findings
"""

SCAN_COUNT_SQL = "SELECT count(*) FROM scans s WHERE {where}"
LAST_SCAN_SQL = "SELECT max(s.scanned_at) AS t FROM scans s WHERE {where}"

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
    by = {k: tuple(g["value"].tolist()) for k, g in df.groupby("kind")}
    sev = tuple(sorted(by.get("severity", ()), key=rank))
    return Options(by.get("project", ()), by.get("branch", ()), by.get("tool", ()), sev)


TEAMS_SQL = f"SELECT DISTINCT tr.team FROM {TEAM_RULES} tr"


def teams(store: Store, settings: Settings) -> list[str]:
    """Every team a rule can give (the config's in file order, then the CODEOWNERS owners' sorted),
    and ``unowned`` last; just ``unowned`` when there are no rules."""
    with store.read() as conn:
        found = set(query_df(conn, TEAMS_SQL, team_params(settings))["team"])
    named = [t for t in settings.team_names if t in found]
    return [*named, *sorted(found - {*named, UNOWNED}), UNOWNED]


def unmatched(store: Store, filters: Filters) -> list[str]:
    """One warning per filter value that matches nothing in the store, naming the closest known
    values (a typo gives empty results that look like good news)."""
    opts = options(store)
    known: dict[str, tuple[str, ...]] = {
        "project": opts.projects,
        "branch": opts.branches,
        "tool": opts.tools,
        "severity": opts.severities,
    }
    if filters.cwes or filters.rules:
        with store.read() as conn:
            df = query_df(conn, KNOWN_SQL)
        for kind, group in df.groupby("kind"):
            known[str(kind)] = tuple(str(v) for v in group["value"].dropna())
    out = []
    for kind, values in (
        ("project", filters.projects),
        ("branch", filters.branches),
        ("tool", filters.tools),
        ("severity", filters.severities),
        ("cwe", filters.cwes),
        ("rule", filters.rules),
    ):
        choices = known.get(kind, ())
        for value in values:
            if value in choices:
                continue
            close = difflib.get_close_matches(value, choices, n=3, cutoff=0.5)
            hint = f"; closest: {', '.join(close)}" if close else ("" if choices else f"; no {kind} is loaded")
            out.append(f"--{kind} {value!r} matches nothing{hint}")
    return out


def last_scan_at(store: Store, filters: Filters) -> datetime | None:
    """The latest scan of the selected projects, branches and tools (where the data ends)."""
    where, params = Filters(projects=filters.projects, branches=filters.branches, tools=filters.tools).finding_where(
        "s"
    )
    with store.read() as conn:
        t = query_df(conn, LAST_SCAN_SQL.format(where=where), params)["t"].iloc[0]
    return None if pd.isna(t) else pd.Timestamp(t).to_pydatetime()


def counts(store: Store) -> tuple[int, int, int]:
    """(files, scans, findings): is there anything to show?"""
    with store.read() as conn:
        row = query_df(conn, COUNTS_SQL).iloc[0].tolist()
    return int(row[0]), int(row[1]), int(row[2])


def _scan_where(filters: Filters) -> tuple[str, dict[str, Any]]:
    """Scans of the selected projects, branches and tools, scanned inside the window."""
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
    return " AND ".join(clauses), params


def scans(store: Store, filters: Filters, limit: int | None = None, offset: int = 0) -> pd.DataFrame:
    """Loaded scans, newest first, with their file (project/branch/tool filters and the window):
    all of them, or the page of ``limit`` rows from ``offset``."""
    where, params = _scan_where(filters)
    with store.read() as conn:
        return query_df(conn, SCANS_SQL.format(where=where), params | {"limit": limit, "offset": offset})


def scan_count(store: Store, filters: Filters) -> int:
    where, params = _scan_where(filters)
    with store.read() as conn:
        return int(query_df(conn, SCAN_COUNT_SQL.format(where=where), params).iloc[0, 0])


def rejections(store: Store, limit: int = 1000) -> pd.DataFrame:
    with store.read() as conn:
        return query_df(conn, REJECTIONS_SQL, {"limit": limit})
