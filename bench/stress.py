"""``make stress``: the long versions of the hardening tests (docs/hardening.md) — hostile files, kill -9
rounds, concurrent writers with a reader and an upload, and one million results in one run — and the
watched inbox's hostile entries (long names, a FIFO, a link to /dev/zero, links out of the folder,
linked archive/ and rejected/).
Prints what it tried and found:

    cases tried, files loaded, files rejected, crashes, lost files, doubled files

and exits 1 unless the last three are 0. ``crashes`` are tracebacks, exits other than 0/3, a raw
control character printed, or a file whose outcome differs from its case; ``lost`` are files that
should be in the database after a completed re-run and are not; ``doubled`` are files or occurrences
stored twice. The bugs the hostile suite found (now regression tests) are re-checked as crashes;
a risk that is probed rather than ruled out (a reader starved by a long ingest) is listed apart —
``--strict`` counts it as a crash too.

    python bench/stress.py [--rounds 20] [--seed N] [--no-million] [--strict] [--keep DIR]

Why one module: a script of independent phases sharing one tally and one scratch folder; the
phases against a running web server live in ``bench/stress_web.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from store.db import Store, query_rows  # noqa: E402
from tests.conftest import result, sarif_log  # noqa: E402
from tests.test_bad_input import META, good_log  # noqa: E402
from tests.test_concurrency import READER, RESULTS_PER_FILE, UPLOADER, make_sarif_files, python  # noqa: E402
from tests.test_crash import doubled_paths, rerun, start_and_kill, whole_file_problems  # noqa: E402
from tests.test_hostile import ALL_CASES, TIMESTAMPS, UNSAFE_OUTPUT_CHARS, _gzip_of_zeros, write_million  # noqa: E402


@dataclass
class Tally:
    cases: int = 0
    loaded: int = 0
    rejected: int = 0
    crashes: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    doubled: list[str] = field(default_factory=list)
    known_bugs: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def crash(self, what: str) -> None:
        self.crashes.append(what)
        print(f"  CRASH: {what}", flush=True)


def cli(
    args: Sequence[str], env: dict[str, str] | None = None, preexec_fn: Callable[[], object] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 (our own interpreter and module)
        [sys.executable, "-m", "ingest", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=1800,
        preexec_fn=preexec_fn,
    )


def crashed(proc: subprocess.CompletedProcess[str]) -> str | None:
    if "Traceback" in proc.stderr or "unexpected error" in proc.stderr:
        tail = [line for line in proc.stderr.splitlines() if line.strip()][-1:]
        return f"traceback: {tail}"
    if proc.returncode not in (0, 3):
        return f"exit code {proc.returncode}: {proc.stderr.strip()[-300:]}"
    if any(ch in proc.stdout + proc.stderr for ch in UNSAFE_OUTPUT_CHARS):
        return "raw control/bidi character in the output"
    return None


# ------------------------------------------------------------------------------------------ hostile
def hostile(work: Path, t: Tally) -> None:
    print("hostile files …", flush=True)
    folder = work / "hostile"
    folder.mkdir()
    good = folder / "good.sarif"
    good.write_text(json.dumps(good_log()))
    expect: dict[Path, bool] = {good: True}  # path -> should load
    for case in ALL_CASES:
        path = folder / case.filename
        path.write_bytes(case.content())
        expect[path] = not case.rejected
    bomb = folder / "bomb.sarif.gz"
    bomb.write_bytes(_gzip_of_zeros(160))
    expect[bomb] = False
    huge = sarif_log([result("H1", message="M" * (50 * 1024 * 1024)), result("H2")], tool="huge")
    (folder / "huge-message.sarif").write_text(json.dumps(huge))
    expect[folder / "huge-message.sarif"] = True
    db = work / "hostile.duckdb"
    proc = cli(["sarif", *map(str, expect), "--db", str(db), *META], env={"FINDINGS_MAX_FILE_BYTES": str(64 << 20)})
    _judge(proc, expect, db, t)

    times = work / "times"
    times.mkdir()
    expect = {good: True}
    for name, content, _, _ in TIMESTAMPS:
        (times / f"{name}.sarif").write_bytes(content())
        expect[times / f"{name}.sarif"] = True
    proc = cli(["sarif", *map(str, expect), "--db", str(work / "times.duckdb"), "--project", "p"])
    _judge(proc, expect, work / "times.duckdb", t, already_ok={good})


def _judge(
    proc: subprocess.CompletedProcess[str],
    expect: dict[Path, bool],
    db: Path,
    t: Tally,
    already_ok: set[Path] | None = None,
) -> None:
    problem = crashed(proc)
    if problem:
        t.crash(f"hostile batch: {problem}")
    with Store(db).read() as conn:
        stored = dict(query_rows(conn, "select path, count(*) from files group by path"))
    for path, should_load in expect.items():
        t.cases += 1
        n = stored.get(str(path), 0)
        if n > 1:
            t.doubled.append(str(path))
        if should_load:
            if n == 1:
                t.loaded += 1
            elif not (already_ok and path in already_ok):
                t.crash(f"{path.name}: expected to load, is not in the database")
        elif n:
            t.crash(f"{path.name}: expected a rejection, but it is in the database")
        elif f"{path}: rejected: " in proc.stderr:
            t.rejected += 1
        else:
            t.crash(f"{path.name}: no rejection line")


MEMORY_LIMIT = 4 * 1024**3


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def regressions(work: Path, t: Tally) -> None:
    """The crashes tests/test_hostile.py found (fixed since), through the real command; then the
    probe for reader starvation."""
    print("regressions and known issues …", flush=True)
    folder = work / "bugs"
    root = folder / "checkout"
    root.mkdir(parents=True)
    good = folder / "good.sarif"
    good.write_text(json.dumps(good_log()))
    amp = result("A1", message="{0}" * 200_000)
    amp["message"]["arguments"] = ["A" * 100_000]
    bugs: list[tuple[str, dict[str, object], Sequence[str]]] = [
        (
            "nul-byte-uri+source-root",
            sarif_log([result("N1", path="src/a\x00b.py")], tool="nul"),
            ["--source-root", str(root)],
        ),
        (
            "overlong-uri+source-root",
            sarif_log([result("L1", path="b" * 300 + ".py")], tool="long"),
            ["--source-root", str(root)],
        ),
        ("message-argument-amplification", sarif_log([amp], tool="amp"), []),
    ]
    for name, doc, extra in bugs:
        path = folder / f"{name}.sarif"
        path.write_text(json.dumps(doc))
        proc = cli(
            ["sarif", str(path), str(good), "--db", str(folder / f"{name}.duckdb"), *META, *extra],
            preexec_fn=_limit_memory,
        )
        t.cases += 1
        if problem := crashed(proc) or (None if f"{path}: loaded" in proc.stdout else "not loaded"):
            t.crash(f"regression {name}: {problem}")
    evil = folder / "evil\n\x1b[31m\u202e.sarif"
    evil.write_bytes(b"{")
    proc = cli(["sarif", str(evil), str(good), "--db", str(folder / "names.duckdb"), *META])
    t.cases += 1
    if problem := crashed(proc):
        t.crash(f"regression file-name-with-control-chars: {problem}")
    _reader_starvation(folder, t)


def _reader_starvation(folder: Path, t: Tally, files: int = 600, timeout_s: float = 5.0) -> None:
    """A reader (the dashboard's pattern) beside a long ingest. The ingest holds the lock one batch
    at a time and pauses between batches so that a polling reader gets in; were it to re-take the
    lock at once, the reader could wait for the whole ingest. Here the reader has ``timeout_s``
    before the store says "stayed locked"."""
    db = folder / "starve.duckdb"
    make_sarif_files(folder / "starve", files, "s")
    stop = folder / "starve.stop"
    writer = python("-m", "ingest", "sarif", str(folder / "starve"), "--db", str(db))
    time.sleep(1.5)  # let it start writing
    reader = python("-c", READER, str(db), str(stop), env={"FINDINGS_DB_TIMEOUT": str(timeout_s)})
    writer.communicate(timeout=1800)
    stop.touch()
    r_out, _ = reader.communicate(timeout=600)
    runs = json.loads(r_out) if r_out.strip() else []
    failed = [r for r in runs if r[0] != 0]
    waits = [r[2] for r in runs] or [0.0]
    problem = (
        f"{len(failed)} of {len(runs)} summaries failed with 'stayed locked' (timeout {timeout_s:g} s); "
        f"longest wait {max(waits):.1f} s"
        if failed
        else None
    )
    _known(t, "reader-starved-by-long-ingest", problem)


def _known(t: Tally, name: str, problem: str | None) -> None:
    t.cases += 1
    if problem:
        t.known_bugs.append(f"{name}: {problem}")
        print(f"  known issue reproduced: {name}: {problem[:160]}", flush=True)
    else:
        print(f"  known issue not seen this time: {name}", flush=True)


# --------------------------------------------------------------------------------------------- kills
def kills(work: Path, t: Tally, rounds: int, rng: random.Random) -> None:
    print(f"kill -9 rounds ({rounds}) …", flush=True)
    db = work / "crash.duckdb"
    killed = 0
    for i in range(rounds):
        folder = work / "crash" / f"round{i:02d}"
        make_sarif_files(folder, rng.randrange(8, 20), f"k{i}", results=RESULTS_PER_FILE)
        env = {"FINDINGS_PARSE_WORKERS": "2", "FINDINGS_BATCH_RESULTS": "15"} if i % 2 else None
        was_killed, _, left = start_and_kill(db, folder, rng, env)
        if left:
            t.crash(f"round {i}: worker processes {sorted(left)} outlived the killed ingest")
        killed += was_killed
        t.cases += 1
        problems = whole_file_problems(db)
        if problems:
            t.crash(f"round {i}: after kill -9 the database holds partial files: {problems}")
        done = rerun(db, folder)
        if done.returncode != 0 or "Traceback" in done.stderr:
            t.crash(f"round {i}: re-run exit {done.returncode}: {done.stderr.strip()[-300:]}")
        names = sorted(folder.iterdir())
        with Store(db).read() as conn:
            stored = dict(
                query_rows(
                    conn,
                    "select path, count(*) from files where starts_with(path, ?) group by path",
                    [str(folder) + os.sep],
                )
            )
            occ = query_rows(
                conn,
                "select count(*) from occurrences o join scans s using (scan_id) join files f using (file_key) "
                "where starts_with(f.path, ?)",
                [str(folder) + os.sep],
            )[0][0]
        t.lost += [f"round {i}: {p.name}" for p in names if str(p) not in stored]
        t.doubled += [f"round {i}: {p}" for p, n in stored.items() if n > 1]
        if occ > len(names) * RESULTS_PER_FILE:
            t.doubled.append(f"round {i}: {occ} occurrences for {len(names)} files")
        t.loaded += len(stored)
        if problems := whole_file_problems(db, all_streams_clean=True):
            t.crash(f"round {i}: after the re-run: {problems}")
    t.doubled += [f"crash db: {p}" for p in doubled_paths(db)]
    t.notes.append(f"kill -9 rounds: {rounds}, killed mid-run: {killed}")
    print(f"  {killed} of {rounds} rounds killed mid-run", flush=True)


def watcher_kills(work: Path, t: Tally, rounds: int, rng: random.Random) -> None:
    print(f"watcher kill -9 rounds ({rounds}) …", flush=True)
    inbox = work / "inbox"
    inbox.mkdir()
    db = work / "inbox.duckdb"
    names = []
    for i in range(rounds * 4):
        name = f"acme+p{i % 3}__main__c{i}__2026{i % 12 + 1:02d}{i % 28 + 1:02d}T000000Z.sarif"
        (inbox / name).write_text(json.dumps(sarif_log([result(f"W{j}") for j in range(3)], tool=f"t{i % 5}")))
        names.append(name)
    fast = ["--settle", "0.1", "--interval", "0.05"]
    for _ in range(rounds):
        proc = python("-m", "ingest.watch", str(inbox), "--db", str(db), *fast, env={"PYTHONUNBUFFERED": "1"})
        assert proc.stdout is not None
        for _ in range(rng.randrange(1, 6)):
            if not proc.stdout.readline():
                break
        time.sleep(rng.uniform(0, 0.1))
        proc.kill()
        proc.communicate(timeout=30)
    done = subprocess.run(  # noqa: S603 (our own interpreter and module)
        [sys.executable, "-m", "ingest.watch", str(inbox), "--db", str(db), "--once", *fast],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    t.cases += 1
    if done.returncode != 0 or "Traceback" in done.stderr:
        t.crash(f"watcher final run exit {done.returncode}: {done.stderr.strip()[-300:]}")
    archived = {p.name for p in (inbox / "archive").glob("*.sarif")}
    left = sorted(p.name for p in inbox.glob("*.sarif"))
    with Store(db).read() as conn:
        stored = dict(query_rows(conn, "select path, count(*) from files group by path"))
    t.lost += [f"inbox: {n}" for n in names if n not in archived]
    t.lost += [f"inbox, not loaded: {n}" for n in names if str(inbox / n) not in stored]
    t.doubled += [f"inbox: {p}" for p, n in stored.items() if n > 1]
    if left:
        t.lost.append(f"inbox: {len(left)} file(s) never moved: {left[:3]}")
    t.loaded += len(stored)


# ------------------------------------------------------------------------------ hostile inbox entries
def _watch_once(inbox: Path, db: Path) -> subprocess.CompletedProcess[str] | None:
    """One ``watch --once`` run with a memory cap; None when it did not finish within 2 minutes."""
    try:
        return subprocess.run(  # noqa: S603 (our own interpreter and module)
            [sys.executable, "-m", "ingest", "watch", str(inbox), "--db", str(db), "--once", "--settle", "0.1"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            preexec_fn=_limit_memory,
        )
    except subprocess.TimeoutExpired:
        return None


def _scan_text(tool: str) -> str:
    return json.dumps(sarif_log([result(f"{tool}-{j}", line=j + 1) for j in range(3)], tool=tool))


def watcher_entries(work: Path, t: Tally) -> None:
    """Hostile inbox entries: names too long for a sidecar or a reason file, a FIFO, a link to /dev/zero, links
    to another folder's scan, folder and sidecar; then archive/ and rejected/ as links. The watcher
    must finish, load the good files once, reject the others with a reason, and move or load
    nothing outside its folder."""
    print("watcher: hostile inbox entries …", flush=True)
    inbox, other, db = work / "entries", work / "other-team", work / "entries.duckdb"
    inbox.mkdir()
    other.mkdir()
    (other / "theirs.sarif").write_text(_scan_text("their-tool"))
    (other / "meta.json").write_text(json.dumps({"project": "their/project"}))
    good = [f"good{i}.sarif" for i in range(5)] + ["g" * 249 + ".sarif", "s" * 245 + ".sarif"]
    for i, name in enumerate(good):
        (inbox / name).write_text(_scan_text(f"w{i}"))
    (inbox / ("s" * 245 + ".meta.json")).write_text(json.dumps({"project": "acme/long"}))
    bad = ["b" * 246 + ".sarif", "fifo.sarif", "zero.sarif", "link.sarif", "side.sarif"]
    (inbox / bad[0]).write_text("{")
    os.mkfifo(inbox / bad[1])
    (inbox / bad[2]).symlink_to("/dev/zero")
    (inbox / bad[3]).symlink_to(other / "theirs.sarif")
    (inbox / bad[4]).write_text(_scan_text("w-side"))
    (inbox / "side.sarif.meta.json").symlink_to(other / "meta.json")
    (inbox / "team").symlink_to(other, target_is_directory=True)
    proc = _watch_once(inbox, db)
    t.cases += len(good) + len(bad) + 1
    if proc is None:
        t.crash("watcher hostile entries: did not finish in 120 s (blocked?)")
        return
    if problem := crashed(proc):
        t.crash(f"watcher hostile entries: {problem}")
    with Store(db).read() as conn:
        stored = dict(query_rows(conn, "select path, count(*) from files group by path"))
        tools = {r[0] for r in query_rows(conn, "select tool from scans")}
    t.doubled += [f"inbox entries: {p}" for p, n in stored.items() if n > 1]
    for name in good:
        if stored.get(str(inbox / name)) == 1 and (inbox / "archive" / name).exists():
            t.loaded += 1
        else:
            t.lost.append(f"inbox entries: {name[:40]} not loaded and archived")
    reasons = [p.name for p in (inbox / "rejected").glob("*.reason.txt")]
    for name in bad:
        has_reason = any(r.startswith(name[:100]) for r in reasons)
        if str(inbox / name) in stored or not (has_reason and os.path.lexists(inbox / "rejected" / name)):
            t.crash(f"inbox entries: {name[:40]} not rejected with a reason")
        else:
            t.rejected += 1
    if "their-tool" in tools or sorted(p.name for p in other.iterdir()) != ["meta.json", "theirs.sarif"]:
        t.crash("inbox entries: a link led out of the inbox (their scan loaded or their folder changed)")
    _linked_targets(work, t)


def _linked_targets(work: Path, t: Tally) -> None:
    """archive/ and rejected/ as links to other folders: the files load (or are rejected), stay in
    the inbox, and nothing lands in the other folders."""
    inbox, db = work / "linked-inbox", work / "linked.duckdb"
    inbox.mkdir()
    for target in ("archive", "rejected"):
        (work / f"elsewhere-{target}").mkdir()
        (inbox / target).symlink_to(work / f"elsewhere-{target}", target_is_directory=True)
    (inbox / "good.sarif").write_text(_scan_text("linked-good"))
    (inbox / "bad.sarif").write_text("{")
    proc = _watch_once(inbox, db)
    t.cases += 2
    if proc is None or (problem := crashed(proc)):
        t.crash(f"watcher with linked archive/: {'did not finish' if proc is None else problem}")
        return
    if any(any((work / f"elsewhere-{d}").iterdir()) for d in ("archive", "rejected")):
        t.crash("watcher with linked archive/ or rejected/: files were moved out of the inbox")
    with Store(db).read() as conn:
        stored = dict(query_rows(conn, "select path, count(*) from files group by path"))
    if stored.get(str(inbox / "good.sarif")) != 1 or not (inbox / "good.sarif").exists():
        t.lost.append("linked archive/: good.sarif not loaded, or gone from the inbox")
    else:
        t.loaded += 1
    if "cannot move bad.sarif: rejected/ is a symbolic link" in proc.stderr:
        t.rejected += 1
    else:
        t.crash("linked rejected/: no error line for bad.sarif")


# --------------------------------------------------------------------------------------- concurrency
def concurrency(work: Path, t: Tally, writers: int = 3, per_writer: int = 50) -> None:
    print(f"{writers} writers + a reader + an upload …", flush=True)
    db = work / "concurrent.duckdb"
    folders = []
    for w in range(writers):
        folders.append(work / "conc" / f"w{w}")
        make_sarif_files(folders[-1], per_writer, f"w{w}")
    up = work / "conc" / "upload"
    make_sarif_files(up, 20, "up")
    stop = work / "stop"
    procs = [python("-m", "ingest", "sarif", str(f), "--db", str(db)) for f in folders]
    reader = python("-c", READER, str(db), str(stop))
    uploader = python("-c", UPLOADER, str(db), str(up))
    outs = [p.communicate(timeout=1800) for p in procs]
    u_out, u_err = uploader.communicate(timeout=1800)
    stop.touch()
    r_out, r_err = reader.communicate(timeout=600)
    for p, (_, err) in zip(procs, outs, strict=True):
        t.cases += 1
        if p.returncode != 0 or any(w in err for w in ("Traceback", "lock", "error")):
            t.crash(f"concurrent writer exit {p.returncode}: {err.strip()[-300:]}")
    t.cases += 2
    if uploader.returncode != 0 or u_out.split() != ["20", "0"]:
        t.crash(f"upload during ingest: exit {uploader.returncode} {u_out!r} {u_err.strip()[-300:]}")
    runs = json.loads(r_out) if reader.returncode == 0 and r_out.strip() else []
    failed = [r for r in runs if r[0] != 0]
    if reader.returncode != 0 or failed or not runs:
        t.crash(f"reader during ingest: exit {reader.returncode}, {len(failed)} failed run(s) {r_err.strip()[-300:]}")
    waits = sorted(r[2] for r in runs) or [0.0]
    t.notes.append(
        f"reader during ingest: {len(runs)} summaries, median {waits[len(waits) // 2]:.2f} s, max {waits[-1]:.2f} s"
    )
    with Store(db).read() as conn:
        stored = dict(query_rows(conn, "select path, count(*) from files group by path"))
        occ = query_rows(conn, "select count(*) from occurrences")[0][0]
    expected = [p for f in folders for p in f.iterdir()]
    t.lost += [f"concurrent: {p.name}" for p in expected if str(p) not in stored]
    t.doubled += [f"concurrent: {p}" for p, n in stored.items() if n > 1]
    want = (len(expected) + 20) * RESULTS_PER_FILE
    if occ != want:
        (t.doubled if occ > want else t.lost).append(f"concurrent: {occ} occurrences, expected {want}")
    t.loaded += len(stored)


# ------------------------------------------------------------------------------------------ million
def million(work: Path, t: Tally) -> None:
    print("one million results in one run …", flush=True)
    path = work / "million.sarif"
    write_million(path, 1_000_000)
    good = work / "good.sarif"
    good.write_text(json.dumps(good_log()))
    db = work / "million.duckdb"
    started = time.monotonic()
    proc = cli(["sarif", str(good), str(path), "--db", str(db), *META])
    took = time.monotonic() - started
    t.cases += 1
    if problem := crashed(proc):
        t.crash(f"1M results: {problem}")
    with Store(db).read() as conn:
        n = query_rows(conn, "select occurrences from files where path = ?", [str(path)])
        total = query_rows(conn, "select count(*) from occurrences")[0][0]
    if n != [(1_000_000,)]:
        t.lost.append(f"1M results: stored {n}")
    if total != 1_000_003:
        (t.doubled if total > 1_000_003 else t.lost).append(f"1M results: {total} occurrences in all")
    t.loaded += 2 if n == [(1_000_000,)] else 0
    t.notes.append(f"1M results: {took:.0f} s")


# --------------------------------------------------------------------------------------------- main
def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=textwrap.dedent(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="kill -9 rounds (default 20)")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--no-million", action="store_true", help="skip the 1M-results run")
    parser.add_argument("--strict", action="store_true", help="count known bugs as crashes")
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep it")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)  # noqa: S311 (not crypto)
    rng = random.Random(seed)  # noqa: S311
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="stress-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"stress: seed {seed}, work dir {work}", flush=True)
    t = Tally()
    started = time.monotonic()
    from stress_web import web  # bench/stress_web.py: sign-in guessing, session take-over, web uploads

    phases: list[Callable[[], None]] = [
        lambda: hostile(work, t),
        lambda: regressions(work, t),
        lambda: kills(work, t, args.rounds, rng),
        lambda: watcher_kills(work, t, max(3, args.rounds // 4), rng),
        lambda: watcher_entries(work, t),
        lambda: concurrency(work, t),
        lambda: web(work, t, rng),
    ]
    if not args.no_million:
        phases.append(lambda: million(work, t))
    try:
        for phase in phases:
            phase()
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    crashes = len(t.crashes) + (len(t.known_bugs) if args.strict else 0)
    print()
    for note in t.notes:
        print(f"  {note}")
    for bug in t.known_bugs:
        print(f"  known issue: {bug[:200]}")
    for what, items in (("crash", t.crashes), ("lost", t.lost), ("doubled", t.doubled)):
        for item in items[:20]:
            print(f"  {what}: {item[:300]}")
    print(
        f"cases tried {t.cases}, files loaded {t.loaded}, files rejected {t.rejected}, crashes {crashes}, "
        f"lost files {len(t.lost)}, doubled files {len(t.doubled)}"
        f" (known issues reproduced {len(t.known_bugs)}; {time.monotonic() - started:.0f} s, seed {seed})"
    )
    return 1 if crashes or t.lost or t.doubled else 0


if __name__ == "__main__":
    sys.exit(main())
