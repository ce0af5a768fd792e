"""The service's writer on a DuckDB file: uploads that wait while it writes are written together,
each request gets its own file's report, and a failed write answers every request of its batch."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from core.errors import StoreBusy
from ingest.models import ScanMeta
from ingest.pipeline import FileReport
from ingest.prepare import Prepared, prepare
from service import gate
from store.db import Store, query_rows
from tests.api_support import SAMPLES


def _prepared(n: int) -> list[Prepared]:
    files = sorted(SAMPLES.glob("*.sarif"))[:n]
    return [prepare(p, ScanMeta(project="acme/shop", commit=p.stem)) for p in files]


def _in_threads(g: gate.Gate, items: Sequence[Prepared]) -> list[Any]:
    answers: list[Any] = [None] * len(items)

    def one(i: int) -> None:
        try:
            answers[i] = g.write(items[i])
        except Exception as e:
            answers[i] = e

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(items))]
    for t in threads:
        t.start()
        time.sleep(0.01)
    for t in threads:
        t.join(timeout=120)
    return answers


def test_uploads_waiting_for_the_writer_are_written_together(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(tmp_path / "findings.duckdb")
    batches: list[int] = []
    real = gate.store_prepared

    def slow_first(s: Store, batch: Sequence[Prepared]) -> list[FileReport]:
        batches.append(len(batch))
        if len(batches) == 1:
            time.sleep(1.0)  # the others arrive meanwhile and queue
        return real(s, batch)

    monkeypatch.setattr(gate, "store_prepared", slow_first)
    items = _prepared(8)
    answers = _in_threads(gate.Gate(store, parallel=2, wait_s=60), items)
    assert [a.path for a in answers] == [str(p.path) for p in items]
    assert {a.status for a in answers} == {"loaded"}
    assert sum(batches) == 8 and batches[0] == 1 and max(batches) >= 5, batches
    with store.read() as conn:
        assert query_rows(conn, "SELECT count(*) FROM files") == [(8,)]


def test_a_failed_batch_answers_every_request_in_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(tmp_path / "findings.duckdb")

    def busy(s: Store, batch: Sequence[Prepared]) -> list[FileReport]:
        time.sleep(0.3)
        raise StoreBusy("the database stayed locked by another process")

    monkeypatch.setattr(gate, "store_prepared", busy)
    answers = _in_threads(gate.Gate(store, parallel=2, wait_s=60), _prepared(4))
    assert all(isinstance(a, StoreBusy) for a in answers), answers


def test_on_postgresql_each_upload_is_written_on_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store("postgresql+psycopg://u@127.0.0.1:9/x")
    seen: list[int] = []
    monkeypatch.setattr(gate, "store_prepared", lambda s, batch: seen.append(len(batch)) or [FileReport("x", "loaded")])
    g = gate.Gate(store, parallel=2, wait_s=5)
    assert g.write(_prepared(1)[0]).status == "loaded"
    assert seen == [1] and g._writer is None
