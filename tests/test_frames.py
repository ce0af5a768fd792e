"""``frames.wide_df`` gives exactly the frame ``store.db.query_df`` gives (same dtypes, same
values), whatever the column types, NULLs and row count: only the way text reaches pandas differs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analytics.frames import wide_df
from store.db import Store, native, query_df

ROWS = """
CREATE TABLE t AS SELECT * FROM (VALUES
    (1, TRUE, 1.5, 'a', TIMESTAMP '2024-01-01 10:00', ['x', 'y'], 3::BIGINT, DATE '2024-01-01', NULL::VARCHAR,
     1.25::DECIMAL(5, 2), '=1+1', 'é ≠ "q", x'),
    (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '', NULL)
) v(i, b, d, s, ts, l, bi, dt, n, dec, formula, quoted)
"""


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM t",
        "SELECT * FROM t WHERE i = 1",  # no NULLs: plain int / bool dtypes
        "SELECT * FROM t WHERE i IS NULL",  # a text column with only NULL
        "SELECT * FROM t WHERE FALSE",  # no rows
        "SELECT s, s FROM t",  # a repeated name
        "SELECT 'r' || range AS s, range % 3 = 0 AS b FROM range(5000) ORDER BY range DESC",
    ],
)
def test_wide_df_is_query_df(tmp_path: Path, sql: str) -> None:
    store = Store(tmp_path / "frames.duckdb")
    store.ensure()
    with store.connect_rw() as conn:
        native(conn).execute(ROWS)
    with store.read() as conn:
        expected = query_df(conn, sql)
        got = wide_df(conn, sql, {})
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
