"""The records of DevOps loading: frozen, typed values that pass between the readers, the
commit-set derivation and the loaders, plus the fixed vocabularies (source kinds, deployment
statuses, the default environment).

They live apart from the code that makes them so that each job's module depends only on this
one, never on another job's module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

PRODUCTION = "production"  # the environment of tag deployments unless told otherwise


class SourceKind(StrEnum):
    GIT = "git"
    DEPLOYMENTS = "deployments"
    INCIDENTS = "incidents"


class DeploymentStatus(StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"


@dataclass(frozen=True, slots=True)
class Commit:
    sha: str
    authored_at: datetime
    committed_at: datetime
    parents: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Deployment:
    deployment_id: str
    project: str
    environment: str
    started_at: datetime
    finished_at: datetime
    status: DeploymentStatus
    sha: str
    commits: tuple[str, ...] | None = None
    planned: bool | None = None


@dataclass(frozen=True, slots=True)
class Incident:
    incident_id: str
    project: str
    created_at: datetime
    resolved_at: datetime | None = None
    deployment_id: str | None = None
    cause_sha: str | None = None


@dataclass(frozen=True, slots=True)
class GitHistory:
    """What one read of a repository yields: its commits, and deployments from its tags if asked."""

    repo: str
    commits: tuple[Commit, ...]
    deployments: tuple[Deployment, ...]
    digest: str  # sha256 of the listing read, to tell whether anything changed
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Parsed:
    """Validated records of one file, and what was noticed but not fatal."""

    records: tuple[Any, ...]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DevopsOutcome:
    """What one load did: the report the CLI prints (``as_dict`` is its ``--json`` form)."""

    kind: SourceKind
    path: str
    source_key: str
    already_loaded: bool
    rows: int
    projects: tuple[str, ...]
    commits_new: int = 0
    deployments: int = 0
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "kind": self.kind.value,
            "status": "already_loaded" if self.already_loaded else "loaded",
            "source_key": self.source_key,
            "rows": self.rows,
            "projects": list(self.projects),
            "commits_new": self.commits_new,
            "deployments": self.deployments,
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True, slots=True)
class DeploymentRef:
    """What the commit-set derivation needs of a deployment, in deployment order."""

    deployment_id: str
    environment: str
    status: str
    sha: str
    commits: tuple[str, ...] | None
