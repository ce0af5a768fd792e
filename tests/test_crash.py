"""Crash safety (docs/hardening.md): ``kill -9`` an ingest at random moments. After every kill the database
opens and holds only whole files; re-running the same command completes the job with no duplicates.

Each round ingests a fresh set of files into the same database. The child is ``python -m ingest
sarif`` itself, with a hook that reports each finished file on stdout (the CLI prints its report
only at the end), so a kill can be aimed: after a random number of files plus a random part of one
file's time — inside a transaction, between two, during the lifecycle recompute at the end of a
write lease, or during the checkpoint on close. Some rounds are killed at a random time from start
instead (start-up, migrations). ``bench/stress.py`` runs 20+ rounds.

Findings and episodes are derived data: a load may mark its streams dirty (``dirty_streams``) and
leave their recompute to the end of the write lease, or to the next writer after a crash. So the
derived-data invariants are checked for clean streams after a kill, and for all after a re-run.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import os
import random
import signal
import statistics
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy.engine import Connection

from ingest.cli import main as ingest_main
from store.db import Store, query_rows
from tests.test_concurrency import RESULTS_PER_FILE, make_sarif_files, python

# Whole files: each query returns offending rows (empty = fine).
WHOLE_FILES: dict[str, str] = {
    "file whose scans are not all stored": """
        select f.path, f.scans, coalesce(s.n, 0) from files f
        left join (select file_key, count(*) n from scans group by file_key) s using (file_key)
        where coalesce(s.n, 0) <> f.scans""",
    "file whose occurrences are not all stored": """
        select f.path, f.occurrences, coalesce(c.n, 0) from files f
        left join (select s.file_key, count(*) n from occurrences o join scans s using (scan_id)
                   group by s.file_key) c using (file_key)
        where coalesce(c.n, 0) <> f.occurrences""",
    "scan without a file": "select scan_id from scans where file_key not in (select file_key from files)",
    "occurrence without a scan": "select scan_id from occurrences where scan_id not in (select scan_id from scans)",
}
# Derived data (findings, episodes) agrees with the occurrences — on streams not marked dirty.
DERIVED: dict[str, str] = {
    "occurrence without a finding": """
        select o.finding_id from occurrences o
        where not exists (select 1 from findings f where f.finding_id = o.finding_id) {clean_o}""",
    "episode without a finding": """
        select e.finding_id from episodes e
        where not exists (select 1 from findings f where f.finding_id = e.finding_id) {clean_e}""",
    "finding without an occurrence": """
        select f.finding_id from findings f
        where not exists (select 1 from occurrences o where o.finding_id = f.finding_id) {clean_f}""",
}


def _has_table(conn: Connection, name: str) -> bool:
    found = query_rows(conn, "select count(*) from information_schema.tables where table_name = ?", [name])
    return bool(found[0][0])


def whole_file_problems(db: Path | str, all_streams_clean: bool = False) -> dict[str, list[tuple[object, ...]]]:
    """Open the database the way every tool does and list what breaks "only whole files" (and, with
    ``all_streams_clean``, require that no lifecycle recompute is pending)."""
    with Store(db).read() as conn:
        found = {name: query_rows(conn, sql)[:5] for name, sql in WHOLE_FILES.items()}
        dirty = _has_table(conn, "dirty_streams")
        for name, sql in DERIVED.items():
            clean = {
                k: f"and {alias}.stream_id not in (select stream_id from dirty_streams)" if dirty else ""
                for k, alias in (("clean_o", "o"), ("clean_e", "e"), ("clean_f", "f"))
            }
            found[name] = query_rows(conn, sql.format(**clean))[:5]
        if dirty and all_streams_clean:
            found["lifecycle recompute still pending"] = query_rows(conn, "select stream_id from dirty_streams")[:5]
    return {name: rows for name, rows in found.items() if rows}


def doubled_paths(db: Path | str) -> list[tuple[object, ...]]:
    """Paths stored more than once (every test file is given once, with one set of metadata)."""
    with Store(db).read() as conn:
        return query_rows(conn, "select path, count(*) from files group by path having count(*) > 1")


def ingest_args(db: Path | str, folder: Path) -> list[str]:
    return ["sarif", str(folder), "--db", str(db)]


# ``python -m ingest`` with one addition: a line on stdout as each file is done.
TRACED_INGEST = """
import sys
import ingest.pipeline as pipeline
from ingest.cli import main
inner = pipeline.store_batch  # what ingest_many calls once per batch of files
def traced(*args, **kwargs):
    reports = inner(*args, **kwargs)
    for _ in reports:
        print("@done", flush=True)
    return reports
