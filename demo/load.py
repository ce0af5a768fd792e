"""Load a generated demo tree through the normal ingest path.

SARIF files go through ``ingest.pipeline.ingest_many`` with no metadata given (the logs carry
their project, branch, commit and scan time); deployments and incidents through the DevOps
loaders. Commits have no file loader (the CLI reads them from git), so ``load_commits`` upserts
the generated ``commits.csv`` with one Arrow bulk insert and rebuilds the deployments' commit sets.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from core.errors import Rejected, StoreBusy, StoreUnavailable
from core.times import parse_time
from demo.build import COMMITS_CSV, DEPLOYMENTS_CSV, DEVOPS_DIR, INCIDENTS_CSV
from ingest.devops.load import UPSERT_COMMITS, load_deployments, load_incidents, recompute_deployment_commits
from ingest.devops.records import DevopsOutcome
from ingest.models import ScanMeta
from ingest.normalise.options import Options
from ingest.pipeline import BUSY, UNAVAILABLE, Progress, Report, ingest_many
from store import sql
from store.db import Store


@dataclass(frozen=True, slots=True)
class Loaded:
    report: Report
    commits: int
    deployments: DevopsOutcome
    incidents: DevopsOutcome


def _commits_table(path: Path) -> pa.Table:
    cols: dict[str, list[object]] = {k: [] for k in ("project", "sha", "authored_at", "committed_at", "parents")}
    with path.open(encoding="utf-8", newline="") as fh:
        for n, row in enumerate(csv.DictReader(fh), start=2):
            authored, committed = parse_time(row["authored_at"]), parse_time(row["committed_at"])
            if authored is None or committed is None:
                raise Rejected(f"{path}: line {n}: unreadable time")
            cols["project"].append(row["project"])
            cols["sha"].append(row["sha"])
            cols["authored_at"].append(authored)
            cols["committed_at"].append(committed)
            cols["parents"].append(row["parents"].split())
    return pa.table(
        {
            "project": pa.array(cols["project"], pa.string()),
            "sha": pa.array(cols["sha"], pa.string()),
            "authored_at": pa.array(cols["authored_at"], pa.timestamp("us")),
            "committed_at": pa.array(cols["committed_at"], pa.timestamp("us")),
            "parents": pa.array(cols["parents"], pa.list_(pa.string())),
        }
    )


def load_commits(store: Store, path: Path) -> int:
    """Upsert the commits of a ``project,sha,authored_at,committed_at,parents`` CSV in one transaction."""
    table = _commits_table(path)
    projects = sorted(set(table.column("project").to_pylist()))
    with store.write() as conn:
        sql.append(conn, "new_commits", table, UPSERT_COMMITS)
        recompute_deployment_commits(conn, projects)
    return table.num_rows


def load_demo(store: Store, out: Path, sarif_files: Sequence[Path], progress: Progress | None = None) -> Loaded:
    report = ingest_many(store, [(p, ScanMeta()) for p in sarif_files], Options(), progress)
    stopped = next((f for f in report.files if f.status in (BUSY, UNAVAILABLE)), None)
    if stopped is not None:  # the store went away or stayed locked: the rest waits for a rerun
        error = StoreBusy if stopped.status == BUSY else StoreUnavailable
        left = report.busy + report.unavailable
        raise error(
            f"{stopped.reason}; {left} of {len(report.files)} SARIF file(s) not loaded "
            "(run the same command again: files already loaded are skipped)"
        )
    devops = out / DEVOPS_DIR
    commits = load_commits(store, devops / COMMITS_CSV)
    deployments = load_deployments(store, devops / DEPLOYMENTS_CSV)
    incidents = load_incidents(store, devops / INCIDENTS_CSV)
    return Loaded(report, commits, deployments, incidents)
