"""The API tokens' rows (``api_tokens``): every statement about them lives here.

What a token is and how it is checked (its secret, hashing, scopes and project patterns) is the
HTTP service's business (``service.auth``); this module only stores and reads rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from store import sql
from store.db import Store

_COLUMNS = "token_id, name, secret_sha256, scopes, projects, created_at, expires_at, revoked_at"
INSERT_TOKEN = f"INSERT INTO api_tokens ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)"
TOKEN_BY_ID = f"SELECT {_COLUMNS} FROM api_tokens WHERE token_id = ?"
ALL_TOKENS = f"SELECT {_COLUMNS} FROM api_tokens ORDER BY created_at, token_id"
ACTIVE_BY_NAME = "SELECT token_id FROM api_tokens WHERE name = ? AND revoked_at IS NULL"
REVOKE = "UPDATE api_tokens SET revoked_at = ? WHERE token_id = ? AND revoked_at IS NULL"


@dataclass(frozen=True, slots=True)
class TokenRow:
    token_id: str
    name: str
    secret_sha256: str
    scopes: tuple[str, ...]
    projects: tuple[str, ...]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


def _row(values: tuple[Any, ...]) -> TokenRow:
    tid, name, digest, scopes, projects, created, expires, revoked = values
    return TokenRow(
        str(tid), str(name), str(digest), tuple(scopes or ()), tuple(projects or ()), created, expires, revoked
    )


def insert_token(store: Store, row: TokenRow) -> None:
    """Store a new token; a name already held by a token that is not revoked is refused (ValueError)."""
    with store.write() as conn:
        if sql.rows(conn, ACTIVE_BY_NAME, [row.name]):
            raise ValueError(f"a token named {row.name!r} exists; revoke it first or choose another name")
        values = [row.token_id, row.name, row.secret_sha256, list(row.scopes), list(row.projects), row.created_at]
        sql.execute(conn, INSERT_TOKEN, [*values, row.expires_at])


def token_by_id(store: Store, token_id: str) -> TokenRow | None:
    with store.read() as conn:
        found = sql.rows(conn, TOKEN_BY_ID, [token_id])
    return _row(found[0]) if found else None


def all_tokens(store: Store) -> list[TokenRow]:
    with store.read() as conn:
        return [_row(r) for r in sql.rows(conn, ALL_TOKENS)]


def revoke_token(store: Store, id_or_name: str, when: datetime) -> list[str]:
    """Revoke the token with this id, else the active tokens with this name; the ids revoked."""
    with store.write() as conn:
        ids = [r[0] for r in sql.rows(conn, TOKEN_BY_ID, [id_or_name]) if r[7] is None]
        ids = ids or [r[0] for r in sql.rows(conn, ACTIVE_BY_NAME, [id_or_name])]
        for token_id in ids:
            sql.execute(conn, REVOKE, [when, token_id])
    return [str(i) for i in ids]