pipeline.store_batch = traced
sys.exit(main(sys.argv[1:]))
"""


def _children(pid: int) -> set[int]:
    """Live processes whose parent is PID."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                found.add(int(stat.parent.name))
    return found


def _wait_until_mapped(proc: subprocess.Popen[str], fragment: str, timeout: float = 60) -> None:
    """Until ``proc`` has a file whose path contains ``fragment`` mapped (a library it loads at a
    known point of its start-up), or has ended."""
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            if fragment in Path(f"/proc/{proc.pid}/maps").read_text():
                return
        time.sleep(0.01)


def _alive(pid: int) -> bool:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return False


def start_and_kill(
    db: Path | str, folder: Path, rng: random.Random, env: dict[str, str] | None = None
) -> tuple[bool, int, set[int]]:
    """Start the ingest of FOLDER and kill -9 it at a random moment. Returns (killed before it
    finished, files it had finished, its child processes that outlived it by 5 s)."""
    n = sum(1 for _ in folder.iterdir())
    proc = python("-c", TRACED_INGEST, *ingest_args(db, folder), env=env)
    assert proc.stdout is not None
    done, stamps = 0, [time.monotonic()]
    if rng.random() < 0.2:  # a random time from the start: start-up, migrations, first files
        time.sleep(rng.uniform(0.0, 1.5))
    else:
        target = rng.randrange(0, n + 1)  # n: after the last file (lease release, checkpoint, report)
        while done < target:
            line = proc.stdout.readline()
            if not line:
                break
            if line.startswith("@done"):
                done += 1
                stamps.append(time.monotonic())
        per_file = statistics.median(b - a for a, b in itertools.pairwise(stamps[1:])) if done > 2 else 0.05
        time.sleep(rng.uniform(0, per_file * 1.5))
    killed = False
    children: set[int] = set()
    if proc.poll() is None:
        children = _children(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)
        killed = proc.wait(timeout=30) == -signal.SIGKILL
    deadline = time.monotonic() + 5
    while children and time.monotonic() < deadline:
        children = {pid for pid in children if _alive(pid)}
        time.sleep(0.05)
    proc.communicate(timeout=30)
    return killed, done, children


def rerun(db: Path | str, folder: Path) -> subprocess.CompletedProcess[str]:
    """The same command again, to completion (in this process: it is the same ``main``)."""
    args = ingest_args(db, folder)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = ingest_main(args)
    return subprocess.CompletedProcess(args, int(code), out.getvalue(), err.getvalue())


def check_after_rerun(db: Path | str, folder: Path, done: subprocess.CompletedProcess[str]) -> None:
    """Exit 0, every file loaded now or before, each exactly once with all its occurrences."""
    names = sorted(folder.iterdir())
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    for path in names:
        assert f"{path}: loaded 1 scan(s), {RESULTS_PER_FILE} occurrence(s)" in done.stdout or (
            f"{path}: already loaded" in done.stdout
        ), path
    prefix = str(folder) + os.sep
    with Store(db).read() as conn:
        got = query_rows(conn, "select count(*), sum(occurrences) from files where starts_with(path, ?)", [prefix])
        total = query_rows(
            conn,
            "select count(*) from occurrences o join scans s using (scan_id) join files f using (file_key) "
            "where starts_with(f.path, ?)",
            [prefix],
        )
    assert got == [(len(names), len(names) * RESULTS_PER_FILE)]
    assert total == [(len(names) * RESULTS_PER_FILE,)]


