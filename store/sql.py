"""One SQL text, two engines: statements are written once, in DuckDB's dialect, and run as they
are on DuckDB or translated for PostgreSQL by sqlglot (cached per statement text).

Everything that touches a connection goes through the functions here — ``rows``, ``frame``,
``arrow``, ``append``, ``script`` — so callers never see which engine they talk to:

* parameters are DuckDB's ``?`` (a list) or ``$name`` (a dict); on PostgreSQL sqlglot turns them
  into psycopg's ``%s`` / ``%(name)s`` (and literal ``%`` signs are doubled);
* results come back as the same Python rows, the same Arrow table and the same pandas frame on
  both engines: a PostgreSQL result is typed from its column types into Arrow and converted to
  pandas by DuckDB's own conversion, so CSV exports cannot tell the engines apart;
* bulk appends take an Arrow table: DuckDB reads it in place; PostgreSQL receives it with ``COPY``
  into a temporary table of the same name, which the statement then reads.

The translation itself (sqlglot and our rewrites) is ``store.translate``, imported on the first
PostgreSQL statement; pandas is imported on the first frame asked for. A DuckDB ingest loads
neither.
"""

from __future__ import annotations

import gc
import io
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from core.errors import StoreUnavailable
from store.duck import DuckConnection

if TYPE_CHECKING:
    from typing import TypeAlias

    import pandas as pd
    import sqlalchemy as sa

    # A server connection (SQLAlchemy, psycopg) or the DuckDB file's own (``store.duck``).
    Connection: TypeAlias = sa.Connection | DuckConnection

Params = Sequence[Any] | Mapping[str, Any] | None


class Engine(StrEnum):
    DUCKDB = "duckdb"
    POSTGRES = "postgresql"


def engine_of(conn: Connection) -> Engine:
    return Engine.DUCKDB if isinstance(conn, DuckConnection) else Engine.POSTGRES


def driver(conn: Connection) -> Any:
    """The driver's connection: DuckDB's, or psycopg's under a SQLAlchemy connection."""
    if isinstance(conn, DuckConnection):
        return conn.driver_connection
    return conn.connection.driver_connection


# --------------------------------------------------------------------------------------- errors
def _sqlstate(exc: BaseException | None) -> str:
    return str(getattr(exc, "sqlstate", "") or "")


# A session ended by the server (an administrator, a crash, an idle timeout), and psycopg's words for
# a connection that is gone (the last two: the connection failing mid-statement, or used again after).
_ENDED = ("57P01", "57P02", "57P05")
_LOST_WORDS = ("server closed the connection", "terminating connection", "connection is closed", "connection is lost")


def server_problem(where: str, exc: BaseException | None) -> str:
    """One line for a PostgreSQL failure: what went wrong with which server, never a password."""
    state = _sqlstate(exc)
    text = str(exc or "").strip().splitlines()[0] if str(exc or "").strip() else type(exc).__name__
    if state == "28P01" or "password authentication failed" in text:
        why = "the user name or password was refused"
    elif state == "3D000" or ("database" in text and "does not exist" in text):
        why = "the database does not exist (create it, or fix the URL)"
    elif state == "42501":
        why = f"the user lacks a privilege it needs ({text})"
    elif "Connection refused" in text or "could not connect" in text or "timeout expired" in text:
        why = "the server cannot be reached (is it running, and is host:port right?)"
    elif state.startswith("08") or state in _ENDED or any(words in text for words in _LOST_WORDS):
        why = "the connection to the server was lost"
    else:
        why = text
    return f"PostgreSQL at {where}: {why}"


def server_name(url: sa.URL) -> str:
    """user@host:port/database: a server named for people, never with its password."""
    user = f"{url.username}@" if url.username else ""
    return f"{user}{url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"


def _where(conn: Connection) -> str:
    return "the DuckDB file" if isinstance(conn, DuckConnection) else server_name(conn.engine.url)


def _is_server_failure(exc: BaseException) -> bool:
    import psycopg

    if isinstance(exc, psycopg.OperationalError):
        return True
    return _sqlstate(exc) == "42501"


def _driver_error(exc: BaseException) -> BaseException:
    """The psycopg error under a SQLAlchemy one (or the error itself)."""
    return getattr(exc, "orig", None) or exc


def is_transient(exc: BaseException) -> bool:
    """A deadlock or serialisation failure: the transaction can simply be run again."""
    return _sqlstate(_driver_error(exc)) in ("40P01", "40001")


def unavailable(exc: BaseException, where: str) -> StoreUnavailable | None:
    """``exc`` as a ``StoreUnavailable`` when it says the server went away or refused us."""
    if isinstance(exc, StoreUnavailable):
        return exc
    inner = _driver_error(exc)
    if type(inner).__module__.startswith("psycopg") and _is_server_failure(inner):
        return StoreUnavailable(server_problem(where, inner))
    return None


@contextmanager
def server_errors(where: str) -> Iterator[None]:
    """PostgreSQL's connection, sign-in and privilege failures as one-line ``StoreUnavailable``."""
    try:
        yield
    except Exception as e:
        failure = unavailable(e, where)
        if failure is not None and failure is not e:
            raise failure from None
        raise


