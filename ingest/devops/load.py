"""Writing DevOps inputs into the store: every SQL statement of DevOps loading lives here.

``load_git`` and ``load_records`` read and validate a whole input first (``ingest.devops.git``,
``ingest.devops.files``), then write it in one transaction with Arrow bulk inserts, so a rejected
or interrupted input never leaves half its rows behind. Files are read as regular files only (a
FIFO or a device is refused at once, never waited on or read without end), at most
``FINDINGS_MAX_FILE_BYTES``.

Loading the same file bytes again (same kind and ``--project``) is a no-op. Re-reading a git
repository upserts its commits and replaces the deployments its tags stood for. After every load
the derived ``deployment_commits`` table is rebuilt for the projects the load touched
(``ingest.devops.commits`` works out the rows).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from core.errors import UsageError
from ingest.devops.commits import derive_commit_sets
from ingest.devops.files import parse_records
from ingest.devops.git import read_git
from ingest.devops.records import PRODUCTION, Commit, Deployment, DeploymentRef, DevopsOutcome, Incident, SourceKind
from ingest.reader import max_file_bytes, read_file
from store import sql
from store.db import Store

if TYPE_CHECKING:
    from store.sql import Connection

IS_LOADED = "SELECT 1 FROM devops_sources WHERE source_key = ?"
UPSERT_SOURCE = """
INSERT INTO devops_sources VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (source_key) DO UPDATE SET kind = excluded.kind, path = excluded.path, sha256 = excluded.sha256,
    rows = excluded.rows, loaded_at = excluded.loaded_at
"""
# The commits of a table named ``new_commits`` (also the demo loader's).
UPSERT_COMMITS = """
INSERT INTO commits SELECT project, sha, authored_at, committed_at, parents FROM new_commits
ON CONFLICT (project, sha) DO UPDATE SET authored_at = excluded.authored_at,
    committed_at = excluded.committed_at, parents = excluded.parents
"""
COUNT_COMMITS = "SELECT count(*) FROM commits WHERE project = ?"
DELETE_SOURCE_DEPLOYMENTS = "DELETE FROM deployments WHERE source_key = ?"
UPSERT_DEPLOYMENTS = """
INSERT INTO deployments
SELECT deployment_id, project, environment, started_at, finished_at, status, sha, commits, planned, source_key
FROM new_deployments
ON CONFLICT (project, deployment_id) DO UPDATE SET environment = excluded.environment,
    started_at = excluded.started_at, finished_at = excluded.finished_at, status = excluded.status,
    sha = excluded.sha, commits = excluded.commits, planned = excluded.planned, source_key = excluded.source_key
"""
UPSERT_INCIDENTS = """
INSERT INTO incidents
SELECT incident_id, project, created_at, resolved_at, deployment_id, cause_sha, source_key FROM new_incidents
ON CONFLICT (project, incident_id) DO UPDATE SET created_at = excluded.created_at,
    resolved_at = excluded.resolved_at, deployment_id = excluded.deployment_id, cause_sha = excluded.cause_sha,
    source_key = excluded.source_key
"""
DEPLOYMENT_REFS_SQL = """
SELECT deployment_id, environment, status, sha, commits FROM deployments WHERE project = ?
ORDER BY environment, finished_at, started_at, deployment_id
"""
COMMIT_GRAPH_SQL = "SELECT sha, parents FROM commits WHERE project = ?"
DELETE_DEPLOYMENT_COMMITS = "DELETE FROM deployment_commits WHERE project = ?"
INSERT_DEPLOYMENT_COMMITS = "INSERT INTO deployment_commits SELECT project, deployment_id, sha, source FROM new_dc"


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _read_bytes(path: str | os.PathLike[str]) -> bytes:
    """The file's bytes: a regular file only, at most ``FINDINGS_MAX_FILE_BYTES``."""
    return read_file(Path(path), max_file_bytes())


