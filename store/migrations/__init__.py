"""Numbered schema migrations, each applied once, in order, in its own transaction.

A migration is a file ``NNN_name.sql`` beside this module, written in DuckDB's dialect and
translated for PostgreSQL like every statement (``store.sql``). A first line ``-- engines: NAME``
limits its statements to one engine (indexes PostgreSQL needs and DuckDB does not); it is still
recorded on both, so the schema version — the highest number in ``schema_migrations`` — means the
same everywhere. Never edit a migration that has shipped: add the next number.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from store import sql

if TYPE_CHECKING:
    from store.sql import Connection

_HERE = Path(__file__).parent
_NAME_RE = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")
_ENGINES_RE = re.compile(r"^-- engines: ([a-z, ]+)$")


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


# PostgreSQL: processes that open a new database at once take turns (DuckDB's file lock does it there).
_MIGRATION_LOCK = 0x66696E64  # "find"


_HAS_TABLE = """
SELECT count(*) FROM information_schema.tables
WHERE table_name = 'schema_migrations' AND table_schema = current_schema()
"""


def pending(conn: Connection) -> bool:
    """Whether a migration is still to be applied, found without DDL (so that a role that may
    only read can open a database that is up to date)."""
    with conn.begin():
        if not sql.rows(conn, _HAS_TABLE)[0][0]:
            return True
        done = {row[0] for row in sql.rows(conn, "SELECT version FROM schema_migrations")}
    return any(version not in done for version, _, _ in migrations())


def apply_migrations(conn: Connection) -> list[int]:
    """Apply pending migrations, each in its own transaction; returns the versions applied now."""
    if not pending(conn):
        return []
    if sql.engine_of(conn) is sql.Engine.POSTGRES:
        with conn.begin():
            sql.execute(conn, "SELECT pg_advisory_lock(?)", [_MIGRATION_LOCK])
        try:
            return _apply(conn)
        finally:
            with conn.begin():
                sql.execute(conn, "SELECT pg_advisory_unlock(?)", [_MIGRATION_LOCK])
    return _apply(conn)


def _runs_on(text: str, engine: sql.Engine) -> bool:
    match = _ENGINES_RE.match(text.splitlines()[0] if text else "")
    return match is None or engine.value in {e.strip() for e in match.group(1).split(",")}


def schema_version(conn: Connection) -> int:
    """The highest migration applied (0 for an empty database)."""
    return int(sql.rows(conn, "SELECT coalesce(max(version), 0) FROM schema_migrations")[0][0])


def _apply(conn: Connection) -> list[int]:
    with conn.begin():
        sql.script(
            conn,
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
            " applied_at TIMESTAMP NOT NULL DEFAULT CAST(current_timestamp AS TIMESTAMP))",
        )
        done = {row[0] for row in sql.rows(conn, "SELECT version FROM schema_migrations")}
    applied = []
    for version, name, text in migrations():
        if version in done:
            continue
        with conn.begin():
            if _runs_on(text, sql.engine_of(conn)):
                sql.script(conn, text)
            sql.execute(conn, "INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [version, name])
        applied.append(version)
    return applied
