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


def create_database(server_url: str) -> str:
    """A new empty database on the server; its SQLAlchemy URL."""
    url, conn = _admin(server_url)
    name = f"t_{uuid.uuid4().hex[:16]}"
    with conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    return url.set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)


def drop_database(server_url: str, db_url: str) -> None:
    name = make_url(db_url).database
    _, conn = _admin(server_url)
    with conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
