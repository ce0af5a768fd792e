"""Throwaway PostgreSQL databases for the tests that run on both engines (``tests/conftest.py``)."""

from __future__ import annotations

import uuid

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import make_url


def _admin(server_url: str) -> tuple[sa.URL, psycopg.Connection]:
    url = make_url(server_url)
    conninfo = psycopg.conninfo.make_conninfo(
        host=url.host or "localhost",
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password or "",
        dbname=url.database or "postgres",
    )
    return url, psycopg.connect(conninfo, autocommit=True)


# A natural-language collation, as most servers have by default (en_US.UTF-8 and the like), rather
# than the byte order of a "C" server: results must not depend on the server's locale.
NATURAL_COLLATION = "LOCALE_PROVIDER icu ICU_LOCALE 'en-US'"


def create_database(server_url: str) -> str:
    """A new empty database on the server, sorting text in English rather than byte order when the
    server has ICU; its SQLAlchemy URL."""
    url, conn = _admin(server_url)
    name = f"t_{uuid.uuid4().hex[:16]}"
    with conn:
        try:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0 {NATURAL_COLLATION}')
        except psycopg.errors.FeatureNotSupported:  # a server built without ICU
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    return url.set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)


def drop_database(server_url: str, db_url: str) -> None:
    name = make_url(db_url).database
    _, conn = _admin(server_url)
    with conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
