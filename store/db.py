"""Connections to the findings store.

The store is addressed by a SQLAlchemy URL so that a server database can follow the embedded
DuckDB file without touching callers. A plain path means a DuckDB file. DuckDB allows one
read-write process *or* many read-only processes per file — a process holding the file open, even
read-only, makes every other process's read-write open fail at once, without waiting — so nobody
here keeps a file open: every ``read()`` / ``write()`` opens a connection for one unit of work and closes it, and
an open that meets a lock held by another process is retried with backoff up to a timeout.
"""

from __future__ import annotations

import os
import random
import re
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from core.errors import StoreBusy, StoreError, StoreUnavailable
from store import duck, sql
from store.migrations import apply_migrations, pending, schema_version

if TYPE_CHECKING:
    import pandas as pd
    import sqlalchemy as sa

    from store.sql import Connection

DEFAULT_DB = Path("data") / "findings.duckdb"
ENV_DB = "FINDINGS_DB"
ENV_TIMEOUT = "FINDINGS_DB_TIMEOUT"
DEFAULT_TIMEOUT_S = 60.0
PG_CONNECT_TIMEOUT_S = 10
PG_CLIENT_CHECK_MS = 2000
MAX_POLL_S = 0.03

_SERVER_WITHOUT_SCHEME = re.compile(r"[^/@\s]+@[^/@\s]+:\d+(?:/|$)")


def resolve_url(db: str | os.PathLike[str] | None = None) -> sa.URL:
    """``--db`` value, else ``$FINDINGS_DB``, else ``data/findings.duckdb``, as a SQLAlchemy URL."""
    target = _resolve(db)
    return target if not isinstance(target, Path) else _file_url(target)


def _file_url(path: Path) -> sa.URL:
    import sqlalchemy as sa

    return sa.URL.create("duckdb", database=str(path))


def _resolve(db: str | os.PathLike[str] | None) -> sa.URL | Path:
    """A plain path stays a path (a DuckDB file, opened without importing SQLAlchemy); a URL is
    parsed and checked by SQLAlchemy."""
    raw = os.fspath(db) if db is not None else os.environ.get(ENV_DB) or os.fspath(DEFAULT_DB)
    if "://" in raw:
        import sqlalchemy as sa
        from sqlalchemy.engine import make_url

        try:
            url = make_url(raw)
        except sa.exc.ArgumentError as e:
            raise StoreError(f"not a database URL: {raw!r}") from e
        backend = url.get_backend_name()
        if backend in ("postgresql", "postgres"):
            driver = url.get_driver_name()
            if driver not in ("psycopg", "postgresql", "psycopg2"):
                raise StoreError(f"PostgreSQL driver {driver!r} is not supported; use postgresql+psycopg://")
            return url.set(drivername="postgresql+psycopg")
        if backend != "duckdb":
            raise StoreError(
                f"backend {backend!r} is not supported; use a DuckDB path, a duckdb:/// URL "
                "or postgresql+psycopg://USER:PASSWORD@HOST:PORT/DB"
            )
        return url
    if _SERVER_WITHOUT_SCHEME.match(raw) and not Path(raw).expanduser().exists():
        # "user:password@host:5432/db" is a server address whose scheme was left out, not a file
        # to create (the password is not repeated).
        raise StoreError(
            "the database looks like a server address without its scheme: write "
            "postgresql+psycopg://USER:PASSWORD@HOST:PORT/DB (or ./NAME for a DuckDB file named so)"
        )
    return Path(raw).expanduser().resolve()


