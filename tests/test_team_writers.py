"""Team mode: four ``python -m ingest sarif`` processes write to one PostgreSQL database at once,
over overlapping sets of files whose streams they share, while a reader runs ``python -m analytics``
in a loop. The result must be exactly what one process loading the same files in sequence makes:
the same files, scans and occurrences, and the same findings and episodes, row for row.

Each file is given to two of the four writers, and the files of every stream are dealt round the
four of them, so that writers wait for each other on streams (``ingest.lifecycle.lock_streams``)
and race to load the same file (one loads it, the other finds it "already loaded"). Small write
batches (``FINDINGS_BATCH_RESULTS``) give every writer many transactions, interleaved with the
others'; the test checks from the files' load times that the four really wrote at the same time.
Wall times of the sequential load and of the four writers are printed (``pytest -s``).
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from demo.cli import main as demo_main
from store.db import Store, query_rows
from tests.conftest import CORPUS, ROOT
from tests.test_crash import WHOLE_FILES

pytestmark = pytest.mark.parametrize("engine", ["postgresql"], indirect=True)

WRITERS = 4
WRITER_BATCH_RESULTS = "150"  # results per write transaction: many turns per writer
DEMO_END = "2026-06-30"
SARIF_SUFFIXES = (".sarif", ".json", ".sarif.json", ".sarif.gz")
# The corpus files for the mixed run: every real file but the largest, so that the test stays short.
CORPUS_MAX_BYTES = 600_000


# ------------------------------------------------------------------------------------------ inputs
def demo_files(out: Path, scale: str) -> list[Path]:
    """The SARIF files of a small demo history (several files per stream, metadata inside)."""
    code = demo_main(["--no-load", "--scale", scale, "--out", str(out), "--end", DEMO_END])
    assert code == 0
    files = sorted(p for p in (out / "sarif").rglob("*") if p.is_file())
    assert len(files) > 100, files
    return files


def corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        pytest.skip(f"the SARIF corpus is not at {CORPUS} (tests/data/SOURCES.md); this run mixes it with the demo")
    files = sorted(
        p
        for p in CORPUS.rglob("*")
        if p.is_file() and p.name.endswith(SARIF_SUFFIXES) and p.stat().st_size <= CORPUS_MAX_BYTES
    )
    assert len(files) > 50, files
    return files


def deal(files: Sequence[Path], writers: int = WRITERS) -> list[list[Path]]:
    """Each file to two writers (``i`` and ``i + 1``, dealt round): overlapping sets, and the files
    of one stream (neighbours in path order) spread over every writer."""
    hands: list[list[Path]] = [[] for _ in range(writers)]
    for i, path in enumerate(files):
        hands[i % writers].append(path)
        hands[(i + 1) % writers].append(path)
    return hands


# ------------------------------------------------------------------------------------------ running
def python(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@dataclass
class Run:
    """One finished ``python -m ingest sarif --json`` process."""

    code: int
    report: dict[str, Any]
    stderr: str
    started: float
    ended: float


def ingest_json(db: str, files: Sequence[Path], env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return python("-m", "ingest", "sarif", *map(str, files), "--json", env={"FINDINGS_DB": db, **(env or {})})


def finish(proc: subprocess.Popen[str], started: float) -> Run:
    out, err = proc.communicate(timeout=900)
    ended = time.monotonic()
    assert "Traceback" not in err, err[-3000:]
    report = json.loads(out) if out.strip() else {}
    return Run(proc.returncode, report, err, started, ended)


def sequential(db: str, files: Sequence[Path]) -> Run:
    started = time.monotonic()
    return finish(ingest_json(db, files), started)


@dataclass
class Reader:
    """``python -m analytics export findings`` and ``summary --json`` in turn, until stopped."""

    db: str
    folder: Path
    runs: list[tuple[str, int, str, str]] = field(default_factory=list)  # command, code, output, stderr
    stop: threading.Event = field(default_factory=threading.Event)

    def loop(self) -> None:
        n = 0
        while not self.stop.is_set() or n < 2:
            target = self.folder / f"findings-{n}.csv"
            for command in (["export", "findings", "-o", str(target)], ["summary", "--json"]):
                proc = python("-m", "analytics", *command, env={"FINDINGS_DB": self.db})
                out, err = proc.communicate(timeout=300)
                output = target.read_text(encoding="utf-8") if command[0] == "export" and target.exists() else out
                self.runs.append((command[0], proc.returncode, output, err))
            n += 1


def concurrent(db: str, hands: Sequence[Sequence[Path]], reader: Reader) -> tuple[list[Run], float]:
    """The writers at once (with the reader looping meanwhile); their runs and the wall time."""
    env = {"FINDINGS_BATCH_RESULTS": WRITER_BATCH_RESULTS}
    thread = threading.Thread(target=reader.loop)
    thread.start()
    started = time.monotonic()
    try:
        procs = [(ingest_json(db, hand, env), time.monotonic()) for hand in hands]
        runs = [finish(proc, t0) for proc, t0 in procs]
    finally:
        reader.stop.set()
        thread.join(timeout=600)
    return runs, max(run.ended for run in runs) - started


# ------------------------------------------------------------------------------------------ checking
def rows(db: str, text: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    with Store(db).read() as conn:
        return query_rows(conn, text, list(params))


def snapshot(db: str) -> dict[str, Any]:
    """What must not depend on how many writers loaded the files, nor in which order."""
    return {
        "counts": rows(
            db,
            "SELECT (SELECT count(*) FROM files), (SELECT count(*) FROM scans), (SELECT count(*) FROM occurrences), "
            "(SELECT count(*) FROM streams), (SELECT count(*) FROM findings), (SELECT count(*) FROM episodes)",
        )[0],
        "file_keys": rows(db, "SELECT file_key, path, scans, occurrences FROM files ORDER BY file_key"),
        "scans": rows(db, "SELECT * FROM scans ORDER BY scan_id"),
        "findings": rows(db, "SELECT * FROM findings ORDER BY finding_id"),
        "episodes": rows(db, "SELECT * FROM episodes ORDER BY finding_id, seq"),
    }


def statuses(run: Run) -> dict[str, str]:
    return {f["path"]: f["status"] for f in run.report["files"]}


def check_reports(runs: Sequence[Run], reference: Run, hands: Sequence[Sequence[Path]]) -> None:
    """Every writer finished as the sequential load did; every file was loaded by exactly one of them."""
    wanted = statuses(reference)
    loaded_by: dict[str, int] = {}
    for run, hand in zip(runs, hands, strict=True):
        rejects = any(wanted[str(p)] == "rejected" for p in hand)
        assert run.code == (3 if rejects else 0), run.stderr[-3000:]
        got = statuses(run)
        assert sorted(got) == sorted(map(str, hand))
        for path, status in got.items():
            if wanted[path] == "rejected":
                assert status == "rejected", (path, status)
            else:
                assert status in ("loaded", "already loaded"), (path, status, run.stderr[-2000:])
                loaded_by[path] = loaded_by.get(path, 0) + (status == "loaded")
    assert {p: n for p, n in loaded_by.items() if n != 1} == {}  # nothing lost, nothing loaded twice


def check_reader(reader: Reader, columns: list[str]) -> None:
    assert len(reader.runs) >= 4, reader.runs
    for command, code, output, err in reader.runs:
        assert code == 0, (command, err[-3000:])
        assert "Traceback" not in err
        if command == "export":
            table = list(csv.reader(io.StringIO(output)))
            assert table[0] == columns
            assert all(len(row) == len(columns) for row in table[1:])
            ids = [row[0] for row in table[1:]]
            assert len(ids) == len(set(ids))  # a finding never shows twice, even mid-load
        else:
            summary = json.loads(output)
            assert summary["files"] >= 0 and summary["occurrences"] >= 0


def writers_equal_sequential(db: str, files: Sequence[Path], tmp: Path, fresh: str) -> dict[str, float]:
    """The whole check: a sequential load into ``fresh``, the four writers into ``db``; returns times."""
    reference = sequential(fresh, files)
    assert reference.code in (0, 3), reference.stderr[-3000:]
    hands = deal(files)
    reader = Reader(db, tmp)
    runs, wall = concurrent(db, hands, reader)
    check_reports(runs, reference, hands)
    for name, text in WHOLE_FILES.items():
        assert rows(db, text) == [], name
    assert rows(db, "SELECT count(*) FROM dirty_streams") == [(0,)]
    assert snapshot(db) == snapshot(fresh)
    # all four at once: every writer process was started before any ended (when each stores its
    # files depends on the server's timing: a writer that found the others had stored most of its
    # hand stores the rest in one transaction, so the spans of stored times need not overlap)
    assert max(r.started for r in runs) < min(r.ended for r in runs)
    columns = next(csv.reader(io.StringIO(reader_export(fresh, tmp))))
    check_reader(reader, columns)
    times = {"sequential_s": reference.ended - reference.started, "four_writers_s": wall}
    print(f"\n{len(files)} files: one process {times['sequential_s']:.1f} s, {WRITERS} writers at once {wall:.1f} s")
    return times


def reader_export(db: str, tmp: Path) -> str:
    target = tmp / "reference.csv"
    proc = python("-m", "analytics", "export", "findings", "-o", str(target), env={"FINDINGS_DB": db})
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    return target.read_text(encoding="utf-8")


# --------------------------------------------------------------------------------------------- tests
@pytest.fixture
def fresh(engine: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A second new database, for the sequential reference load."""
    from tests.conftest import new_database

    return str(new_database(engine, tmp_path / "ref", request))


def test_four_writers_on_shared_demo_streams_equal_one_sequential_load(db: str, fresh: str, tmp_path: Path) -> None:
    files = demo_files(tmp_path / "demo", "0.05")
    writers_equal_sequential(str(db), files, tmp_path, fresh)


def test_four_writers_with_real_scanner_files_equal_one_sequential_load(db: str, fresh: str, tmp_path: Path) -> None:
    """The corpus's real files (rejected ones too: each writer rejects them as the sequential load
    does) mixed with demo streams."""
    files = sorted([*corpus_files(), *demo_files(tmp_path / "demo", "0.03")])
    writers_equal_sequential(str(db), files, tmp_path, fresh)
