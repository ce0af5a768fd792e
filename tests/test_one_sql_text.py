"""One SQL text, two engines (store/sql.py): DuckDB-dialect statements whose PostgreSQL
translation once differed from DuckDB's answer give the same rows on both. Expected values are
DuckDB's documented behaviour, worked out by hand."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from store import sql
from store.db import Store

pytestmark = pytest.mark.engines


def one(store: Store, text: str, params: Any = None) -> list[tuple[Any, ...]]:
    with store.read() as conn:
        return sql.rows(conn, text, params)


def test_arg_min_and_arg_max_skip_null_values_and_keys(store: Store) -> None:
    """(a, b): (1, 1), (NULL, 2), (7, NULL), (NULL, 0). DuckDB skips rows whose value or key is
    NULL: the largest b with a value is 1 (a = 1), and so is the smallest."""
    rows = "(VALUES (1, 1), (NULL, 2), (7, NULL), (NULL, 0)) AS t(a, b)"
    assert one(store, f"SELECT arg_max(a, b), arg_min(a, b) FROM {rows}") == [(1, 1)]
    assert one(store, f"SELECT arg_max(a, b) FILTER (WHERE b > 1) FROM {rows}") == [(None,)]


def test_strftime_formats_with_percent_signs(store: Store) -> None:
    """strftime's % directives, a literal '%' and a LIKE pattern in one statement with a parameter."""
    got = one(
        store,
        "SELECT strftime(CAST(? AS TIMESTAMP), '%d/%m %H:%M'), 'x' LIKE '%', 10 % 4",
        [datetime(2026, 1, 2, 3, 4)],
    )
    assert got == [("02/01 03:04", True, 2)]


def test_order_by_all(store: Store) -> None:
    """ORDER BY ALL sorts by every column, left to right; DESC reverses each (NULLs last)."""
    rows = "(VALUES (2, 'b'), (1, 'z'), (2, 'a'), (NULL, 'n')) AS t(x, y)"
    assert one(store, f"SELECT x, y FROM {rows} ORDER BY ALL") == [(1, "z"), (2, "a"), (2, "b"), (None, "n")]
    assert one(store, f"SELECT x, y FROM {rows} ORDER BY ALL DESC") == [(2, "b"), (2, "a"), (1, "z"), (None, "n")]


def test_stored_text_sorts_by_its_bytes(store: Store) -> None:
    """DuckDB sorts text by its bytes: upper case before lower case, '_' between them, 'ä' (two
    bytes from 0xC3) after every ASCII letter — whatever the PostgreSQL server's locale is."""
    paths = ["src/app.py", "src/ä, b.py", "B.py", "a.py", "_x.py", "Z.py"]
    with store.write() as conn:
        for p in paths:
            sql.execute(conn, "INSERT INTO rejections VALUES (?, NULL, 'r', CAST(now() AS TIMESTAMP))", [p])
    expected = sorted(paths, key=lambda p: p.encode())
    assert expected == ["B.py", "Z.py", "_x.py", "a.py", "src/app.py", "src/ä, b.py"]
    assert [r[0] for r in one(store, "SELECT path FROM rejections ORDER BY path")] == expected
    assert one(store, "SELECT min(path), max(path) FROM rejections") == [("B.py", "src/ä, b.py")]
