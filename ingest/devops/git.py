"""Commits of a local git repository, and its tags as deployments if asked.

Runs ``git`` as a subprocess (fixed argv, no shell, no prompt, no network, a time limit) and turns
its listings into frozen records. Reading all refs by default means commits of merged or squashed
feature branches that still exist are known too, which the lead-time metric needs.

Commits dated outside 1970–2100 (an imported history's placeholders, a broken clock) are left out
with a count in the warnings, never fatal: their children are linked to the nearest commits before
them that are kept, so what each deployment shipped stays right for the rest. Nothing here
touches the database; ``ingest.devops.load`` writes what ``read_git`` returns.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Mapping
from datetime import datetime
from fnmatch import fnmatchcase
from pathlib import Path

from core.errors import Rejected, UsageError
from core.times import TIME_RANGE, parse_time
from ingest.devops.records import PRODUCTION, Commit, Deployment, DeploymentStatus, GitHistory

_GIT_TIMEOUT_S = 300


def _git(repo: str, *args: str, stdin: str | None = None) -> str:
    """The output of one git command in ``repo``; Rejected with git's last error line if it fails."""
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