def _key(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def _deployments_table(deps: Sequence[Deployment], source_key: str) -> pa.Table:
    return pa.table(
        {
            "deployment_id": [d.deployment_id for d in deps],
            "project": [d.project for d in deps],
            "environment": [d.environment for d in deps],
            "started_at": pa.array([d.started_at for d in deps], pa.timestamp("us")),
            "finished_at": pa.array([d.finished_at for d in deps], pa.timestamp("us")),
            "status": [d.status.value for d in deps],
            "sha": [d.sha for d in deps],
            "commits": pa.array(
                [list(d.commits) if d.commits is not None else None for d in deps], pa.list_(pa.string())
            ),
            "planned": pa.array([d.planned for d in deps], pa.bool_()),
            "source_key": [source_key] * len(deps),
        }
    )


def _incidents_table(incs: Sequence[Incident], source_key: str) -> pa.Table:
    return pa.table(
        {
            "incident_id": [i.incident_id for i in incs],
            "project": [i.project for i in incs],
            "created_at": pa.array([i.created_at for i in incs], pa.timestamp("us")),
            "resolved_at": pa.array([i.resolved_at for i in incs], pa.timestamp("us")),
            "deployment_id": pa.array([i.deployment_id for i in incs], pa.string()),
            "cause_sha": pa.array([i.cause_sha for i in incs], pa.string()),
            "source_key": [source_key] * len(incs),
        }
    )


def _commits_table(project: str, commits: Sequence[Commit]) -> pa.Table:
    return pa.table(
        {
            "project": [project] * len(commits),
            "sha": [c.sha for c in commits],
            "authored_at": pa.array([c.authored_at for c in commits], pa.timestamp("us")),
            "committed_at": pa.array([c.committed_at for c in commits], pa.timestamp("us")),
            "parents": pa.array([list(c.parents) for c in commits], pa.list_(pa.string())),
        }
    )


def recompute_deployment_commits(conn: Connection, projects: Iterable[str]) -> int:
    """Rebuild ``deployment_commits`` of these projects inside the caller's transaction."""
    total = 0
    for project in sorted(set(projects)):
        graph = {sha: tuple(parents) for sha, parents in sql.rows(conn, COMMIT_GRAPH_SQL, [project])}
        refs = [
            DeploymentRef(i, env, status, sha, tuple(commits) if commits is not None else None)
            for i, env, status, sha, commits in sql.rows(conn, DEPLOYMENT_REFS_SQL, [project])
        ]
        rows = derive_commit_sets(graph, refs)
        sql.execute(conn, DELETE_DEPLOYMENT_COMMITS, [project])
        if rows:
            table = pa.table(
                {
                    "project": [project] * len(rows),
                    "deployment_id": [r[0] for r in rows],
                    "sha": [r[1] for r in rows],
                    "source": [r[2] for r in rows],
                }
            )
            sql.append(conn, "new_dc", table, INSERT_DEPLOYMENT_COMMITS)
        total += len(rows)
    return total


def load_git(
    store: Store,
    repo_path: str | os.PathLike[str],
    project: str,
    branch: str | None = None,
    tags_glob: str | None = None,
    environment: str = PRODUCTION,
) -> DevopsOutcome:
    """Read a repository and upsert its commits (and tag deployments) in one transaction."""
    if not project.strip():
        raise UsageError("a git repository needs --project")
    history = read_git(repo_path, project, branch, tags_glob, environment)
    repo = str(Path(history.repo).resolve())
    key = _key(
        SourceKind.GIT.value, project, repo, branch or "", tags_glob if tags_glob is not None else "", environment
    )
    with store.write() as conn:
        before = sql.rows(conn, COUNT_COMMITS, [project])[0][0]
        if history.commits:
            sql.append(conn, "new_commits", _commits_table(project, history.commits), UPSERT_COMMITS)
        sql.execute(conn, DELETE_SOURCE_DEPLOYMENTS, [key])
        if history.deployments:
            sql.append(conn, "new_deployments", _deployments_table(history.deployments, key), UPSERT_DEPLOYMENTS)
        after = sql.rows(conn, COUNT_COMMITS, [project])[0][0]
        rows = len(history.commits) + len(history.deployments)
        sql.execute(conn, UPSERT_SOURCE, [key, SourceKind.GIT.value, repo, history.digest, rows, _utcnow()])
        recompute_deployment_commits(conn, [project])
    return DevopsOutcome(
        SourceKind.GIT,
        os.fspath(repo_path),
        key,
        False,
        len(history.commits),
        (project,),
        commits_new=int(after - before),
        deployments=len(history.deployments),
        warnings=history.warnings,
    )


def load_records(
    store: Store, path: str | os.PathLike[str], kind: SourceKind, project: str | None = None
) -> DevopsOutcome:
    """Load a deployments or incidents file: all rows or none; the same bytes again are a no-op."""
    if kind is SourceKind.GIT:
        raise ValueError("use load_git for repositories")
    name = os.fspath(path)
    data = _read_bytes(path)
    sha = hashlib.sha256(data).hexdigest()
    key = _key(sha, kind.value, project or "")
    parsed = parse_records(data, name, kind, project)
    projects = tuple(sorted({r.project for r in parsed.records}))
    with store.write() as conn:
        if sql.rows(conn, IS_LOADED, [key]):
            return DevopsOutcome(kind, name, key, True, 0, projects, warnings=parsed.warnings)
        if kind is SourceKind.DEPLOYMENTS:
            sql.append(conn, "new_deployments", _deployments_table(parsed.records, key), UPSERT_DEPLOYMENTS)
        else:
            sql.append(conn, "new_incidents", _incidents_table(parsed.records, key), UPSERT_INCIDENTS)
        sql.execute(conn, UPSERT_SOURCE, [key, kind.value, name, sha, len(parsed.records), _utcnow()])
        if kind is SourceKind.DEPLOYMENTS:
            recompute_deployment_commits(conn, projects)
    deployments = len(parsed.records) if kind is SourceKind.DEPLOYMENTS else 0
    return DevopsOutcome(
        kind, name, key, False, len(parsed.records), projects, deployments=deployments, warnings=parsed.warnings
    )


def load_deployments(store: Store, path: str | os.PathLike[str], project: str | None = None) -> DevopsOutcome:
    return load_records(store, path, SourceKind.DEPLOYMENTS, project)


def load_incidents(store: Store, path: str | os.PathLike[str], project: str | None = None) -> DevopsOutcome:
    return load_records(store, path, SourceKind.INCIDENTS, project)
