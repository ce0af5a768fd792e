"""Data-quality warnings (analytics.quality): identity churn on a hand-built stream.

One stream (project p, branch main, tool demo-tool), three scans a day apart; every result has a
snippet, so its identity is rule | path | snippet, and a changed snippet is a new identity:

| scan (day) | R1 in a.tf     | R2 in a.tf | R1 in b.tf | R3 in c.tf     |
|------------|----------------|------------|------------|----------------|
| 1 (01-01)  | s1, s2, s3     | x          | y          | —              |
| 2 (01-02)  | t1, t2, t3     | x2         | y          | u1, u2         |
| 3 (01-03)  | t1             | x2         | y          | v1, v2, v3     |

Worked out by hand, per scan, rule and file (fixed / opened):
* day 2, R1 a.tf: 3 fixed (s1–s3) / 3 opened (t1–t3) → churn;
* day 2, R2 a.tf: 1 / 1 → one pair is not churn (a real fix and a real new finding look alike);
* day 2, R3 c.tf: 0 / 2 → nothing fixed;
* day 3, R1 a.tf: 2 (t2, t3) / 0 → real fixes;
* day 3, R3 c.tf: 2 (u1, u2) / 3 (v1–v3) → churn (as many or more opened than fixed).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from analytics.filters import Filters
from analytics.quality import identity_churn
from store.db import Store, query_rows
from tests.conftest import result, sarif_log

pytestmark = pytest.mark.engines

DAYS = ["2026-01-01T10:00:00Z", "2026-01-02T10:00:00Z", "2026-01-03T10:00:00Z"]


def snip(rule: str, path: str, snippet: str, line: int = 5) -> dict[str, Any]:
    r = result(rule, path, line)
    r["locations"][0]["physicalLocation"]["region"]["snippet"] = {"text": snippet}
    return r


SCANS = [
    [snip("R1", "a.tf", "s1"), snip("R1", "a.tf", "s2"), snip("R1", "a.tf", "s3"), snip("R2", "a.tf", "x"),
     snip("R1", "b.tf", "y")],
    [snip("R1", "a.tf", "t1"), snip("R1", "a.tf", "t2"), snip("R1", "a.tf", "t3"), snip("R2", "a.tf", "x2"),
     snip("R1", "b.tf", "y"), snip("R3", "c.tf", "u1"), snip("R3", "c.tf", "u2")],
    [snip("R1", "a.tf", "t1"), snip("R2", "a.tf", "x2"), snip("R1", "b.tf", "y"), snip("R3", "c.tf", "v1"),
     snip("R3", "c.tf", "v2"), snip("R3", "c.tf", "v3")],
]  # fmt: skip


def load(write_sarif: Callable[..., Path], run_ingest: Callable[..., tuple[int, str, str]]) -> None:
    for i, results in enumerate(SCANS):
        path = write_sarif(f"s{i}.sarif", sarif_log(results))
        code, _, err = run_ingest("sarif", path, "--project", "p", "--branch", "main", "--scanned-at", DAYS[i])
        assert code == 0, err


def rows(df: pd.DataFrame) -> list[tuple[Any, ...]]:
    return [
        (r.scanned_at.strftime("%m-%d"), r.rule_id, r.path, int(r.fixed), int(r.opened))
        for r in df.itertuples(index=False)
    ]


def test_identity_churn_hand_worked(write_sarif, run_ingest, db: Path) -> None:  # type: ignore[no-untyped-def]
    load(write_sarif, run_ingest)
    store = Store(db)
    df = identity_churn(store, Filters())
    assert list(df.columns) == [
        "scanned_at", "project", "branch", "tool", "category", "rule_id", "path", "fixed", "opened", "scan_id",
    ]  # fmt: skip
    assert rows(df) == [("01-02", "R1", "a.tf", 3, 3), ("01-03", "R3", "c.tf", 2, 3)]
    assert set(df["project"]) == {"p"} and set(df["tool"]) == {"demo-tool"}
    # the scan named is the one that saw them gone
    with store.read() as conn:
        day2 = query_rows(conn, "SELECT scan_id FROM scans WHERE scanned_at = '2026-01-02 10:00:00'")
    assert df["scan_id"].iloc[0] == day2[0][0]


def test_identity_churn_filters(write_sarif, run_ingest, db: Path) -> None:  # type: ignore[no-untyped-def]
    load(write_sarif, run_ingest)
    store = Store(db)
    assert rows(identity_churn(store, Filters(rules=("R3",)))) == [("01-03", "R3", "c.tf", 2, 3)]
    assert rows(identity_churn(store, Filters(since=datetime(2026, 1, 3)))) == [("01-03", "R3", "c.tf", 2, 3)]
    assert rows(identity_churn(store, Filters(until=datetime(2026, 1, 3)))) == [("01-02", "R1", "a.tf", 3, 3)]
    empty = identity_churn(store, Filters(tools=("other",)))
    assert empty.empty and "rule_id" in empty.columns
    assert identity_churn(store, Filters(projects=("q",))).empty


def test_identity_churn_on_an_empty_store(db: Path) -> None:
    store = Store(db)
    store.ensure()  # the schema, no scans
    assert identity_churn(store, Filters()).empty