@pytest.mark.engines
def test_kill_9_at_random_moments_leaves_only_whole_files(tmp_path: Path, db: Path | str) -> None:
    seed = int(os.environ.get("CRASH_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    rounds = int(os.environ.get("CRASH_ROUNDS", "5"))
    killed = 0
    sizes = [12 if i % 2 == 0 else 20 for i in range(rounds)]
    # Odd rounds: two normalising worker processes, and batches of 3 files (15 results), so that
    # kills land between batches, inside one, and while workers are busy; none may outlive the kill.
    workers = {"FINDINGS_PARSE_WORKERS": "2", "FINDINGS_BATCH_RESULTS": str(3 * RESULTS_PER_FILE)}
    for i in range(rounds):
        folder = tmp_path / f"round{i}"
        make_sarif_files(folder, sizes[i], f"k{i}")
        was_killed, _, left = start_and_kill(db, folder, rng, workers if i % 2 else None)
        assert not left, f"seed {seed}, round {i}: worker processes {left} outlived the killed ingest"
        killed += was_killed
        assert not whole_file_problems(db), f"seed {seed}, round {i}"
        check_after_rerun(db, folder, rerun(db, folder))
        assert not whole_file_problems(db, all_streams_clean=True), f"seed {seed}, round {i}"
        assert doubled_paths(db) == [], f"seed {seed}, round {i}"
    assert killed >= rounds // 2, f"seed {seed}: only {killed} of {rounds} rounds were killed mid-run"
    with Store(db).read() as conn:
        assert query_rows(conn, "select count(*), sum(occurrences) from files") == [
            (sum(sizes), sum(sizes) * RESULTS_PER_FILE)
        ]


@pytest.mark.engines
def test_ctrl_c_stops_cleanly_and_keeps_only_whole_files(tmp_path: Path, db: Path | str) -> None:
    """Ctrl-C (SIGINT to the whole process group, as a terminal sends it) at random moments of an
    ingest with worker processes: the files at hand are finished, the rest reported as not loaded,
    exit 130 with no traceback, no worker left behind, only whole files stored; the same command
    then completes the job."""
    rng = random.Random(int(os.environ.get("CRASH_SEED", random.randrange(1 << 30))))
    env = {"FINDINGS_PARSE_WORKERS": "2", "FINDINGS_BATCH_RESULTS": str(3 * RESULTS_PER_FILE)}
    for i in range(3):
        folder = tmp_path / f"round{i}"
        make_sarif_files(folder, 20, f"c{i}")
        proc = python("-m", "ingest", "sarif", str(folder), "--db", str(db), env=env, start_new_session=True)
        # From start-up (imports, workers starting) to the middle of the load. Not before the
        # ingest routes Ctrl-C: until then the interpreter's start-up is Python's (on a loaded
        # machine it can outlast any fixed delay, and a signal then kills the process outright).
        _wait_until_mapped(proc, "/pyarrow/")
        time.sleep(rng.uniform(0.0, 1.7))
        children = _children(proc.pid)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode in (0, 130), err[-2000:]
        assert "Traceback" not in err, err[-2000:]
        if proc.returncode == 130:
            assert "interrupted:" in err and "run the same command again" in err
            interrupted = err.count("not loaded: interrupted (Ctrl-C) before this file")
            assert interrupted < 20  # the files at hand were finished, whole
        deadline = time.monotonic() + 5
        while children and time.monotonic() < deadline:
            children = {pid for pid in children if _alive(pid)}
            time.sleep(0.05)
        assert not children, f"round {i}: {children} outlived the interrupted ingest"
        assert not whole_file_problems(db), f"round {i}"
        check_after_rerun(db, folder, rerun(db, folder))
        assert not whole_file_problems(db, all_streams_clean=True), f"round {i}"
