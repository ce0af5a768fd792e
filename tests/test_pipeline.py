"""The batch pipeline: worker processes normalise while this one writes — the store must be the
same, row for row, as when everything runs in one process; the report keeps the input order."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ingest.models import ScanMeta
from ingest.pipeline import REJECTED, ingest_many
from store.db import Store, query_rows
from tests.conftest import result, sarif_log

TABLES = {
    "occurrences": "SELECT finding_id, rule_id, fingerprint, severity, path, start_line, suppressed FROM occurrences",
    "episodes": "SELECT finding_id, seq, opened_at, closed_at, status FROM episodes",
    "findings": "SELECT finding_id, status, episodes FROM findings",
    "rejections": "SELECT path, reason FROM rejections",
}


def _files(tmp: Path) -> list[Path]:
    paths = []
    for i in range(24):
        rs: list[dict[str, Any]] = [result(f"R{j}", f"src/m{j}.py", j + i % 3) for j in range(i % 5 + 1)]
        p = tmp / f"scan-{i:02d}.sarif"
        if i == 7:
            p.write_text('{"version": "2.1.0", "runs": [')  # truncated: rejected in a worker
        else:
            log = sarif_log(rs, invocations=[{"endTimeUtc": f"2026-02-{i + 1:02d}T10:00:00Z"}])
            p.write_text(json.dumps(log))
        paths.append(p)
    return paths


def _dump(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    with Store(db).read() as conn:
        return {name: sorted(query_rows(conn, sql), key=repr) for name, sql in TABLES.items()}


def test_workers_give_the_same_store_as_one_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = _files(tmp_path)
    items = [(f, ScanMeta(project="p")) for f in files]
    dumps, orders = [], []
    for workers in ("0", "2"):
        monkeypatch.setenv("FINDINGS_PARSE_WORKERS", workers)
        db = tmp_path / f"w{workers}.duckdb"
        report = ingest_many(Store(db), items)
        orders.append([(Path(f.path).name, f.status) for f in report.files])
        dumps.append(_dump(db))
    assert orders[0] == orders[1] == [(f.name, REJECTED if f.name == "scan-07.sarif" else "loaded") for f in files]
    assert dumps[0] == dumps[1]
    assert len(dumps[0]["occurrences"]) == sum(i % 5 + 1 for i in range(24) if i != 7)
