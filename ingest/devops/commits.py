"""Which commits each deployment shipped, worked out from the commit graph.

Pure: a graph (sha → parents) and deployments in order in, ``(deployment_id, sha, source)`` rows
out. A deployment's own ``commits`` list wins; else the commits reachable from its sha and not
from the previous successful deployment's sha in the same environment; else just its sha. The
lead-time and change-failure metrics read the result (the ``deployment_commits`` table, which
``ingest.devops.load`` rebuilds after every load).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping, Sequence

from ingest.devops.records import DeploymentRef, DeploymentStatus


def _expander(shas: Iterable[str]) -> Callable[[str], str]:
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
    """``(deployment_id, sha, source)`` rows: the commits each deployment shipped.

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
