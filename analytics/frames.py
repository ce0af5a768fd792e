"""Row-level results (hundreds of thousands of rows) into pandas without a Python object per text cell.

DuckDB's ``.df()`` builds one Python ``str`` per text cell and pandas then converts them to its
Arrow-backed ``str`` dtype, which on a large store takes several times as long as the query
itself. Arrow hands text columns to pandas in C and gives the same ``str`` dtype.
Every other column still goes through DuckDB's own conversion, so that dtypes (nullable ``Int32``,
``boolean``, dates, lists) and the ``object`` dtype of an all-NULL or empty text column are exactly
what ``store.db.query_df`` gives: callers and CSV exports cannot tell the difference. (It could
become ``query_df`` itself; so far only the row-level tables and exports use it.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa

from analytics.definitions import bound
from store import sql as sql_
from store.db import Store

if TYPE_CHECKING:
    from store.sql import Connection


def _is_text(column: pa.ChunkedArray) -> bool:
    t = column.type
    return bool(pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t))


def wide_df(conn: Connection, sql: str, params: dict[str, Any]) -> pd.DataFrame:
    """``query_df`` for many rows: same frame, text columns converted by Arrow."""
    table: pa.Table = sql_.arrow(conn, sql, params)
    if len(set(table.column_names)) != table.num_columns:  # names must pick columns
        return sql_.to_frame(conn, table)
    text = [n for n, c in zip(table.column_names, table.columns, strict=True) if _is_text(c) and c.null_count < len(c)]
    rest = table.drop_columns(text)
    df = sql_.to_frame(conn, rest) if rest.num_columns else pd.DataFrame(index=pd.RangeIndex(table.num_rows))
    for name in text:
        df[name] = table.column(name).to_pandas()
    return df[table.column_names]


def run_wide(store: Store, sql: str, params: dict[str, Any]) -> pd.DataFrame:
    """``definitions.run`` for many rows (text columns converted by Arrow)."""
    with store.read() as conn:
        return wide_df(conn, sql, bound(sql, params))
