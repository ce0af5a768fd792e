"""The paths PostgreSQL takes for speed give what DuckDB gives: list filters written as ``= ANY``,
list columns sent by COPY as array literals, lifecycle statements planned without nested loops,
and a batch that rebuilds the lifecycle of its own streams in its own transaction."""

from __future__ import annotations

import json
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from ingest import lifecycle, pipeline
from ingest.models import ScanMeta
from ingest.prepare import prepare
from store import sql
from store.db import Store
from tests.conftest import result, sarif_log

pytestmark = pytest.mark.engines

# Everything an array literal must escape or quote, an element that reads like NULL, a NULL element.
TEXTS = ["plain", 'say "hi"', "back\\slash", "a,b", "{braces}", " spaced ", "ünïcødé", "two\nlines", "", "NULL"]
LISTS: list[list[str | None] | None] = [TEXTS, [], None, ["x", None], ['\\"', "\\\\"]]


def test_a_list_filter_becomes_any_on_postgresql() -> None:
    text = "SELECT 1 FROM t WHERE x IN (SELECT unnest($l::VARCHAR[])) AND y IN (SELECT unnest($m) FROM u)"
    translated = sql.translate(text, sql.Engine.POSTGRES)
    assert "x = ANY(CAST(%(l)s AS TEXT[]))" in translated
    assert "y IN (SELECT UNNEST(%(m)s) FROM u)" in translated  # a query with a FROM is left alone


def test_list_filters_keep_their_meaning(db: Path) -> None:
    """``IN`` / ``NOT IN`` an unnested list, NULLs included, select the same rows on both engines."""
    store = Store(db)
    with store.write() as conn:
        sql.script(conn, "CREATE TABLE t (x VARCHAR)")
        sql.execute(conn, "INSERT INTO t VALUES ('a'), ('b'), (NULL)")

    def xs(where: str, items: list[str | None]) -> list[str | None]:
        with store.read() as conn:
            return [r[0] for r in sql.rows(conn, f"SELECT x FROM t WHERE {where} ORDER BY x", {"l": items})]

    assert xs("x IN (SELECT unnest($l::VARCHAR[]))", ["a", "c"]) == ["a"]
    assert xs("x NOT IN (SELECT unnest($l::VARCHAR[]))", ["a"]) == ["b"]
    assert xs("x NOT IN (SELECT unnest($l::VARCHAR[]))", ["a", None]) == []  # NULL in the list: unknown
    assert xs("x IN (SELECT unnest($l::VARCHAR[]))", []) == []


FIRST_OF_EACH = """
SELECT t.g, t.v, t.n FROM t
QUALIFY row_number() OVER (PARTITION BY t.g ORDER BY t.n DESC, t.v) = 1
ORDER BY 1
"""


def test_first_of_each_group_is_distinct_on_for_postgresql() -> None:
    translated = sql.translate(FIRST_OF_EACH.replace("ORDER BY 1", ""), sql.Engine.POSTGRES)
    assert translated.startswith("SELECT DISTINCT ON (t.g) t.g, t.v, t.n FROM t ORDER BY t.g, t.n DESC NULLS LAST, t.v")
    # a bare name that an output column shadows would be read as that column: left as a subquery
    shadowed = "SELECT v AS g FROM t QUALIFY row_number() OVER (PARTITION BY g ORDER BY n) = 1"
    assert "DISTINCT ON" not in sql.translate(shadowed, sql.Engine.POSTGRES)
    top3 = "SELECT g FROM t QUALIFY row_number() OVER (PARTITION BY t.g ORDER BY t.n) <= 3"
    assert "DISTINCT ON" not in sql.translate(top3, sql.Engine.POSTGRES)


def test_first_of_each_group_keeps_its_rows(db: Path) -> None:
    """Per g, the row of highest n (NULL n last, as DuckDB orders), ties broken by v."""
    store = Store(db)
    with store.write() as conn:
        sql.script(conn, "CREATE TABLE t (g VARCHAR, v VARCHAR, n INTEGER)")
        sql.execute(
            conn,
            "INSERT INTO t VALUES ('a', 'x', 1), ('a', 'y', 3), ('a', 'z', 3), ('b', 'x', NULL), ('b', 'y', 0),"
            " ('c', 'x', NULL)",
        )
    with store.read() as conn:
        assert sql.rows(conn, FIRST_OF_EACH) == [("a", "y", 3), ("b", "y", 0), ("c", "x", None)]


def test_a_cte_that_only_filters_a_table_is_inlined_on_postgresql() -> None:
    text = """WITH p AS (SELECT a, b FROM t WHERE c = 'x'), q AS (SELECT a, count(*) AS n FROM t GROUP BY a)
    SELECT * FROM p JOIN p p2 USING (a) JOIN q USING (a)"""
    translated = sql.translate(text, sql.Engine.POSTGRES)
    assert "p AS NOT MATERIALIZED (SELECT a, b FROM t WHERE c = 'x')" in translated
    assert "q AS (SELECT a" in translated  # grouping: computed once, as before