def on_pg_connect(dbapi_conn: Any, _record: Any) -> None:
    """Python text parameters are typed ``text`` (psycopg leaves them untyped by default, and
    PostgreSQL cannot pick ``unnest`` of an untyped list)."""
    from psycopg.types.string import StrDumper

    dbapi_conn.adapters.register_dumper(str, StrDumper)


def translate(sql: str, engine: Engine) -> str:
    """The statement(s) for ``engine``; DuckDB text passes unchanged."""
    if engine is Engine.DUCKDB:
        return sql
    from store.translate import to_postgres

    return to_postgres(sql)


# ------------------------------------------------------------------------------------ execution
def _params(params: Params) -> Any:
    if params is None:
        return []
    return dict(params) if isinstance(params, Mapping) else list(params)


def rows(conn: Connection, sql: str, params: Params = None) -> list[tuple[Any, ...]]:
    """Run one statement; its rows (none for a statement without a result)."""
    engine = engine_of(conn)
    if engine is Engine.DUCKDB:
        res = driver(conn).execute(sql, _params(params))
        return list(res.fetchall()) if res.description else []
    with server_errors(_where(conn)), driver(conn).cursor() as cur:
        cur.execute(translate(sql, engine), _params(params))
        return [tuple(r) for r in cur.fetchall()] if cur.description else []


def execute(conn: Connection, sql: str, params: Params = None) -> None:
    rows(conn, sql, params)


def script(conn: Connection, sql: str) -> None:
    """Several statements separated by ``;`` (a migration), without parameters."""
    engine = engine_of(conn)
    if engine is Engine.DUCKDB:
        driver(conn).execute(sql)
        return
    with server_errors(_where(conn)), driver(conn).cursor() as cur:
        for statement in translate(sql, engine).split(";\n"):
            cur.execute(statement.replace("%%", "%"))


# PostgreSQL column types (OIDs) → Arrow types; anything else is inferred from the values.
_PG_TYPES: dict[int, pa.DataType] = {
    16: pa.bool_(),
    20: pa.int64(),
    21: pa.int16(),
    23: pa.int32(),
    26: pa.int64(),
    700: pa.float32(),
    701: pa.float64(),
    1700: pa.float64(),
    18: pa.string(),
    19: pa.string(),
    25: pa.string(),
    1042: pa.string(),
    1043: pa.string(),
    705: pa.string(),
    1114: pa.timestamp("us"),
    1184: pa.timestamp("us", tz="UTC"),
    1082: pa.date32(),
    1186: pa.duration("us"),
    1000: pa.list_(pa.bool_()),
    1005: pa.list_(pa.int16()),
    1007: pa.list_(pa.int32()),
    1016: pa.list_(pa.int64()),
    1009: pa.list_(pa.string()),
    1015: pa.list_(pa.string()),
    1022: pa.list_(pa.float64()),
    1231: pa.list_(pa.float64()),
    1115: pa.list_(pa.timestamp("us")),
}


def _pg_column(values: list[Any], oid: int) -> pa.Array:
    typ = _PG_TYPES.get(oid)
    if oid in (1700, 1231):  # numeric → double, as DuckDB's DOUBLE results
        values = [None if v is None else ([float(x) for x in v] if isinstance(v, list) else float(v)) for v in values]
    if typ == pa.duration("us"):
        return pa.array(values, type=typ)
    return pa.array(values, type=typ) if typ is not None else pa.array(values)


def arrow(conn: Connection, sql: str, params: Params = None) -> pa.Table:
    """The result as an Arrow table (DuckDB's own types; PostgreSQL's mapped to the same)."""
    engine = engine_of(conn)
    if engine is Engine.DUCKDB:
        # a relation, not a DB-API result: DuckDB warns on stderr about an extra copy for the latter
        return driver(conn).sql(sql, params=_params(params)).to_arrow_table()
    with server_errors(_where(conn)), driver(conn).cursor() as cur, _collector_paused():
        cur.execute(translate(sql, engine), _params(params))
        desc = cur.description or []
        data = cur.fetchall()
        columns = list(zip(*data, strict=True)) if data else [() for _ in desc]
        arrays = [_pg_column(list(col), d.type_code) for col, d in zip(columns, desc, strict=True)]
    names = _unique([d.name for d in desc])
    return pa.Table.from_arrays(arrays, names=names)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while a result's rows become columns: rows of plain
    values hold no cycles, and the full passes that creating them triggers (0.2 s for 17k scans,
    now and then) free nothing."""
    if not gc.isenabled():  # another thread has it off: it turns it back on
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n}_{seen[n] - 1}")
    return out


_local = threading.local()


def scratch() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB for converting Arrow to pandas the way DuckDB does (one per thread)."""
    con = getattr(_local, "duck", None)
    if con is None:
        con = _local.duck = duckdb.connect(
            config={"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"}
        )
    return con


def frame(conn: Connection, sql: str, params: Params = None) -> pd.DataFrame:
    """The result as a pandas DataFrame, with DuckDB's dtypes on both engines."""
    if engine_of(conn) is Engine.DUCKDB:
        return driver(conn).execute(sql, _params(params)).df()
    return scratch().from_arrow(arrow(conn, sql, params)).df()


