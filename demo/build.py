"""Write a demo tree: SARIF files per project and scanner, the DevOps CSVs and the ground truth.

<out>/sarif/<owner>/<name>/<tool>/<scan time>.sarif
<out>/devops/commits.csv, deployments.csv, incidents.csv
<out>/truth.json      the episodes the model intends (project, tool, rule_id, path, seq, opened_at,
                      closed_at, status) and the counts
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import orjson

from core.errors import UsageError
from demo.devops import DeploymentRow, IncidentRow, commits_csv, deployments_csv, incidents_csv, make_devops
from demo.generate import (
    HISTORY_DAYS,
    Commit,
    Episode,
    Plan,
    ProjectSpec,
    make_commits,
    make_stream,
    scan_docs,
    scan_points,
)
from demo.writers import render

# --- the files --------------------------------------------------------------------------------------

TRUTH = "truth.json"
SARIF_DIR, DEVOPS_DIR = "sarif", "devops"
COMMITS_CSV, DEPLOYMENTS_CSV, INCIDENTS_CSV = "commits.csv", "deployments.csv", "incidents.csv"
# Mean results per scan of a stream at volume 1, measured over seeds 1–3 at scale 1 (the teams'
# speeds average out); for the up-front estimate of a plan's occurrences (streams' findings, so
# their results per scan, grow with the plan's volume).
RESULTS_PER_SCAN = {"codeql": 14, "semgrep": 39, "bandit": 64, "trivy": 13, "gitleaks": 2, "checkov": 43}


@dataclass(frozen=True, slots=True)
class Generated:
    out: Path
    sarif_files: tuple[Path, ...]
    projects: int
    streams: int
    scans: int
    occurrences: int
    findings: int
    episodes: int
    commits: int
    deployments: int
    incidents: int
    sarif_bytes: int

    def as_dict(self) -> dict[str, object]:
        return {
            "out": str(self.out),
            "projects": self.projects,
            "streams": self.streams,
            "files": len(self.sarif_files),
            "scans": self.scans,
            "occurrences": self.occurrences,
            "findings": self.findings,
            "episodes": self.episodes,
            "commits": self.commits,
            "deployments": self.deployments,
            "incidents": self.incidents,
            "sarif_bytes": self.sarif_bytes,
        }


def estimate_occurrences(plan: Plan) -> int:
    """About how many results the plan writes (within ~15 % for seeds 1–3), before writing any."""
    scans = 1.5 + HISTORY_DAYS / 7.0 * plan.scans_per_week
    per_scan = sum(RESULTS_PER_SCAN[t] * p.volume for p in plan.projects for t in p.tools)
    return round(scans * per_scan * plan.volume)


def default_out(seed: int, scale: float) -> Path:
    return Path("data") / "demo" / f"seed-{seed}-scale-{scale:g}"


def _prepare(out: Path) -> None:
    """Empty a previous demo tree (only the parts we write); refuse any other non-empty directory."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} exists and is not a directory")
    if out.is_dir() and any(out.iterdir()):
        if not (out / TRUTH).is_file():
            raise UsageError(f"{out} is not empty and holds no demo ({TRUTH}); choose another --out")
        for sub in (SARIF_DIR, DEVOPS_DIR):
            if (out / sub).is_dir():
                shutil.rmtree(out / sub)
        (out / TRUTH).unlink()
    out.mkdir(parents=True, exist_ok=True)


def _episode_dict(e: Episode) -> dict[str, object]:
    return {
        "project": e.project,
        "tool": e.tool,
        "rule_id": e.rule_id,
        "path": e.path,
        "seq": e.seq,
        "opened_at": e.opened_at.isoformat(),
        "closed_at": e.closed_at.isoformat() if e.closed_at else None,
        "status": e.status,
    }


def write_demo(plan: Plan, out: Path) -> Generated:
    """Write every SARIF file, the DevOps CSVs and the ground truth under ``out``."""
    _prepare(out)
    files: list[Path] = []
    episodes: list[Episode] = []
    commit_lists: list[tuple[ProjectSpec, list[Commit]]] = []
    deployments: list[DeploymentRow] = []
    incidents: list[IncidentRow] = []
    scans = occurrences = findings = size = streams = 0
    for project in plan.projects:
        commits = make_commits(plan, project)
        commit_lists.append((project, commits))
        for tool in project.tools:
            streams += 1
            stream = make_stream(plan, project, tool, commits)
            docs, stream_episodes, seen = scan_docs(stream, scan_points(plan, project, tool, commits), commits)
            episodes.extend(stream_episodes)
            findings += seen
            folder = out / SARIF_DIR / project.name / tool
            folder.mkdir(parents=True, exist_ok=True)
            for doc in docs:
                data = render(doc)
                path = folder / f"{doc.scanned_at:%Y-%m-%dT%H%M%SZ}.sarif"
                path.write_bytes(data)
                files.append(path)
                scans += 1
                occurrences += len(doc.results)
                size += len(data)
        deps, incs = make_devops(plan, project, commits)
        deployments.extend(deps)
        incidents.extend(incs)
    devops = out / DEVOPS_DIR
    devops.mkdir(parents=True, exist_ok=True)
    (devops / COMMITS_CSV).write_bytes(commits_csv(commit_lists))
    (devops / DEPLOYMENTS_CSV).write_bytes(deployments_csv(deployments))
    (devops / INCIDENTS_CSV).write_bytes(incidents_csv(incidents))
    truth = {
        "generator": {"seed": plan.seed, "scale": plan.scale, "end": plan.end.isoformat()},
        "projects": [
            {"name": p.name, "language": p.language, "team": p.team, "profile": p.profile, "tools": list(p.tools)}
            for p in plan.projects
        ],
        "counts": {"scans": scans, "occurrences": occurrences, "findings": findings, "episodes": len(episodes)},
        "episodes": [_episode_dict(e) for e in episodes],
    }
    (out / TRUTH).write_bytes(orjson.dumps(truth, option=orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE))
    return Generated(
        out=out,
        sarif_files=tuple(sorted(files)),
        projects=len(plan.projects),
        streams=streams,
        scans=scans,
        occurrences=occurrences,
        findings=findings,
        episodes=len(episodes),
        commits=sum(len(c) for _, c in commit_lists),
        deployments=len(deployments),
        incidents=len(incidents),
        sarif_bytes=size,
    )
