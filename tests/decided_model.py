"""Risk decisions recomputed in plain Python from docs/definitions.md §6 "Risk decisions" — not
from the SQL — for the property test in test_consistency.py.

A decision is in force on a finding from its time until it expires or is revoked (a scope decision
covers the findings of its project, tool and rule whose path matches its pattern, ``*`` matching
across ``/``); decisions of one finding that overlap or touch are one stretch, of the kind of its
earliest decision. An episode loses the stretches that overlap it — except an acceptance during
which it was fixed: the part before a stretch closes with the stretch's kind as its status, and
the part after it (when the episode is still open then) has the episode's status, and is *resumed*
when an earlier part of the episode exists (one that opened under a decision surfaces as usual).
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar

FOREVER = datetime(9999, 12, 31)


@dataclass(frozen=True)
class Decision:
    decision_id: str
    kind: str
    finding_id: str | None
    project: str | None
    tool: str | None
    rule_id: str | None
    path_glob: str | None
    decided_at: datetime
    expires_at: datetime | None
    revokes: str | None


def covers(d: Decision, f: dict[str, Any]) -> bool:
    if d.finding_id is not None:
        return d.finding_id == f["finding_id"]
    return (d.project, d.tool, d.rule_id) == (f["project"], f["tool"], f["rule_id"]) and fnmatch.fnmatchcase(
        f["path"], d.path_glob or "*"
    )


def stretches(decisions: list[Decision], finding: dict[str, Any]) -> list[tuple[str, datetime, datetime]]:
    """(kind, start, end) of the finding's decided stretches, in time order."""
    revoked: dict[str, datetime] = {}
    for d in decisions:
        if d.kind == "revoke" and d.revokes is not None:
            revoked[d.revokes] = min(revoked.get(d.revokes, FOREVER), d.decided_at)
    spans = []
    for d in sorted(decisions, key=lambda d: (d.decided_at, d.decision_id)):
        if d.kind == "revoke" or not covers(d, finding):
            continue
        end = min(d.expires_at or FOREVER, revoked.get(d.decision_id, FOREVER))
        if end > d.decided_at:
            spans.append((d.kind, d.decided_at, end))
    merged: list[tuple[str, datetime, datetime]] = []
    for kind, s, e in spans:
        if merged and s <= merged[-1][2]:
            k, ms, me = merged[-1]
            merged[-1] = (k, ms, max(me, e))
        else:
            merged.append((kind, s, e))
    return merged


E = TypeVar("E")


def cut(ep: E, spans: list[tuple[str, datetime, datetime]]) -> list[E]:
    """The parts of one episode (a dataclass with opened_at, closed_at, status) outside decided time;
    each part gets ``resumed`` and keeps ``episode_opened_at``."""
    o, c, status = ep.opened_at, ep.closed_at, ep.status  # type: ignore[attr-defined]
    end = c or FOREVER
    hits = [
        (k, s, e)
        for k, s, e in spans
        if s < end and e > o and not (k == "accepted" and status == "fixed" and c is not None and e > c)
    ]
    if not hits:
        return [ep]
    parts: list[E] = []
    start = o
    for k, s, e in hits:
        if s > start:
            parts.append(replace(ep, opened_at=start, closed_at=s, status=k, resumed=bool(parts)))  # type: ignore[type-var]
        start = max(start, e)
    if start < end:
        parts.append(replace(ep, opened_at=start, resumed=bool(parts)))  # type: ignore[type-var]
    return parts
