"""Numbered schema migrations, each applied once, in order, in its own transaction.

A migration is a file ``NNN_name.sql`` beside this module. The table ``schema_migrations``
records which have run. Never edit a migration that has shipped: add the next number.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy.engine import Connection

_HERE = Path(__file__).parent
_NAME_RE = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every migration file, sorted by version."""
    found = []
    for path in sorted(_HERE.glob("*.sql")):
        match = _NAME_RE.match(path.name)
        if not match:
            raise RuntimeError(f"badly named migration file: {path.name}")
        found.append((int(match.group(1)), path.stem, path.read_text(encoding="utf-8")))
    versions = [v for v, _, _ in found]
    if versions != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migration numbers must be 1..n without gaps, found {versions}")
    return found


def apply_migrations(conn: Connection) -> list[int]:
    """Apply pending migrations; returns the versions applied now."""
    raw = conn.connection.driver_connection
    assert raw is not None
    raw.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp::TIMESTAMP)"
    )
    done = {row[0] for row in raw.execute("SELECT version FROM schema_migrations").fetchall()}
    applied = []
    for version, name, sql in migrations():
        if version in done:
            continue
        raw.execute("BEGIN TRANSACTION")
        try:
            raw.execute(sql)
            raw.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [version, name])
            raw.execute("COMMIT")
        except Exception:
            raw.execute("ROLLBACK")
            raise
        applied.append(version)
    return applied
