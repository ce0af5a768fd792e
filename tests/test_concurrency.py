"""Concurrent use of one database (docs/hardening.md): two ingest processes at once, a reader looping while an
ingest runs, an app upload beside a command-line ingest, and a lock held by another process — the
writer waits with backoff up to ``FINDINGS_DB_TIMEOUT`` and then fails with one clear line.

DuckDB allows one read-write process or many read-only ones per file, and a conflicting open fails
at once rather than waiting; these tests run real processes, because the lock is per process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from core.errors import ExitCode
from store.db import Store, query_rows
from tests.conftest import ROOT, result, sarif_log

RESULTS_PER_FILE = 5
LOCK_ERROR_WORDS = ("Could not set lock", "Conflicting lock", "IOException", "Traceback", "stayed locked")


# ------------------------------------------------------------------------------------------- helpers
def make_sarif_files(folder: Path, n: int, tag: str, results: int = RESULTS_PER_FILE) -> list[Path]:
    """``n`` SARIF files, metadata inside (project, branch, scan time), spread over 5 streams so that
    every load recomputes a lifecycle; a finding comes and goes between scans."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        found = [result(f"{tag}-R{j}", path=f"src/{tag}/m{j}.py", line=j + 1) for j in range(results - 1)]
        found.append(result(f"{tag}-flaky", path="src/flaky.py", message=f"flaky {i % 2}"))
        doc = sarif_log(
            found,
            tool=f"tool-{tag}",
            versionControlProvenance=[{"repositoryUri": f"https://git.example/acme/{tag}{i % 5}", "branch": "main"}],
            invocations=[{"endTimeUtc": f"2024-{i // 28 % 12 + 1:02d}-{i % 28 + 1:02d}T{i % 24:02d}:00:00Z"}],
        )
        path = folder / f"{tag}-{i:04d}.sarif"
        path.write_text(json.dumps(doc), encoding="utf-8")
        paths.append(path)
    return paths


