# ruff: noqa: S311 — seeded pseudo-random numbers are the point here: reproducible, not secret.
"""Deployments and incidents of the demo (docs/definitions.md §7), and the DevOps CSV files.

Each project follows a DORA profile (``demo.generate.PROFILES``): a daily deployer ships
the commits of the day several times a day, weekly and four-weekly ones ship on a Wednesday, a
quarterly one every ~11 weeks. A deployment ships every commit made since the last successful one
(its ``commits`` list); some fail (status ``failure``) and are retried unplanned; some successful
ones cause an incident, linked by ``deployment_id``, by ``cause_sha`` or by time alone, resolved
after a time drawn from the profile.
"""

from __future__ import annotations

import csv
import io
import random
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from demo.generate import PROFILES, Commit, Plan, Profile, ProjectSpec, days

# --- deployments and incidents (docs/definitions.md §7) ---------------------------------------------


@dataclass(frozen=True, slots=True)
class DeploymentRow:
    id: str
    project: str
    started_at: datetime
    finished_at: datetime
    status: str
    sha: str
    commits: tuple[str, ...]
    planned: bool


@dataclass(frozen=True, slots=True)
class IncidentRow:
    id: str
    project: str
    created_at: datetime
    resolved_at: datetime
    deployment_id: str
    cause_sha: str


def _deploy_slots(rng: random.Random, plan: Plan, profile: Profile) -> list[datetime]:
    slots = []
    first = plan.start + timedelta(days=3)
    if profile.every_days == 1:
        for day in days(first, plan.end):
            if day.weekday() < 5 and rng.random() >= profile.skip:
                base = datetime.combine(day, datetime.min.time())
                for hour in sorted(rng.sample((10.5, 13.0, 15.5, 17.0), rng.randint(1, 3))):
                    slots.append(base + timedelta(hours=hour, minutes=rng.randrange(0, 40)))
        return slots
    day = first.date() + timedelta(days=(2 - first.weekday()) % 7)  # a Wednesday
    while day <= plan.end.date():
        if rng.random() >= profile.skip:
            slots.append(datetime.combine(day, datetime.min.time()) + timedelta(hours=14, minutes=rng.randrange(60)))
        step = profile.every_days + (rng.randrange(-7, 8) if profile.every_days > 30 else 0)
        day += timedelta(days=step)
    return slots


def make_devops(
    plan: Plan, project: ProjectSpec, commits: Sequence[Commit]
) -> tuple[list[DeploymentRow], list[IncidentRow]]:
    rng = random.Random(f"{plan.seed}:devops:{project.name}")
    profile = PROFILES[project.profile]
    times = [c.at for c in commits]
    deployments: list[DeploymentRow] = []
    incidents: list[IncidentRow] = []
    shipped = 0  # commits [0, shipped) are in production
    queue = sorted(_deploy_slots(rng, plan, profile))
    retry_planned = True
    i = 0
    while i < len(queue):
        started = queue[i]
        i += 1
        head = bisect_left(times, started)
        if head <= shipped:
            continue
        shas = tuple(c.sha for c in commits[shipped:head])
        finished = started + timedelta(minutes=rng.randrange(4, 26))
        dep_id = f"{project.short}-{len(deployments) + 1:05d}"
        failed = rng.random() < profile.failure
        status = "failure" if failed else "success"
        deployments.append(
            DeploymentRow(dep_id, project.name, started, finished, status, shas[-1], shas, retry_planned)
        )
        retry_planned = True
        if failed:  # retried: within hours for frequent deployers, the next day for the others
            delay = timedelta(minutes=rng.randrange(40, 180)) if profile.every_days <= 7 else timedelta(days=1)
            queue.insert(i, finished + delay)
            retry_planned = False
            continue
        shipped = head
        if rng.random() < profile.incident:
            incidents.append(_incident(rng, project, profile, deployments[-1], len(incidents) + 1))
    return deployments, incidents


def _incident(rng: random.Random, project: ProjectSpec, profile: Profile, dep: DeploymentRow, n: int) -> IncidentRow:
    recovery = timedelta(hours=rng.uniform(*profile.recovery_hours))
    created = dep.finished_at + min(timedelta(minutes=rng.randrange(3, 90)), recovery / 2)
    link = rng.random()
    dep_id = dep.id if link < 0.7 else ""
    cause = rng.choice(dep.commits) if 0.7 <= link < 0.9 else ""
    return IncidentRow(f"{project.short}-INC-{n:04d}", project.name, created, dep.finished_at + recovery, dep_id, cause)


# --- CSV text ---------------------------------------------------------------------------------------


def _iso(t: datetime | None) -> str:
    return "" if t is None else t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _csv(header: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode()


def commits_csv(per_project: Sequence[tuple[ProjectSpec, Sequence[Commit]]]) -> bytes:
    rows = []
    for project, commits in per_project:
        for n, c in enumerate(commits):
            parent = commits[n - 1].sha if n else ""
            rows.append((project.name, c.sha, _iso(c.at - timedelta(minutes=n % 90)), _iso(c.at), parent))
    return _csv(("project", "sha", "authored_at", "committed_at", "parents"), rows)


def deployments_csv(deployments: Sequence[DeploymentRow]) -> bytes:
    header = ("id", "project", "environment", "started_at", "finished_at", "status", "sha", "commits", "planned")
    rows = [
        (d.id, d.project, "production", _iso(d.started_at), _iso(d.finished_at), d.status, d.sha, " ".join(d.commits),
         "true" if d.planned else "false")
        for d in deployments
    ]  # fmt: skip
    return _csv(header, rows)


def incidents_csv(incidents: Sequence[IncidentRow]) -> bytes:
    header = ("id", "project", "created_at", "resolved_at", "deployment_id", "cause_sha")
    rows = [(i.id, i.project, _iso(i.created_at), _iso(i.resolved_at), i.deployment_id, i.cause_sha) for i in incidents]
    return _csv(header, rows)
