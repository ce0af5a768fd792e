"""Risk decisions: the one writer of the ``decisions`` table (docs/decisions.md).

A decision marks one finding — or every finding of a rule whose path matches a pattern in one
project and tool — as **accepted** risk, a **false positive** or **won't fix**, with a reason (always)
and an expiry (always for an acceptance: ``[decisions] accept_days`` after it unless given). A
revocation is a row of its own that names the decision it ends. Rows are only ever inserted: the
table is its own audit trail (who, when, what, why). What decisions do to the numbers is said once,
in ``analytics.definitions``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from core.errors import UsageError
from core.settings import Settings
from store import sql
from store.db import Store

if TYPE_CHECKING:
    from store.sql import Connection

KINDS = ("accepted", "false_positive", "wont_fix")
REVOKE = "revoke"
MAX_TEXT = 2000

_COLUMNS = (
    "decision_id, kind, finding_id, project, tool, rule_id, path_glob, path_like, reason, decided_by, decided_at,"
    " expires_at, revokes"
)
INSERT = f"INSERT INTO decisions ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
FINDING_EXISTS = "SELECT count(*) FROM findings WHERE finding_id = ?"
DECISION_BY_ID = "SELECT kind FROM decisions WHERE decision_id = ?"
REVOKED = "SELECT count(*) FROM decisions WHERE kind = 'revoke' AND revokes = ?"


@dataclass(frozen=True, slots=True)
class Scope:
    """One finding (``finding_id``), or a rule's findings in a path pattern of a project and tool."""

    finding_id: str | None = None
    project: str | None = None
    tool: str | None = None
    rule_id: str | None = None
    path_glob: str | None = None

    def checked(self) -> Scope:
        if self.finding_id:
            if any((self.project, self.tool, self.rule_id, self.path_glob)):
                raise UsageError("name either a finding or a project, tool, rule and path pattern, not both")
            return self
        if not (self.project and self.tool and self.rule_id):
            raise UsageError("a decision needs a finding id, or a project, a tool and a rule (and a path pattern)")
        return Scope(None, self.project, self.tool, self.rule_id, self.path_glob or "*")


@dataclass(frozen=True, slots=True)
class Decision:
    decision_id: str
    kind: str
    scope: Scope
    reason: str
    decided_by: str
    decided_at: datetime
    expires_at: datetime | None
    revokes: str | None = None


def glob_to_like(pattern: str) -> str:
    """A shell-style path pattern (``*`` any characters, ``/`` included; ``?`` one) as a LIKE
    pattern with ``\\`` as its escape character."""
    out = []
    for ch in pattern:
        if ch in "\\%_":
            out.append("\\" + ch)
        elif ch == "*":
            out.append("%")
        elif ch == "?":
            out.append("_")
        else:
            out.append(ch)
    return "".join(out)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _text(value: str | None, what: str) -> str:
    text = (value or "").strip()
    if not text:
        raise UsageError(f"a {what} is required")
    if len(text) > MAX_TEXT:
        raise UsageError(f"the {what} is longer than {MAX_TEXT} characters")
    return text


def decide(
    store: Store,
    kind: str,
    scope: Scope,
    reason: str,
    decided_by: str,
    *,
    expires_at: datetime | None = None,
    at: datetime | None = None,
    settings: Settings | None = None,
) -> Decision:
    """Record a decision; ``UsageError`` for a missing reason or decider, an unknown finding, or an
    expiry not after the decision. An acceptance without ``expires_at`` expires ``accept_days`` on."""
    settings = settings or Settings()
    if kind not in KINDS:
        raise UsageError(f"unknown decision {kind!r}; choose from {', '.join(KINDS)}")
    scope = scope.checked()
    at = at or _now()
    if kind == "accepted" and expires_at is None:
        expires_at = at + timedelta(days=settings.accept_days)
    if expires_at is not None and expires_at <= at:
        raise UsageError(f"the expiry {expires_at:%Y-%m-%d %H:%M} is not after the decision ({at:%Y-%m-%d %H:%M})")
    row = Decision(uuid.uuid4().hex[:16], kind, scope, _text(reason, "reason"), _text(decided_by, "decider"), at,
                   expires_at)  # fmt: skip
    with store.write() as conn:
        if scope.finding_id and not sql.rows(conn, FINDING_EXISTS, [scope.finding_id])[0][0]:
            raise UsageError(f"no finding {scope.finding_id!r}")
        _insert(conn, row)
    return row


def revoke(store: Store, decision_id: str, reason: str, decided_by: str, *, at: datetime | None = None) -> Decision:
    """End a decision now (or ``at``): a row of kind ``revoke``. ``UsageError`` for an unknown
    decision, a revocation, or one already revoked."""
    row = Decision(uuid.uuid4().hex[:16], REVOKE, Scope(), _text(reason, "reason"), _text(decided_by, "decider"),
                   at or _now(), None, decision_id)  # fmt: skip
    with store.write() as conn:
        found = sql.rows(conn, DECISION_BY_ID, [decision_id])
        if not found or found[0][0] == REVOKE:
            raise UsageError(f"no decision {decision_id!r} to revoke")
        if sql.rows(conn, REVOKED, [decision_id])[0][0]:
            raise UsageError(f"decision {decision_id!r} is already revoked")
        _insert(conn, row)
    return row


def _insert(conn: Connection, d: Decision) -> None:
    s = d.scope
    like = glob_to_like(s.path_glob) if s.path_glob else None
    values = [d.decision_id, d.kind, s.finding_id, s.project, s.tool, s.rule_id, s.path_glob, like, d.reason,
              d.decided_by, d.decided_at, d.expires_at, d.revokes]  # fmt: skip
    sql.execute(conn, INSERT, values)
