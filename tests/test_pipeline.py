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
from tests.conftest import new_database, result, sarif_log

pytestmark = pytest.mark.engines

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


def _dump(db: Path | str) -> dict[str, list[tuple[Any, ...]]]:
    with Store(db).read() as conn:
        return {name: sorted(query_rows(conn, sql), key=repr) for name, sql in TABLES.items()}


def _fresh(engine: str, folder: Path, request: pytest.FixtureRequest) -> Path | str:
    folder.mkdir()
    return new_database(engine, folder, request)


def test_workers_give_the_same_store_as_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: str, request: pytest.FixtureRequest
) -> None:
    files = _files(tmp_path)
    items = [(f, ScanMeta(project="p")) for f in files]
    dumps, orders = [], []
    for workers in ("0", "2"):
        monkeypatch.setenv("FINDINGS_PARSE_WORKERS", workers)
        db = _fresh(engine, tmp_path / f"w{workers}", request)
        report = ingest_many(Store(db), items)
        orders.append([(Path(f.path).name, f.status) for f in report.files])
        dumps.append(_dump(db))
    assert orders[0] == orders[1] == [(f.name, REJECTED if f.name == "scan-07.sarif" else "loaded") for f in files]
    assert dumps[0] == dumps[1]
    assert len(dumps[0]["occurrences"]) == sum(i % 5 + 1 for i in range(24) if i != 7)


def test_chunks_keep_each_file_on_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: str, request: pytest.FixtureRequest
) -> None:
    """Files are normalised a chunk at a time (here 5 files per chunk, a truncated one among
    them): the store and the report are the same as with one file at a time."""
    import ingest.prepare as prepare

    files = _files(tmp_path)
    items = [(f, ScanMeta(project="p")) for f in files]
    monkeypatch.setenv("FINDINGS_PARSE_WORKERS", "0")
    dumps, orders = [], []
    for chunk in (1, 5):
        monkeypatch.setattr(prepare, "CHUNK_FILES", chunk)
        db = _fresh(engine, tmp_path / f"c{chunk}", request)
        report = ingest_many(Store(db), items)
        orders.append([(Path(f.path).name, f.status) for f in report.files])
        dumps.append(_dump(db))
    assert orders[0] == orders[1] and dumps[0] == dumps[1]
    assert [name for name, status in orders[1] if status == REJECTED] == ["scan-07.sarif"]


def test_a_worker_killed_mid_run_leaves_the_rest_to_this_process(
    tmp_path: Path, db: Path | str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A worker that dies (OOM killer, kill -9) breaks the pool: the files not yet taken back are
    normalised here instead — every file loaded once, in order, none lost or doubled."""
    import os
    import signal

    import ingest.prepare as prepare

    files = []
    for i in range(12):
        rs = [result(f"R{j % 40}", f"src/m{j}.py", j + 1) for j in range(2500)]
        p = tmp_path / f"big-{i:02d}.sarif"
        p.write_text(json.dumps(sarif_log(rs, invocations=[{"endTimeUtc": f"2026-03-{i + 1:02d}T10:00:00Z"}])))
        files.append(p)
    monkeypatch.setenv("FINDINGS_PARSE_WORKERS", "2")
    monkeypatch.setattr(prepare, "CHUNK_FILES", 1)
    killed: list[int] = []

    def kill_a_worker(n: int, total: int, path: str) -> None:
        if killed:
            return
        workers = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
                cmdline = (stat.parent / "cmdline").read_bytes()
            except (OSError, ValueError, IndexError):
                continue
            if ppid == os.getpid() and b"spawn_main" in cmdline:
                workers.append(int(stat.parent.name))
        if workers:
            os.kill(workers[0], signal.SIGKILL)
            killed.append(workers[0])

    with caplog.at_level("WARNING", logger="ingest.prepare"):
        report = ingest_many(Store(db), [(f, ScanMeta(project="p")) for f in files], progress=kill_a_worker)
    assert killed
    assert [(Path(f.path).name, f.status) for f in report.files] == [(f.name, "loaded") for f in files]
    assert "a normalising worker died" in caplog.text
    with Store(db).read() as conn:
        assert query_rows(conn, "SELECT count(*), count(DISTINCT scan_id) FROM scans") == [(12, 12)]
        assert query_rows(conn, "SELECT count(*) FROM occurrences") == [(12 * 2500,)]