def to_frame(conn: Connection, table: pa.Table) -> pd.DataFrame:
    """An Arrow table as DuckDB would give it to pandas."""
    duck = driver(conn) if engine_of(conn) is Engine.DUCKDB else scratch()
    return duck.from_arrow(table).df()


# ---------------------------------------------------------------------------------- bulk append
def _pg_type(t: pa.DataType) -> str:
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return _pg_type(t.value_type) + "[]"
    if pa.types.is_boolean(t):
        return "BOOLEAN"
    if pa.types.is_integer(t):
        return "BIGINT" if t.bit_width > 32 else "INTEGER"
    if pa.types.is_floating(t):
        return "DOUBLE PRECISION"
    if pa.types.is_timestamp(t):
        return "TIMESTAMP" if t.tz is None else "TIMESTAMPTZ"
    if pa.types.is_date(t):
        return "DATE"
    return "TEXT"


def _pg_column_type(t: pa.DataType) -> str:
    """The temporary table's column type; text in byte order, as the stored columns (``_byte_order``)."""
    typ = _pg_type(t)
    return f'{typ} COLLATE "C"' if typ.startswith("TEXT") else typ


def _pg_array_literals(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A list column as PostgreSQL array literals (``{"a","b\\"c",NULL}``), computed column-wise by
    Arrow: every element quoted, its backslashes and double quotes escaped; a NULL list stays NULL."""
    chunks = []
    for chunk in column.chunks:
        items = pc.cast(chunk.flatten(), pa.string())  # the elements of the (possibly sliced) lists
        escaped = pc.replace_substring(pc.replace_substring(items, "\\", "\\\\"), '"', '\\"')
        quoted = pc.binary_join_element_wise('"', escaped, '"', "")
        quoted = pc.if_else(pc.is_null(items), pa.scalar("NULL"), quoted)
        lengths = pc.fill_null(pc.list_value_length(chunk), 0)
        offsets = pa.array(np.concatenate([[0], np.cumsum(lengths.to_numpy())]), pa.int32())
        lists = pa.ListArray.from_arrays(offsets, quoted, mask=chunk.is_null())
        joined = pc.binary_join(lists, ",")
        chunks.append(pc.binary_join_element_wise("{", joined, "}", ""))
    return pa.chunked_array(chunks, pa.string())


def _csv_ready(table: pa.Table) -> pa.Table:
    """List columns as PostgreSQL array literals (the CSV writer has no lists)."""
    for i, field in enumerate(table.schema):
        if pa.types.is_list(field.type) or pa.types.is_large_list(field.type):
            table = table.set_column(i, pa.field(field.name, pa.string()), _pg_array_literals(table.column(i)))
    return table


def append(conn: Connection, name: str, table: pa.Table, sql: str, params: Params = None) -> None:
    """Run ``sql``, which reads the Arrow ``table`` under ``name`` (``INSERT … SELECT … FROM name``)."""
    engine = engine_of(conn)
    if engine is Engine.DUCKDB:
        raw = driver(conn)
        raw.register(name, table)
        try:
            raw.execute(sql, _params(params))
        finally:
            with suppress(duckdb.Error):  # after a failed statement (Ctrl-C…) it fails too: keep the first error
                raw.unregister(name)
        return
    cols = ", ".join(f'"{f.name}" {_pg_column_type(f.type)}' for f in table.schema)
    with server_errors(_where(conn)), driver(conn).cursor() as cur:
        cur.execute(f'DROP TABLE IF EXISTS "{name}"')
        cur.execute(f'CREATE TEMP TABLE "{name}" ({cols})')
        _copy(cur, f'"{name}"', table)
        cur.execute(translate(sql, engine), _params(params))
        cur.execute(f'DROP TABLE "{name}"')


def insert_all(conn: Connection, target: str, table: pa.Table) -> None:
    """Append every row of the Arrow ``table`` to the table ``target``, whose columns its columns
    are, in order and by name. On PostgreSQL that is one ``COPY`` into ``target``: no temporary
    table to fill and read back (for 100k occurrences that halves the server's work)."""
    if engine_of(conn) is Engine.DUCKDB:
        append(conn, f"new_{target}", table, f"INSERT INTO {target} SELECT * FROM new_{target}")
        return
    with server_errors(_where(conn)), driver(conn).cursor() as cur:
        _copy(cur, target, table, columns=True)


def _copy(cur: Any, target: str, table: pa.Table, columns: bool = False) -> None:
    """``COPY target FROM STDIN`` the Arrow table's rows, as CSV (list columns as array literals)."""
    if not table.num_rows:
        return
    buf = io.BytesIO()
    opts = pacsv.WriteOptions(include_header=False, quoting_style="needed")
    pacsv.write_csv(_csv_ready(table), buf, opts)
    names = " (" + ", ".join(f'"{f.name}"' for f in table.schema) + ")" if columns else ""
    with cur.copy(f"COPY {target}{names} FROM STDIN (FORMAT csv)") as copy:
        copy.write(buf.getbuffer())
