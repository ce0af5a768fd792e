"""DevOps inputs for the DORA metrics (SPEC §7): commits from git, deployments and incidents from
CSV or JSON files, written into the store in one transaction each.

Readers are pure (bytes or a repository in, frozen records out) and validate every row before
anything is written: a file with one bad row is rejected whole, with every bad row named
(``line N`` for CSV, counting the header as line 1; ``item N`` for JSON, counting from 1; the
first 20 are listed, the rest counted). Times must lie in 1970–2100. Files are read as regular
files only (a FIFO or a device is refused at once, never waited on or read without end).

Git commits dated outside 1970–2100 (an imported history's placeholders, a broken clock) are left
out with a count in the report, never fatal: their children are linked to the nearest commits
before them that are kept, so what each deployment shipped stays right for the rest.

Loading the same file bytes again (same kind and ``--project``) is a no-op. Re-reading a git
repository upserts its commits and replaces the deployments its tags stood for. After every load
the derived ``deployment_commits`` table is rebuilt for the projects the load touched.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import subprocess
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlalchemy.engine import Connection

from ingest.errors import Rejected, UsageError
from ingest.reader import max_file_bytes, read_file
from ingest.sarif import TIME_RANGE, parse_time, read_time
from store.db import Store, native

PRODUCTION = "production"
_SHA_RE = re.compile(r"^[0-9a-f]{4,64}$")
_SHA_SPLIT = re.compile(r"[\s;,]+")
_TRUE = frozenset({"true", "yes", "1", "y", "t"})
_FALSE = frozenset({"false", "no", "0", "n", "f"})
_GIT_TIMEOUT_S = 300
MAX_LISTED_ROWS = 20  # bad rows named in a rejection; the rest are counted


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


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# ---------------------------------------------------------------------------------------------
# git


def _git(repo: str, *args: str, stdin: str | None = None) -> str:
    cmd = ["git", "-C", repo, "-c", "log.showSignature=false", "-c", "core.quotePath=false", *args]
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    try:
        done = subprocess.run(  # noqa: S603 (fixed argv, no shell)
            cmd, input=stdin, capture_output=True, text=True, check=False, env=env, timeout=_GIT_TIMEOUT_S
        )
    except FileNotFoundError as e:
        raise UsageError("the git command is not installed") from e
    except subprocess.TimeoutExpired as e:
        raise Rejected(f"git {args[0]} took longer than {_GIT_TIMEOUT_S} s") from e
    if done.returncode != 0:
        message = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        raise Rejected(f"git {args[0]}: {message}")
    return done.stdout


def _bridged(dropped: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """For each left-out commit, its nearest kept ancestors (through other left-out ones)."""
    memo: dict[str, tuple[str, ...]] = {}
    for root in dropped:
        stack = [(root, False)]
        while stack:  # post-order without recursion: a left-out chain may be long
            sha, expanded = stack.pop()
            if sha in memo:
                continue
            if expanded:
                found = [a for p in dropped[sha] for a in (memo[p] if p in dropped else (p,))]
                memo[sha] = tuple(dict.fromkeys(found))
            else:
                stack.append((sha, True))
                stack.extend((p, False) for p in dropped[sha] if p in dropped and p not in memo)
    return memo


def parse_log(listing: str) -> tuple[list[Commit], list[str]]:
    """Commits of a ``git log --format=%H%x1f%P%x1f%aI%x1f%cI`` listing, and the shas left out
    because a date is outside 1970–2100 (or unreadable). A kept commit whose parent was left out
    gets that parent's nearest kept ancestors as parents, so reachability among kept commits holds."""
    rows: list[tuple[str, tuple[str, ...], datetime | None, datetime | None]] = []
    for line in listing.splitlines():
        if line:
            sha, parents, authored, committed = line.split("\x1f")
            rows.append((sha, tuple(parents.split()), parse_time(authored), parse_time(committed)))
    dropped = {sha: parents for sha, parents, a, c in rows if a is None or c is None}
    through = _bridged(dropped) if dropped else {}
    commits = [
        Commit(sha, a, c, tuple(dict.fromkeys(x for p in parents for x in through.get(p, (p,)))))
        for sha, parents, a, c in rows
        if a is not None and c is not None
    ]
    return commits, sorted(dropped)