def python(*args: str, env: dict[str, str] | None = None, **kw: Any) -> subprocess.Popen[str]:
    """A Python subprocess in the project root with this interpreter (the venv's)."""
    return subprocess.Popen(
        [sys.executable, *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,
    )


def ingest_proc(
    paths: Sequence[Path | str], db: Path | str, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    return python("-m", "ingest", "sarif", *map(str, paths), "--db", str(db), env=env)


def rows(db: Path | str, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    with Store(db).read() as conn:
        return query_rows(conn, sql, list(params))


def assert_clean(stderr: str) -> None:
    for word in LOCK_ERROR_WORDS:
        assert word not in stderr, stderr[-3000:]


# Holds a read-write connection on the database until killed (or for HOLD_S seconds), after saying so.
LOCKER = textwrap.dedent(
    """
    import os, sys, time, duckdb
    con = duckdb.connect(sys.argv[1])
    con.execute("select 1").fetchall()
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
    con.close()
    print("released", flush=True)
    """
)


def hold_lock(db: Path, seconds: float) -> subprocess.Popen[str]:
    proc = python("-c", LOCKER, str(db), str(seconds))
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "locked", proc.stderr.read() if proc.stderr else ""
    return proc


def busy_exit_code() -> int:
    """ExitCode.BUSY when the CLI grows one; until then a busy store is reported as a usage-level error."""
    return int(getattr(ExitCode, "BUSY", ExitCode.USAGE))


# --------------------------------------------------------------------------------------------- tests
@pytest.mark.engines
def test_two_ingest_processes_at_once(tmp_path: Path, db: Path | str) -> None:
    a = make_sarif_files(tmp_path / "a", 50, "a")
    b = make_sarif_files(tmp_path / "b", 50, "b")
    procs = [ingest_proc([tmp_path / "a"], db), ingest_proc([tmp_path / "b"], db)]
    outs = [p.communicate(timeout=180) for p in procs]
    for p, (out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err[-3000:]
        assert_clean(err)
        assert "50 file(s): 50 loaded, 0 already loaded, 0 rejected" in out
    per_path = dict(rows(db, "select path, count(*) from files group by path"))
    assert per_path == {str(p): 1 for p in a + b}
    assert rows(db, "select count(*), sum(occurrences) from files") == [(100, 100 * RESULTS_PER_FILE)]
    assert rows(db, "select count(*) from occurrences") == [(100 * RESULTS_PER_FILE,)]


READER = textwrap.dedent(
    """
    import contextlib, io, json, sys, time
    from pathlib import Path
    from analytics.cli import main
    from store.db import Store
    db, stop = sys.argv[1], Path(sys.argv[2])
    runs = []
    while not Store(db).exists():  # read commands refuse a store file that does not exist yet
        time.sleep(0.005)
    while not stop.exists() or not runs:
        out = io.StringIO()
        started = time.monotonic()
        with contextlib.redirect_stdout(out):
            code = main(["summary", "--db", db, "--json"])
        files = json.loads(out.getvalue())["files"] if code == 0 else None
        runs.append([code, files, round(time.monotonic() - started, 3)])
    print(json.dumps(runs))
    """
)


@pytest.mark.engines
def test_reader_loops_while_an_ingest_runs(tmp_path: Path, db: Path | str) -> None:
    """The dashboard's pattern (short read-only connections) beside a writer: neither sees a lock error."""
    make_sarif_files(tmp_path / "in", 30, "r")
    stop = tmp_path / "stop"
    writer = ingest_proc([tmp_path / "in"], db)
    reader = python("-c", READER, str(db), str(stop))
    w_out, w_err = writer.communicate(timeout=180)
    stop.touch()
    r_out, r_err = reader.communicate(timeout=60)
    assert writer.returncode == 0, w_err[-3000:]
    assert_clean(w_err)
    assert "30 loaded" in w_out
    assert reader.returncode == 0, r_err[-3000:]
    assert_clean(r_err)
    runs = json.loads(r_out)
    assert all(code == 0 for code, _, _ in runs), runs
    counts = [files for _, files, _ in runs]
    assert counts == sorted(counts), counts  # never saw a half-written state going backwards
    assert rows(db, "select count(*) from files") == [(30,)]


UPLOADER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from app_pages.loading import load_uploads
    from ingest.models import ScanMeta
    from store.db import Store
    files = [(p.name, p.read_bytes()) for p in sorted(Path(sys.argv[2]).iterdir())]
    report = load_uploads(Store(sys.argv[1]), files, ScanMeta())
    print(report.totals()["loaded"], report.totals()["rejected"])
    """
)


@pytest.mark.engines
def test_app_upload_while_a_command_line_ingest_runs(tmp_path: Path, db: Path | str) -> None:
    make_sarif_files(tmp_path / "cli", 20, "c")
    make_sarif_files(tmp_path / "up", 20, "u")
    cli = ingest_proc([tmp_path / "cli"], db)
    upload = python("-c", UPLOADER, str(db), str(tmp_path / "up"))
    _, c_err = cli.communicate(timeout=180)
    u_out, u_err = upload.communicate(timeout=180)
    assert cli.returncode == 0, c_err[-3000:]
    assert_clean(c_err)
    assert upload.returncode == 0, u_err[-3000:]
    assert_clean(u_err)
    assert u_out.split() == ["20", "0"]
    assert rows(db, "select count(*), sum(occurrences) from files") == [(40, 40 * RESULTS_PER_FILE)]


# The two lock tests below are DuckDB's alone: they hold DuckDB's per-file process lock (LOCKER), and
# a PostgreSQL server has no such lock — writers of one stream wait on each other inside the server
# (advisory locks), which the tests above exercise on both engines.
def test_writer_gives_up_with_a_clear_message_when_the_lock_stays(tmp_path: Path) -> None:
    db = tmp_path / "busy.duckdb"
    files = make_sarif_files(tmp_path / "in", 3, "busy")
    locker = hold_lock(db, 60)
    try:
        started = time.monotonic()
        proc = ingest_proc(files, db, env={"FINDINGS_DB_TIMEOUT": "1"})
        out, err = proc.communicate(timeout=60)
        waited = time.monotonic() - started
    finally:
        locker.kill()
        locker.wait()
    assert proc.returncode == busy_exit_code(), (out, err)
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == len(files), err  # one line per file that was not loaded
    for line, f in zip(lines, sorted(files), strict=True):
        assert line.startswith(f"{f}: not loaded: ")
        assert "stayed locked by another process" in line and "FINDINGS_DB_TIMEOUT" in line and str(db) in line
    assert 1.0 <= waited < 15, waited
    assert rows(db, "select count(*) from files") == [(0,)]


def test_writer_waits_for_a_lock_released_before_the_timeout(tmp_path: Path) -> None:
    db = tmp_path / "wait.duckdb"
    files = make_sarif_files(tmp_path / "in", 3, "wait")
    locker = hold_lock(db, 2.0)
    started = time.monotonic()
    proc = ingest_proc(files, db, env={"FINDINGS_DB_TIMEOUT": "30"})
    out, err = proc.communicate(timeout=60)
    waited = time.monotonic() - started
    locker.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert_clean(err)
    assert "3 file(s): 3 loaded" in out
    assert waited >= 1.5, waited  # it did wait for the lock
    assert rows(db, "select count(*), sum(occurrences) from files") == [(3, 3 * RESULTS_PER_FILE)]
