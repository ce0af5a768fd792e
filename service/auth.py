"""API tokens: made, shown once, stored hashed, checked in constant time.

A token reads ``fnd_<id>_<secret>``: 12 hex characters that find its row, then 32 random bytes
(URL-safe base64). Only the SHA-256 of the secret is stored (``store.tokens``); a secret is compared
with ``hmac.compare_digest``, and an unknown id costs the same comparison, so the time an answer
takes says nothing about how much of a guess was right. Nothing here logs a token.

Scopes: ``upload`` (POST endpoints) and ``read`` (GET endpoints). Projects: shell-style patterns
(``acme/*``; ``*`` matches any characters, ``/`` included) that every project a request touches must
match.
"""

from __future__ import annotations

import fnmatch
import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from store.db import Store
from store.tokens import TokenRow, insert_token, token_by_id

PREFIX = "fnd"
SCOPES = ("upload", "read")
_TOKEN_RE = re.compile(r"^fnd_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")
_DUMMY_DIGEST = hashlib.sha256(b"no such token").hexdigest()


class AuthError(Exception):
    """A request the token does not allow: ``status`` 401 (no valid token) or 403 (not allowed)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class Token:
    """A token checked against the store: what it may do."""

    token_id: str
    name: str
    scopes: tuple[str, ...]
    projects: tuple[str, ...]

    def require(self, scope: str) -> None:
        if scope not in self.scopes:
            raise AuthError(403, f"this token has no {scope!r} scope (it has: {', '.join(self.scopes)})")

    def allows(self, project: str) -> bool:
        return any(fnmatch.fnmatchcase(project, p) for p in self.projects)

    @property
    def all_projects(self) -> bool:
        return "*" in self.projects

    def require_projects(self, projects: Sequence[str]) -> None:
        refused = [p for p in projects if not self.allows(p)]
        if refused:
            allowed = ", ".join(self.projects)
            raise AuthError(403, f"this token may not touch project {refused[0]!r} (it allows: {allowed})")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def check_pattern(pattern: str) -> str:
    """A project pattern as given to ``token create``: non-empty printable text (ValueError if not)."""
    text = pattern.strip()
    if not text or not text.isprintable() or len(text) > 200:
        raise ValueError(f"not a project pattern: {pattern!r}")
    return text


def create_token(
    store: Store,
    name: str,
    scopes: Sequence[str],
    projects: Sequence[str],
    expires_at: datetime | None = None,
) -> tuple[str, TokenRow]:
    """A new token: (the token text, shown once and never again; its stored row)."""
    if not name.strip() or not name.isprintable() or len(name) > 100:
        raise ValueError(f"not a token name: {name!r}")
    unknown = [s for s in scopes if s not in SCOPES]
    if not scopes or unknown:
        raise ValueError(f"scopes must be among {', '.join(SCOPES)} (got {', '.join(scopes) or 'none'})")
    if not projects:
        raise ValueError("a token needs at least one project pattern ('*' for every project)")
    token_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    row = TokenRow(
        token_id=token_id,
        name=name.strip(),
        secret_sha256=_digest(secret),
        scopes=tuple(dict.fromkeys(scopes)),
        projects=tuple(dict.fromkeys(check_pattern(p) for p in projects)),
        created_at=_now(),
        expires_at=expires_at,
        revoked_at=None,
    )
    insert_token(store, row)
    return f"{PREFIX}_{token_id}_{secret}", row


def authenticate(store: Store, authorization: str | None) -> Token:
    """The token of an ``Authorization: Bearer …`` header; AuthError(401) when missing, malformed,
    unknown, wrong, revoked or expired."""
    if not authorization:
        raise AuthError(401, "no token: send 'Authorization: Bearer <token>'")
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise AuthError(401, "the Authorization header must be 'Bearer <token>'")
    match = _TOKEN_RE.match(value.strip())
    row = token_by_id(store, match.group(1)) if match else None
    secret = match.group(2) if match else ""
    expected = row.secret_sha256 if row is not None else _DUMMY_DIGEST
    same = hmac.compare_digest(_digest(secret), expected)
    if row is None or not same:
        raise AuthError(401, "the token is not valid")
    if row.revoked_at is not None:
        raise AuthError(401, "the token was revoked")
    if row.expires_at is not None and row.expires_at <= _now():
        raise AuthError(401, "the token has expired")
    return Token(row.token_id, row.name, row.scopes, row.projects)
