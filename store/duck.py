"""The embedded DuckDB file, opened with DuckDB's own driver.

Server databases are reached through SQLAlchemy (its URL, engine and psycopg dialect); the DuckDB
file needs none of that, and importing SQLAlchemy costs ~0.3 s — most of what a one-file CI upload
would otherwise spend before reading its first byte. ``DuckConnection`` offers the four things the
store uses of a SQLAlchemy connection: the driver connection, ``begin()`` as a context manager,
``close()`` and the dialect's name (for ``store.sql.engine_of``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

# Every extension beyond the built-in ones (json, parquet, icu) would try to download itself, and
# fail only after seconds without a network: fail at once instead.
CONFIG = {"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"}


class _Dialect:
    name = "duckdb"


class DuckConnection:
    """One DuckDB connection, shaped like the part of SQLAlchemy's ``Connection`` the store uses."""

    dialect = _Dialect()

    def __init__(self, raw: duckdb.DuckDBPyConnection):
        self.driver_connection = raw

    @contextmanager
    def begin(self) -> Iterator[None]:
        """One transaction: committed when the block ends, rolled back when it raises."""
        self.driver_connection.begin()
        try:
            yield
        except BaseException:
            self.driver_connection.rollback()
            raise
        self.driver_connection.commit()

    def close(self) -> None:
        self.driver_connection.close()


def connect(path: Path | None, read_only: bool) -> DuckConnection:
    """Open the file (``None``: a private in-memory database). Raises ``duckdb.Error`` as DuckDB
    does, a lock held by another process included."""
    args: dict[str, Any] = {"config": dict(CONFIG)}
    if read_only:
        args["read_only"] = True
    return DuckConnection(duckdb.connect(str(path) if path is not None else ":memory:", **args))


def is_lock_error(exc: BaseException) -> bool:
    """Another process holds the file (or this one holds it with other settings)."""
    text = str(exc)
    return (
        "Could not set lock" in text
        or "Conflicting lock" in text
        or "different configuration than existing connections" in text
    )