def test_list_columns_arrive_as_they_were_sent(db: Path) -> None:
    """Both bulk paths (``insert_all`` and ``append``), from Arrow slices that do not start at 0."""
    store = Store(db)
    table = pa.table(
        {
            "k": pa.array(range(len(LISTS)), pa.int32()),
            "l": pa.array(LISTS, pa.list_(pa.string())),
            "n": pa.array([None if v is None else [len(x or "") for x in v] for v in LISTS], pa.list_(pa.int32())),
        }
    )
    with store.write() as conn:
        sql.script(conn, "CREATE TABLE lists (k INTEGER, l VARCHAR[], n INTEGER[])")
        sql.insert_all(conn, "lists", table.slice(2))
        sql.append(conn, "more", table.slice(0, 2), "INSERT INTO lists SELECT * FROM more")
    with store.read() as conn:
        got = sql.rows(conn, "SELECT k, l, n FROM lists ORDER BY k")
    assert got == [tuple(row.values()) for row in table.to_pylist()]


def _scan(tmp: Path, day: int, rules: list[str], project: str = "p") -> tuple[Path, ScanMeta]:
    path = tmp / f"{project}-{day}.sarif"
    path.write_text(json.dumps(sarif_log([result(r, f"src/{r}.py") for r in rules])))
    return path, ScanMeta(project=project, branch="main", scanned_at=datetime(2026, 3, day, 10))


def test_lifecycle_statements_need_no_nested_loop(db: Path, engine: str, tmp_path: Path) -> None:
    """Every join of the lifecycle statements can be hashed: with nested loops off, PostgreSQL plans
    none (a guessed-low row count cannot turn them quadratic); the setting is restored after."""
    store = Store(db)
    pipeline.ingest_many(store, [_scan(tmp_path, day, ["R1", "R2"][:day]) for day in (1, 2, 3)])
    if engine != "postgresql":
        pytest.skip("a PostgreSQL plan")
    with store.write() as conn:
        streams = [r[0] for r in sql.rows(conn, "SELECT stream_id FROM streams")]
        sql.execute(conn, lifecycle.NO_NESTED_LOOPS)
        for statement in (lifecycle.EPISODES_SQL, lifecycle.FINDINGS_SQL):
            text = "EXPLAIN " + sql.translate(statement, sql.Engine.POSTGRES)
            with sql.driver(conn).cursor() as cur:
                plan = "\n".join(r[0] for r in cur.execute(text, {"streams": streams}).fetchall())
            assert "Nested Loop" not in plan, plan
        sql.execute(conn, lifecycle.NESTED_LOOPS_AGAIN)
        lifecycle.recompute_streams(conn, streams)
        assert sql.rows(conn, "SHOW enable_nestloop") == [("on",)]


def test_a_batch_leaves_no_stream_for_another_writer_to_rebuild(db: Path, engine: str, tmp_path: Path) -> None:
    """On PostgreSQL, where writers of different streams run at once, a batch's streams are rebuilt
    in the batch's transaction: once it commits, its findings are there and nothing is left marked
    dirty for whichever writer's lease ends next."""
    if engine != "postgresql":
        pytest.skip("DuckDB has one writer: its lease rebuilds the streams when it ends")
    store = Store(db)
    lease = pipeline._Lease(store)
    try:
        reports = pipeline.store_batch(
            lease, [prepare(*_scan(tmp_path, 1, ["R1", "R2"])), prepare(*_scan(tmp_path, 1, ["R3"], "q"))]
        )
        assert [r.status for r in reports] == ["loaded", "loaded"]
        with store.read() as conn:  # another connection, before this lease ends
            assert sql.rows(conn, "SELECT count(*) FROM dirty_streams") == [(0,)]
            assert sql.rows(conn, "SELECT project, count(*) FROM findings GROUP BY 1 ORDER BY 1") == [
                ("p", 2),
                ("q", 1),
            ]
    finally:
        lease.release()


def test_writers_of_other_streams_do_not_wait_for_a_batch_citing_the_same_rules(
    db: Path, engine: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Writer A's batch is held open at its end (its streams being rebuilt); writer B, of another
    project, brings the same rule: its batch completes without waiting for A's (the rules were
    upserted and committed before A's batch began)."""
    if engine != "postgresql":
        pytest.skip("DuckDB has one writer at a time")
    store = Store(db)
    store.ensure()
    held, release = threading.Event(), threading.Event()
    rebuild = pipeline.recompute_now

    def slow_for_a(conn: Any, streams: Any) -> None:
        if threading.current_thread().name == "writer-a":
            held.set()
            release.wait(30)
        rebuild(conn, streams)

    monkeypatch.setattr(pipeline, "recompute_now", slow_for_a)
    a_lease, a_batch = pipeline._Lease(store), [prepare(*_scan(tmp_path, 1, ["R1"], "a"))]
    a = threading.Thread(target=lambda: pipeline.store_batch(a_lease, a_batch), name="writer-a")
    a.start()
    lease = pipeline._Lease(store)
    try:
        assert held.wait(30)
        sql.execute(lease.conn(), "SET lock_timeout = '3s'")  # waiting for A would fail B's batch
        reports = pipeline.store_batch(lease, [prepare(*_scan(tmp_path, 1, ["R1", "R2"], "b"))])
        assert [r.status for r in reports] == ["loaded"]
    finally:
        release.set()
        a.join(30)
        a_lease.release()
        lease.release()