_TAG_FORMAT = "%00".join(
    [
        "%(refname)",
        "%(objecttype)",
        "%(objectname)",
        "%(*objecttype)",
        "%(*objectname)",
        "%(taggerdate:iso-strict)",
        "%(committerdate:iso-strict)",
        "%(*committerdate:iso-strict)",
    ]
)


def _read_tags(repo: str, glob: str) -> list[tuple[str, str, str | None]]:
    """(tag name, commit sha, tag time or None = use the commit's committed time) of matching tags."""
    out = []
    for line in _git(repo, "for-each-ref", f"--format={_TAG_FORMAT}", "refs/tags").splitlines():
        ref, otype, oname, ptype, pname, tagger, cdate, pcdate = line.split("\0")
        name = ref.removeprefix("refs/tags/")
        if not fnmatchcase(name, glob):
            continue
        if otype == "commit":  # lightweight tag: the commit's own time
            out.append((name, oname, cdate or None))
        elif otype == "tag" and ptype == "commit":  # annotated tag: the tag's own time
            out.append((name, pname, tagger or pcdate or None))
        elif otype == "tag":  # a tag of a tag (or of a tree/blob): peel fully, if it is a commit
            try:
                sha = _git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").strip()
            except Rejected:
                continue
            out.append((name, sha, tagger or None))
    return out