class Store:
    """A handle on one database: cheap to create, holds no connection between calls."""

    def __init__(self, db: str | os.PathLike[str] | sa.URL | None = None, timeout_s: float | None = None):
        target = _resolve(db) if db is None or isinstance(db, (str, os.PathLike)) else db
        # A DuckDB file given as a path is kept as one: SQLAlchemy is imported only for a URL.
        self._file = target if isinstance(target, Path) else None
        self._url = None if isinstance(target, Path) else target
        env_timeout = os.environ.get(ENV_TIMEOUT)
        self.timeout_s = timeout_s if timeout_s is not None else float(env_timeout or DEFAULT_TIMEOUT_S)
        self._migrated = False
        self._local = threading.local()

    @property
    def url(self) -> sa.URL:
        """The database as a SQLAlchemy URL (a DuckDB file as ``duckdb:///PATH``)."""
        if self._url is not None:
            return self._url
        assert self._file is not None
        return _file_url(self._file)

    @property
    def is_server(self) -> bool:
        """A PostgreSQL server (team mode) rather than the embedded DuckDB file."""
        return self._url is not None and self._url.get_backend_name() == "postgresql"

    @property
    def where(self) -> str:
        """The database named for people: a file's path, or host:port/database (never a password)."""
        if self.is_server:
            u = self.url
            return (
                f"{u.username + '@' if u.username else ''}{u.host or 'localhost'}:{u.port or 5432}/{u.database or ''}"
            )
        return str(self.path or self.url.render_as_string(hide_password=True))

    @property
    def path(self) -> Path | None:
        if self._file is not None:
            return self._file
        if self.is_server:
            return None
        database = self.url.database
        return Path(database) if database and database != ":memory:" else None

    def __repr__(self) -> str:
        return f"Store({self.url.render_as_string(hide_password=True)!r})"

    def exists(self) -> bool:
        return self.is_server or (self.path is not None and self.path.exists())

    def require_existing(self) -> None:
        """For read commands: a file store that does not exist is an error, not a new empty file."""
        if self.path is not None and not self.path.is_file():
            raise StoreError(
                f"no database at {self.path} (read commands do not create one: check --db / $FINDINGS_DB, "
                "or load scans with python -m ingest first)"
            )

    def _engine(self, read_only: bool) -> sa.Engine:
        """A one-connection SQLAlchemy engine for the server."""
        import sqlalchemy as sa
        from sqlalchemy.pool import NullPool

        # Times are naive UTC throughout (now() cast to TIMESTAMP must be UTC as on DuckDB).
        # A client killed mid-statement (kill -9, a lost container) leaves its server process
        # running the statement to the end, holding its locks; checking the socket every few
        # seconds ends it soon after, and the stream locks it held are free for the others.
        options = f"-c TimeZone=UTC -c client_connection_check_interval={PG_CLIENT_CHECK_MS}"
        if read_only:
            options += " -c default_transaction_read_only=on"
        engine = sa.create_engine(
            self.url,
            poolclass=NullPool,
            connect_args={
                "connect_timeout": PG_CONNECT_TIMEOUT_S,
                "application_name": "findings",
                "options": options,
            },
        )
        sa.event.listen(engine, "connect", sql.on_pg_connect)
        return engine

    def _open(self, read_only: bool) -> tuple[sa.Engine | None, Connection]:
        """One connection: through SQLAlchemy to a server, with DuckDB's own driver to the file."""
        if not self.is_server:
            return None, duck.connect(self.path, read_only)
        import sqlalchemy as sa

        engine = self._engine(read_only)
        try:
            return engine, engine.connect()
        except sa.exc.DBAPIError as e:
            engine.dispose()
            raise StoreUnavailable(sql.server_problem(self.where, e.orig)) from None

    def _connect(self, read_only: bool) -> tuple[sa.Engine | None, Connection]:
        """Open, retrying on another process's lock until the timeout. Polls stay short (≤ 30 ms)
        so that a reader gets in during the pause a batch writer leaves between its leases."""
        deadline = time.monotonic() + self.timeout_s
        delay = 0.005
        while True:
            try:
                return self._open(read_only)
            except duckdb.Error as e:
                if not duck.is_lock_error(e):
                    raise StoreError(f"cannot open {self.where}: {e}") from e
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise StoreBusy(
                        f"the database {self.where} stayed locked by another process for "
                        f"{self.timeout_s:.0f} s (set {ENV_TIMEOUT} to wait longer)"
                    ) from e
                time.sleep(min(remaining, delay * (1 + random.random())))  # noqa: S311 (jitter, not crypto)
                delay = min(delay * 2, MAX_POLL_S)

    @staticmethod
    def _close(engine: sa.Engine | None, conn: Connection) -> None:
        conn.close()
        if engine is not None:
            engine.dispose()

    def ensure(self) -> None:
        """Create the file and apply pending migrations (a short write)."""
        if not self._migrated:
            with self.connect_rw():
                pass

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only connection for one query — or the ``session()`` connection when one is open
        in this thread, so that a page's many queries share one short-lived connection."""
        shared = getattr(self._local, "conn", None)
        if shared is not None:
            yield shared
            return
        if not self.exists():
            self.ensure()
        engine, conn = self._open_read()
        try:
            with self._server_errors():
                yield conn
        finally:
            self._close(engine, conn)

    def _open_read(self) -> tuple[sa.Engine | None, Connection]:
        """A read-only connection to an up-to-date store. Whether a migration is pending is asked
        on that connection (once per ``Store``); only then is a read-write one opened to apply it."""
        engine, conn = self._connect(read_only=True)
        if self._migrated:
            return engine, conn
        try:
            with self._server_errors():
                stale = pending(conn)
        except BaseException:
            self._close(engine, conn)
            raise
        if stale:
            self._close(engine, conn)
            self.ensure()
            return self._connect(read_only=True)
        self._migrated = True
        return engine, conn

    def _server_errors(self) -> AbstractContextManager[None]:
        """Server failures that escape ``store.sql`` (a commit or rollback SQLAlchemy runs when a
        transaction ends) as one-line ``StoreUnavailable`` too."""
        return sql.server_errors(self.where) if self.is_server else nullcontext()

    def describe(self) -> dict[str, Any]:
        """Which database this is, for people and scripts: engine, where (never a password) and
        schema version (the highest migration applied)."""
        with self.read() as conn:
            version = schema_version(conn)
        return {
            "engine": "postgresql" if self.is_server else "duckdb",
            "database": self.where,
            "schema_version": version,
        }

    @contextmanager
    def session(self) -> Iterator[Store]:
        """Hold one read-only connection for a unit of work (a page render, an export); it is
        closed at the end, so writers elsewhere wait at most that long."""
        if getattr(self._local, "conn", None) is not None:
            yield self
            return
        with self.read() as conn:
            self._local.conn = conn
            self._local.memo = {}
            try:
                yield self
            finally:
                self._local.conn = None
                self._local.memo = None

    def session_memo(self) -> dict[Any, Any] | None:
        """A dict that lives as long as this thread's ``session()`` (None outside one): for
        values that cannot change while the session's single connection sees one snapshot."""
        memo: dict[Any, Any] | None = getattr(self._local, "memo", None)
        return memo

    @contextmanager
    def connect_rw(self) -> Iterator[Connection]:
        """A read-write connection without a transaction: the caller runs ``with conn.begin()``
        per unit of work and must close it soon (``ingest.pipeline`` holds it for one lease)."""
        if self.path is not None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                why = "it is not a folder" if isinstance(e, FileExistsError) else e.strerror or str(e)
                raise StoreError(f"cannot create the folder {self.path.parent}: {why}") from None
        engine, conn = self._connect(read_only=False)
        try:
            with self._server_errors():
                if not self._migrated:  # on this connection: opening a second one costs ~40 ms
                    apply_migrations(conn)
                    self._migrated = True
                yield conn
        finally:
            self._close(engine, conn)

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A read-write connection inside one transaction: committed on success, else rolled back."""
        with self.connect_rw() as conn, conn.begin():
            yield conn


def native(conn: Connection) -> Any:
    """The DBAPI connection under a SQLAlchemy connection (DuckDB-only code paths)."""
    return sql.driver(conn)


def query_df(conn: Connection, text: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> pd.DataFrame:
    """Run a parameterised query (``?`` or ``$name`` placeholders) and return a DataFrame."""
    return sql.frame(conn, text, params)


def query_rows(conn: Connection, text: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> list[tuple[Any, ...]]:
    return sql.rows(conn, text, params)