def read_git(
    repo_path: str | os.PathLike[str],
    project: str,
    branch: str | None = None,
    tags_glob: str | None = None,
    environment: str = PRODUCTION,
) -> GitHistory:
    """Commits of a local repository via ``git log`` (no network), and optionally its tags as
    deployments.

    ``branch`` limits the commits to those reachable from that branch; without it all branches,
    tags, remote-tracking branches and HEAD are read, so commits of merged or squashed feature
    branches that still exist are known too.
    With ``tags_glob``, every tag whose name matches becomes a successful deployment to
    ``environment`` with ``deployment_id`` = the tag name and ``sha`` = the commit it points at; its
    time is the tag's own date for an annotated tag and the commit's committed time for a
    lightweight one. The tagged commits are always read, even when not on ``branch``.
    """
    repo = os.fspath(Path(repo_path).expanduser())
    if not Path(repo).is_dir():
        raise Rejected("no such directory")
    _git(repo, "rev-parse", "--git-dir")  # "not a git repository" before anything else
    tags = _read_tags(repo, tags_glob) if tags_glob is not None else []
    if branch is not None:
        if not branch.strip() or branch.startswith("-"):
            raise UsageError(f"not a branch name: {branch!r}")
        try:
            _git(repo, "rev-parse", "--verify", "--quiet", f"{branch}^{{commit}}")
        except Rejected as e:
            raise Rejected(f"no branch or commit {branch!r} in the repository") from e
    if branch is not None:
        revs = [branch]
    else:  # branches, tags, remote-tracking branches and a detached HEAD; not notes or stashes
        revs = ["--branches", "--tags", "--remotes"]
        try:
            _git(repo, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
            revs.append("HEAD")
        except Rejected:  # no commit yet
            pass
    tagged = "".join(f"{sha}\n" for sha in sorted({sha for _, sha, _ in tags}))
    listing = _git(repo, "log", "--format=%H%x1f%P%x1f%aI%x1f%cI", *revs, "--stdin", stdin=tagged)
    commits, dropped = parse_log(listing)
    times = {c.sha: c.committed_at for c in commits}
    deployments = []
    undated: list[str] = []
    for name, sha, when_text in tags:
        when = parse_time(when_text) if when_text else times.get(sha)
        if when is None:
            if when_text or sha in dropped:
                undated.append(name)
            continue
        deployments.append(Deployment(name, project, environment, when, when, DeploymentStatus.SUCCESS, sha))
    warnings = []
    if dropped:
        warnings.append(
            f"{len(dropped):,} commit(s) dated outside {TIME_RANGE} left out (e.g. {dropped[0][:12]}); "
            f"their children count the commits before them as parents"
        )
    if undated:
        warnings.append(f"{len(undated):,} tag(s) dated outside {TIME_RANGE} are not deployments (e.g. {undated[0]!r})")
    digest_src = listing + "\n".join(f"{n} {s} {t}" for n, s, t in tags)
    digest = hashlib.sha256(digest_src.encode()).hexdigest()
    return GitHistory(repo, tuple(commits), tuple(deployments), digest, tuple(warnings))


# ---------------------------------------------------------------------------------------------
# deployments and incidents files

DEPLOYMENT_COLUMNS = (
    "id",
    "project",
    "environment",
    "started_at",
    "finished_at",
    "status",
    "sha",
    "commits",
    "planned",
)
INCIDENT_COLUMNS = ("id", "project", "created_at", "resolved_at", "deployment_id", "cause_sha")
_ALIASES = {SourceKind.DEPLOYMENTS: {"deployment_id": "id"}, SourceKind.INCIDENTS: {"incident_id": "id"}}
_REQUIRED = {
    SourceKind.DEPLOYMENTS: ("id", "project", "environment", "started_at", "finished_at", "status", "sha"),
    SourceKind.INCIDENTS: ("id", "project", "created_at"),
}
_COLUMNS = {SourceKind.DEPLOYMENTS: DEPLOYMENT_COLUMNS, SourceKind.INCIDENTS: INCIDENT_COLUMNS}
_PROBLEM = "\0problem"  # a row-level problem found while splitting the file (never a column name)
_NOT_OBJECT = "not a JSON object"


def _text(value: Any) -> str:
    """A cell as stripped text ('' for missing/null); numbers from JSON become their text."""
    if value is None or isinstance(value, bool):
        return "" if value is None else str(value).lower()
    if isinstance(value, (int, float)):
        return str(value)
    return value.strip() if isinstance(value, str) else ""


class _Row:
    """One input row being validated: collects every problem instead of stopping at the first."""

    def __init__(self, values: Mapping[str, Any], default_project: str | None):
        self.values = values
        self.default_project = default_project
        self.problems: list[str] = []

    def text(self, name: str, required: bool = False) -> str:
        value = _text(self.values.get(name))
        if name == "project" and not value:
            value = (self.default_project or "").strip()
        if required and not value:
            hint = " (or give --project)" if name == "project" else ""
            self.problems.append(f"{name} is missing or empty{hint}")
        return value

    def time(self, name: str, required: bool = False) -> datetime | None:
        raw = self.text(name, required)
        if not raw:
            return None
        try:
            return read_time(raw)
        except ValueError as e:
            self.problems.append(f"{name} {e}")
            return None

    def sha(self, name: str, required: bool = False) -> str:
        value = self.text(name, required).lower()
        if value and not _SHA_RE.match(value):
            self.problems.append(f"{name} {value!r} is not a hexadecimal commit id")
        return value

    def sha_list(self, name: str) -> tuple[str, ...] | None:
        raw = self.values.get(name)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        if isinstance(raw, list):
            items = [_text(v).lower() for v in raw]
        elif isinstance(raw, str):
            items = [s.lower() for s in _SHA_SPLIT.split(raw.strip()) if s]
        else:
            self.problems.append(f"{name} must be a list of SHAs")
            return None
        bad = [s for s in items if not _SHA_RE.match(s)]
        if bad:
            self.problems.append(f"{name}: {', '.join(repr(b) for b in bad[:3])} not hexadecimal commit id(s)")
        return tuple(dict.fromkeys(s for s in items if s))

    def flag(self, name: str) -> bool | None:
        value = self.values.get(name)
        if isinstance(value, bool):
            return value
        text = _text(value).lower()
        if not text:
            return None
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        self.problems.append(f"{name} {text!r} is not true/false/yes/no/1/0")
        return None


def _deployment(row: _Row) -> Deployment | None:
    dep_id = row.text("id", True)
    project = row.text("project", True)
    environment = row.text("environment", True)
    started = row.time("started_at", True)
    finished = row.time("finished_at", True)
    status_text = row.text("status", True).lower()
    if status_text and status_text not in {s.value for s in DeploymentStatus}:
        row.problems.append(f"status {status_text!r} is not success|failure")
    sha = row.sha("sha", True)
    commits = row.sha_list("commits")
    planned = row.flag("planned")
    if started and finished and finished < started:
        row.problems.append(f"finished_at {finished.isoformat()} is before started_at {started.isoformat()}")
    if row.problems or started is None or finished is None:
        return None
    return Deployment(
        dep_id, project, environment, started, finished, DeploymentStatus(status_text), sha, commits, planned
    )


def _incident(row: _Row) -> Incident | None:
    inc_id = row.text("id", True)
    project = row.text("project", True)
    created = row.time("created_at", True)
    resolved = row.time("resolved_at")
    deployment_id = row.text("deployment_id") or None
    cause = row.sha("cause_sha") or None
    if created and resolved and resolved < created:
        row.problems.append(f"resolved_at {resolved.isoformat()} is before created_at {created.isoformat()}")
    if row.problems or created is None:
        return None
    return Incident(inc_id, project, created, resolved, deployment_id, cause)


def _rows_from_csv(data: bytes) -> tuple[list[str], list[tuple[str, dict[str, Any]]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise Rejected(f"not UTF-8 text: {e}") from e
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise Rejected("empty file (a CSV needs a header row)") from None
    except csv.Error as e:
        raise Rejected(f"line 1: {e}") from e
    header = [h.strip().lower() for h in header]
    rows: list[tuple[str, dict[str, Any]]] = []
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            raise Rejected(f"line {reader.line_num}: {e}") from e
        if not any(c.strip() for c in cells):
            continue
        where = f"line {reader.line_num}"
        values: dict[str, Any] = dict(zip(header, cells, strict=False))
        if len(cells) > len(header):
            values[_PROBLEM] = f"{len(cells)} fields but the header has {len(header)}"
        rows.append((where, values))
    return header, rows


def _rows_from_json(data: bytes, kind: SourceKind) -> tuple[list[str], list[tuple[str, dict[str, Any]]]]:
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise Rejected(f"not valid JSON: {e}") from e
    if isinstance(doc, dict):
        if not isinstance(doc.get(kind.value), list):
            raise Rejected(f'a JSON object needs a "{kind.value}" list')
        doc = doc[kind.value]
    if not isinstance(doc, list):
        raise Rejected(f'expected a JSON list of objects or {{"{kind.value}": [...]}}')
    rows: list[tuple[str, dict[str, Any]]] = []
    header: dict[str, None] = {}
    for n, item in enumerate(doc, start=1):
        if not isinstance(item, dict):
            rows.append((f"item {n}", {_PROBLEM: _NOT_OBJECT}))
            continue
        values = {str(k).strip().lower(): v for k, v in item.items()}
        header.update(dict.fromkeys(values))
        rows.append((f"item {n}", values))
    return list(header), rows


def _is_json(data: bytes, name: str) -> bool:
    suffix = Path(name).suffix.lower()
    if suffix in (".json", ".csv"):
        return suffix == ".json"
    return data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"[", b"{")


def parse_records(data: bytes, name: str, kind: SourceKind, project: str | None = None) -> Parsed:
    """Validate every row of a deployments or incidents file (CSV with a header row, or JSON).

    Raises Rejected listing every bad row when any row is bad; nothing partial is returned.
    """
    is_json = _is_json(data, name)
    header, rows = _rows_from_json(data, kind) if is_json else _rows_from_csv(data)
    aliases = _ALIASES[kind]
    header = [aliases.get(h, h) for h in header]
    known = set(_COLUMNS[kind])
    problems: list[str] = []
    warnings: list[str] = []
    unknown = [h for h in header if h and h not in known]
    if unknown:
        warnings.append(f"ignored column(s): {', '.join(dict.fromkeys(unknown))}")
    required = [c for c in _REQUIRED[kind] if not (c == "project" and project)]
    missing = [c for c in required if c not in header]
    if missing and not is_json:
        hint = " (or give --project)" if "project" in missing else ""
        raise Rejected(f"line 1: missing column(s): {', '.join(missing)}{hint}")
    build = _deployment if kind is SourceKind.DEPLOYMENTS else _incident
    records: list[Any] = []
    first_seen: dict[tuple[str, str], str] = {}
    for where, values in rows:
        values = {aliases.get(k, k): v for k, v in values.items()}
        row = _Row(values, project)
        if _PROBLEM in values:
            row.problems.append(values[_PROBLEM])
        record = None if values.get(_PROBLEM) == _NOT_OBJECT else build(row)
        if record is not None:
            key = (record.project, record.deployment_id if isinstance(record, Deployment) else record.incident_id)
            if key in first_seen:
                row.problems.append(f"duplicate id {key[1]!r} (first at {first_seen[key]})")
            first_seen.setdefault(key, where)
        if row.problems:
            problems.append(f"{where}: {'; '.join(row.problems)}")
        elif record is not None:
            records.append(record)
    if problems:
        listed = [f"  {p}" for p in problems[:MAX_LISTED_ROWS]]
        if len(problems) > MAX_LISTED_ROWS:
            listed.append(f"  … and {len(problems) - MAX_LISTED_ROWS:,} more bad row(s)")
        raise Rejected(f"{len(problems)} bad row(s):\n" + "\n".join(listed))
    if not records:
        raise Rejected(f"no {kind.value} in the file")
    return Parsed(tuple(records), tuple(warnings))


def _read_bytes(path: str | os.PathLike[str]) -> bytes:
    """The file's bytes: a regular file only, at most ``FINDINGS_MAX_FILE_BYTES``."""
    return read_file(Path(path), max_file_bytes())


# ---------------------------------------------------------------------------------------------
# the commits of each deployment


@dataclass(frozen=True, slots=True)
class DeploymentRef:
    """What the commit-set derivation needs of a deployment, in deployment order."""

    deployment_id: str
    environment: str
    status: str
    sha: str
    commits: tuple[str, ...] | None


def _expander(shas: Iterable[str]) -> Any:
    """sha or unique abbreviation → the full sha known from git (else the value as given)."""
    ordered = sorted(shas)
    known = set(ordered)

    def expand(sha: str) -> str:
        if sha in known or len(sha) < 4:
            return sha
        i = bisect_left(ordered, sha)
        hits = ordered[i : i + 2]
        if hits and hits[0].startswith(sha) and not (len(hits) > 1 and hits[1].startswith(sha)):
            return hits[0]
        return sha

    return expand


def _walk(head: str, graph: Mapping[str, Sequence[str]], shipped: set[str], prev: str | None) -> tuple[set[str], bool]:
    """Commits reachable from ``head`` that are not in ``shipped`` (an ancestor-closed set), and
    whether ``prev`` (a member of shipped) was reached — then reach(head) = shipped ∪ result."""
    new: set[str] = set()
    touched = False
    stack = [head]
    while stack:
        sha = stack.pop()
        if sha in shipped:
            touched = touched or sha == prev
            continue
        if sha in new:
            continue
        new.add(sha)
        stack.extend(graph.get(sha, ()))
    return new, touched


def derive_commit_sets(
    graph: Mapping[str, Sequence[str]], deployments: Sequence[DeploymentRef]
) -> list[tuple[str, str, str]]:
    """``(deployment_id, sha, source)`` rows: the commits each deployment shipped (SPEC §7).

    ``deployments`` must be in order (finished_at, started_at, id). Per environment, a deployment's
    commits are its ``commits`` list if given (source 'list', plus its own sha as 'sha'); else,
    when its sha is in ``graph`` (sha → parents), the commits reachable from it and not from the
    previous successful deployment's sha (source 'git'; exact for merges: every parent is
    followed); else only its own sha ('sha'). Runs in O(commits) per environment: the set reachable
    from the previous successful sha is kept and grown, and rebuilt only after a rollback.
    """
    expand = _expander(graph)
    rows: list[tuple[str, str, str]] = []
    state: dict[str, tuple[set[str], str | None]] = {}
    for dep in deployments:
        shipped, prev = state.get(dep.environment, (set(), None))
        head = expand(dep.sha)
        listed = [expand(s) for s in dep.commits] if dep.commits is not None else None
        new: set[str] = set()
        touched = False
        if head in graph:
            new, touched = _walk(head, graph, shipped, prev)
        if listed is not None:
            rows.extend((dep.deployment_id, s, "list") for s in dict.fromkeys(listed))
            if head not in listed:
                rows.append((dep.deployment_id, head, "sha"))
        elif head in graph:
            rows.extend((dep.deployment_id, s, "git") for s in sorted(new))
        else:
            rows.append((dep.deployment_id, head, "sha"))
        if dep.status == DeploymentStatus.SUCCESS and head in graph:
            if prev is None or touched or head == prev:
                shipped = shipped | new
            else:  # a rollback or a jump to another line of history: start again from this sha
                shipped, _ = _walk(head, graph, set(), None)
            state[dep.environment] = (shipped, head)
    return rows


DEPLOYMENT_REFS_SQL = """
SELECT deployment_id, environment, status, sha, commits FROM deployments WHERE project = ?
ORDER BY environment, finished_at, started_at, deployment_id
"""
COMMIT_GRAPH_SQL = "SELECT sha, parents FROM commits WHERE project = ?"
DELETE_DEPLOYMENT_COMMITS = "DELETE FROM deployment_commits WHERE project = ?"
INSERT_DEPLOYMENT_COMMITS = "INSERT INTO deployment_commits SELECT project, deployment_id, sha, source FROM new_dc"


def recompute_deployment_commits(conn: Connection, projects: Iterable[str]) -> int:
    """Rebuild ``deployment_commits`` of these projects inside the caller's transaction."""
    raw = native(conn)
    total = 0
    for project in sorted(set(projects)):
        graph = {sha: tuple(parents) for sha, parents in raw.execute(COMMIT_GRAPH_SQL, [project]).fetchall()}
        refs = [
            DeploymentRef(i, env, status, sha, tuple(commits) if commits is not None else None)
            for i, env, status, sha, commits in raw.execute(DEPLOYMENT_REFS_SQL, [project]).fetchall()
        ]
        rows = derive_commit_sets(graph, refs)
        raw.execute(DELETE_DEPLOYMENT_COMMITS, [project])
        if rows:
            table = pa.table(
                {
                    "project": [project] * len(rows),
                    "deployment_id": [r[0] for r in rows],
                    "sha": [r[1] for r in rows],
                    "source": [r[2] for r in rows],
                }
            )
            _insert(raw, "new_dc", table, INSERT_DEPLOYMENT_COMMITS)
        total += len(rows)
    return total


# ---------------------------------------------------------------------------------------------
# loaders

IS_LOADED = "SELECT 1 FROM devops_sources WHERE source_key = ?"
UPSERT_SOURCE = "INSERT OR REPLACE INTO devops_sources VALUES (?, ?, ?, ?, ?, ?)"
UPSERT_COMMITS = (
    "INSERT OR REPLACE INTO commits SELECT project, sha, authored_at, committed_at, parents FROM new_commits"
)
COUNT_COMMITS = "SELECT count(*) FROM commits WHERE project = ?"
DELETE_SOURCE_DEPLOYMENTS = "DELETE FROM deployments WHERE source_key = ?"
UPSERT_DEPLOYMENTS = """
INSERT OR REPLACE INTO deployments
SELECT deployment_id, project, environment, started_at, finished_at, status, sha, commits, planned, source_key
FROM new_deployments
"""
UPSERT_INCIDENTS = """
INSERT OR REPLACE INTO incidents
SELECT incident_id, project, created_at, resolved_at, deployment_id, cause_sha, source_key FROM new_incidents
"""


def _insert(raw: Any, name: str, table: pa.Table, sql: str) -> None:
    raw.register(name, table)
    try:
        raw.execute(sql)
    finally:
        raw.unregister(name)


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
        raw = native(conn)
        before = raw.execute(COUNT_COMMITS, [project]).fetchall()[0][0]
        if history.commits:
            _insert(raw, "new_commits", _commits_table(project, history.commits), UPSERT_COMMITS)
        raw.execute(DELETE_SOURCE_DEPLOYMENTS, [key])
        if history.deployments:
            _insert(raw, "new_deployments", _deployments_table(history.deployments, key), UPSERT_DEPLOYMENTS)
        after = raw.execute(COUNT_COMMITS, [project]).fetchall()[0][0]
        rows = len(history.commits) + len(history.deployments)
        raw.execute(UPSERT_SOURCE, [key, SourceKind.GIT.value, repo, history.digest, rows, _utcnow()])
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
        raw = native(conn)
        if raw.execute(IS_LOADED, [key]).fetchall():
            return DevopsOutcome(kind, name, key, True, 0, projects, warnings=parsed.warnings)
        if kind is SourceKind.DEPLOYMENTS:
            _insert(raw, "new_deployments", _deployments_table(parsed.records, key), UPSERT_DEPLOYMENTS)
        else:
            _insert(raw, "new_incidents", _incidents_table(parsed.records, key), UPSERT_INCIDENTS)
        raw.execute(UPSERT_SOURCE, [key, kind.value, name, sha, len(parsed.records), _utcnow()])
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
