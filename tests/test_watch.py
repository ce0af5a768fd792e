"""The inbox job: ``python -m ingest watch DIR`` loads what pipelines drop, with metadata
from a sidecar or the file name, moves each file to archive/ or rejected/ (with a reason), waits for
files still being written, and never loses or doubles a file across restarts and crashes."""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import random
import resource
import signal
import stat
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from ingest import watch, watch_meta
from ingest.cli import main as ingest_main
from ingest.models import ScanMeta
from store.db import Store, query_rows
from tests.conftest import ROOT, result, sarif_log
from tests.test_concurrency import busy_exit_code, hold_lock, python

FAST = ("--settle", "0.1", "--interval", "0.05")


def scan(tool: str = "inbox-tool", n: int = 3, **run_extra: Any) -> bytes:
    return json.dumps(
        sarif_log([result(f"{tool}-R{i}", line=i + 1) for i in range(n)], tool=tool, **run_extra)
    ).encode()


def run_once(inbox: Path, db: Path, *extra: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = watch.main([str(inbox), "--db", str(db), "--once", *FAST, *extra])
    return int(code), out.getvalue(), err.getvalue()


def rows(db: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with Store(db).read() as conn:
        return query_rows(conn, sql, params or [])


def scans_by_name(db: Path) -> dict[str, tuple[Any, ...]]:
    found = rows(
        db,
        "select f.path, s.project, s.branch, s.commit_sha, s.scanned_at, s.category, s.scanned_at_source "
        "from scans s join files f using (file_key)",
    )
    return {Path(r[0]).name: r[1:] for r in found}


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    path = tmp_path / "inbox"
    path.mkdir()
    return path


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "watch.duckdb"


# ------------------------------------------------------------------------------------------ metadata
def test_sidecar_metadata_and_archive(inbox: Path, db: Path) -> None:
    (inbox / "scan.sarif.meta.json").write_text(
        json.dumps(
            {
                "project": "acme/web",
                "branch": "release",
                "commit": "abc1234",
                "scanned_at": "2026-03-01T12:00:00+02:00",
                "category": "/language:python",
                "source_root": None,
            }
        )
    )
    (inbox / "scan.sarif").write_bytes(scan("tool-a"))
    (inbox / "other.meta.json").write_text(json.dumps({"project": "acme/api", "scanned_at": "2026-03-02"}))
    (inbox / "other.sarif.json.gz").write_bytes(gzip.compress(scan("tool-b")))
    code, out, err = run_once(inbox, db)
    assert code == 0, err
    assert "scan.sarif: loaded 1 scan(s), 3 occurrence(s) → archive/scan.sarif" in out
    assert "other.sarif.json.gz: loaded" in out
    got = scans_by_name(db)
    assert got["scan.sarif"] == (
        "acme/web",
        "release",
        "abc1234",
        datetime(2026, 3, 1, 10),
        "/language:python",
        "given",
    )
    assert got["other.sarif.json.gz"][:4] == ("acme/api", "default", None, datetime(2026, 3, 2))
    assert listing(inbox) == [
        "archive/other.sarif.json.gz",
        "archive/other.sarif.json.gz.meta.json",
        "archive/scan.sarif",
        "archive/scan.sarif.meta.json",
    ]


def test_file_name_pattern(inbox: Path, db: Path) -> None:
    a = "acme+web__feature+login__3f2a1b9__20260301T120000Z.sarif.gz"
    b = "acme+api__main____20260302T000000Z__nightly+deps.sarif"
    plain = "just-a-scan.sarif"
    (inbox / a).write_bytes(gzip.compress(scan("tool-a")))
    (inbox / b).write_bytes(scan("tool-b"))
    (inbox / plain).write_bytes(
        scan(
            "tool-c",
            versionControlProvenance=[{"repositoryUri": "https://git.example/acme/lib", "revisionId": "c0ffee"}],
            invocations=[{"endTimeUtc": "2026-03-03T00:00:00Z"}],
        )
    )
    code, _, err = run_once(inbox, db)
    assert code == 0, err
    got = scans_by_name(db)
    assert got[a][:5] == ("acme/web", "feature/login", "3f2a1b9", datetime(2026, 3, 1, 12), "")
    assert got[b][:5] == ("acme/api", "main", None, datetime(2026, 3, 2), "nightly/deps")
    assert got[plain][:4] == ("acme/lib", "default", "c0ffee", datetime(2026, 3, 3))  # from the SARIF
    assert listing(inbox) == sorted(f"archive/{n}" for n in (a, b, plain))


def test_meta_from_name_unit() -> None:
    assert watch_meta.meta_from_name("scan.sarif") is None
    assert watch_meta.meta_from_name("a__b.sarif") is None
    assert watch_meta.meta_from_name("p__b__c__20260101T000000Z.json") == ScanMeta(
        project="p", branch="b", commit="c", scanned_at=datetime(2026, 1, 1)
    )
    assert watch_meta.split_suffix("x.y.sarif.json.gz") == ("x.y", ".sarif.json.gz")
    assert watch.printable("a\x1b[2J\nb\u202ec") == "a\\x1b[2J\\nb\\u202ec"


# ---------------------------------------------------------------------------------------- rejections
def test_rejected_files_get_a_reason_and_the_others_load(inbox: Path, db: Path) -> None:
    (inbox / "good.sarif").write_bytes(scan())
    (inbox / "broken.sarif").write_bytes(b'{"version": "2.1.0", "runs": [')
    (inbox / "badmeta.sarif").write_bytes(scan("tool-m"))
    (inbox / "badmeta.sarif.meta.json").write_text(json.dumps({"project": "p", "colour": "red"}))
    (inbox / "badtime.sarif").write_bytes(scan("tool-t"))
    (inbox / "badtime.meta.json").write_text(json.dumps({"scanned_at": "yesterday"}))
    (inbox / "p__b__c__2026-03-01.sarif").write_bytes(scan("tool-n"))
    code, out, err = run_once(inbox, db)
    assert code == 3, (out, err)
    assert "good.sarif: loaded" in out
    reasons = {
        p.name.removesuffix(".reason.txt"): p.read_text().splitlines()[0]
        for p in (inbox / "rejected").glob("*.reason.txt")
    }
    assert set(reasons) == {"broken.sarif", "badmeta.sarif", "badtime.sarif", "p__b__c__2026-03-01.sarif"}
    assert "invalid JSON" in reasons["broken.sarif"]
    assert "sidecar badmeta.sarif.meta.json: unknown key(s) colour" in reasons["badmeta.sarif"]
    assert "scanned_at 'yesterday' is not an ISO 8601 time" in reasons["badtime.sarif"]
    assert "is not a UTC time written YYYYMMDDTHHMMSSZ" in reasons["p__b__c__2026-03-01.sarif"]
    for name, reason in reasons.items():
        assert f"{name}: rejected: {reason} → rejected/{name}" in err
    assert listing(inbox) == [
        "archive/good.sarif",
        "rejected/badmeta.sarif",
        "rejected/badmeta.sarif.meta.json",
        "rejected/badmeta.sarif.reason.txt",
        "rejected/badtime.sarif",
        "rejected/badtime.sarif.meta.json",
        "rejected/badtime.sarif.reason.txt",
        "rejected/broken.sarif",
        "rejected/broken.sarif.reason.txt",
        "rejected/p__b__c__2026-03-01.sarif",
        "rejected/p__b__c__2026-03-01.sarif.reason.txt",
    ]
    assert rows(db, "select count(*) from files") == [(1,)]
    assert "Traceback" not in err


def test_subfolders_collisions_and_what_is_ignored(inbox: Path, db: Path) -> None:
    (inbox / "team-a").mkdir()
    (inbox / "team-a" / "scan.sarif").write_bytes(scan("tool-a"))
    (inbox / ".hidden").mkdir()
    (inbox / ".hidden" / "x.sarif").write_bytes(scan("tool-h"))
    (inbox / "notes.txt").write_text("not a scan")
    (inbox / "big.sarif.part").write_bytes(scan("tool-p"))
    (inbox / ".big.sarif").write_bytes(scan("tool-dot"))
    (inbox / "archive").mkdir()
    (inbox / "archive" / "old.sarif").write_bytes(scan("tool-old"))
    (inbox / "scan.sarif").write_bytes(scan("tool-1"))
    assert run_once(inbox, db)[0] == 0
    (inbox / "scan.sarif").write_bytes(scan("tool-2"))  # the same name again, other content
    code, out, _ = run_once(inbox, db)
    assert code == 0
    assert "scan.sarif: loaded 1 scan(s), 3 occurrence(s) → archive/scan~1.sarif" in out
    assert listing(inbox) == [
        ".big.sarif",
        ".hidden/x.sarif",
        "archive/old.sarif",
        "archive/scan.sarif",
        "archive/scan~1.sarif",
        "archive/team-a/scan.sarif",
        "big.sarif.part",
        "notes.txt",
    ]
    assert sorted(r[0] for r in rows(db, "select tool from scans")) == ["tool-1", "tool-2", "tool-a"]


def test_hostile_file_name_is_printed_escaped(inbox: Path, db: Path) -> None:
    name = "evil\x1b[31m\u202e\n.sarif"
    (inbox / name).write_bytes(b"{")
    code, out, err = run_once(inbox, db)
    assert code == 3
    lines = [line for line in err.splitlines() if "rejected:" in line]
    assert len(lines) == 1
    assert "evil\\x1b[31m\\u202e\\n.sarif: rejected: invalid JSON" in lines[0]
    for ch in ("\x1b", "\u202e"):
        assert ch not in out + err
    assert (inbox / "rejected" / (name + ".reason.txt")).exists()


# ------------------------------------------------------------------------------- files being written
def test_file_still_being_written_is_loaded_complete(inbox: Path, db: Path) -> None:
    data = scan("slow-tool", n=40)
    half = len(data) // 2
    store = Store(db)
    w = watch.Watcher(inbox.resolve(), store, settle_s=0.8, out=io.StringIO(), err=io.StringIO())
    stop = threading.Event()
    thread = threading.Thread(target=watch.watch, args=(w, 0.05, False, stop), daemon=True)
    thread.start()
    try:
        path = inbox / "slow.sarif"
        with path.open("wb") as fh:
            fh.write(data[:half])
            fh.flush()
            time.sleep(0.4)  # a pause shorter than --settle: the watcher must not touch it
            assert path.exists()
            fh.write(data[half:])
        deadline = time.monotonic() + 15
        while not (inbox / "archive" / "slow.sarif").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(10)
    assert (inbox / "archive" / "slow.sarif").read_bytes() == data
    assert rows(db, "select count(*), sum(occurrences) from files") == [(1, 40)]
    assert rows(db, "select count(*) from rejections") == [(0,)]


def test_loop_mode_picks_up_files_as_they_arrive(inbox: Path, db: Path) -> None:
    store = Store(db)
    out = io.StringIO()
    w = watch.Watcher(inbox.resolve(), store, settle_s=0.1, out=out, err=io.StringIO())
    stop = threading.Event()
    thread = threading.Thread(target=watch.watch, args=(w, 0.05, False, stop), daemon=True)
    thread.start()
    try:
        for i in range(3):
            tmp = inbox / f"drop{i}.sarif.tmp"
            tmp.write_bytes(scan(f"tool-{i}"))
            tmp.rename(inbox / f"drop{i}.sarif")  # the recommended way: write, then rename
            time.sleep(0.1)
        deadline = time.monotonic() + 15
        while len(list((inbox / "archive").glob("*.sarif"))) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(10)
    assert listing(inbox) == [f"archive/drop{i}.sarif" for i in range(3)]
    assert rows(db, "select count(*) from files") == [(3,)]


# ---------------------------------------------------------------------------------- restart and crash
def test_restart_after_load_before_move_is_already_loaded(inbox: Path, db: Path) -> None:
    """A crash between the load and the move leaves a loaded file in the inbox (and, after a crash
    between the two moves, a lone sidecar): the next run archives it as "already loaded"."""
    name = "acme+web__main__abc__20260301T120000Z.sarif"
    (inbox / name).write_bytes(scan())
    (inbox / "side.sarif").write_bytes(scan("tool-s"))
    (inbox / "side.sarif.meta.json").write_text(json.dumps({"project": "acme/side"}))
    # What the watcher would have loaded before crashing: the same bytes with the same metadata.
    with contextlib.redirect_stdout(io.StringIO()):
        assert (
            ingest_main(
                [
                    "sarif",
                    str(inbox / name),
                    "--db",
                    str(db),
                    "--project",
                    "acme/web",
                    "--branch",
                    "main",
                    "--commit",
                    "abc",
                    "--scanned-at",
                    "2026-03-01T12:00:00Z",
                ]
            )
            == 0
        )
        assert ingest_main(["sarif", str(inbox / "side.sarif"), "--db", str(db), "--project", "acme/side"]) == 0
    code, out, err = run_once(inbox, db)
    assert code == 0, err
    assert f"{name}: already loaded → archive/{name}" in out
    assert "side.sarif: already loaded → archive/side.sarif" in out
    assert rows(db, "select count(*) from files") == [(2,)]
    # A second run finds nothing to do.
    code, out, err = run_once(inbox, db)
    assert (code, out) == (0, "")
    assert rows(db, "select count(*) from files") == [(2,)]


def test_kill_9_of_the_watcher_loses_and_doubles_nothing(inbox: Path, db: Path) -> None:
    rng = random.Random(int(os.environ.get("CRASH_SEED", random.randrange(1 << 30))))
    names = []
    for i in range(12):
        name = f"acme+p{i % 3}__main__c{i}__202603{i + 1:02d}T000000Z.sarif"
        (inbox / name).write_bytes(scan(f"tool-{i % 4}"))
        names.append(name)
    for _ in range(2):
        proc = python("-m", "ingest.watch", str(inbox), "--db", str(db), *FAST, env={"PYTHONUNBUFFERED": "1"})
        assert proc.stdout is not None
        for _ in range(rng.randrange(1, 4)):
            if not proc.stdout.readline():
                break
        time.sleep(rng.uniform(0, 0.1))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        proc.communicate()
    code, _, err = run_once(inbox, db)
    assert code == 0, err
    assert listing(inbox) == sorted(f"archive/{n}" for n in names)
    assert rows(db, "select count(*), count(distinct path), sum(occurrences) from files") == [(12, 12, 36)]


def test_busy_store_leaves_the_file_in_the_inbox(inbox: Path, db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (inbox / "wait.sarif").write_bytes(scan())
    monkeypatch.setenv("FINDINGS_DB_TIMEOUT", "0.5")
    locker = hold_lock(db, 60)
    try:
        code, out, err = run_once(inbox, db)
    finally:
        locker.kill()
        locker.wait()
    assert code == busy_exit_code(), (out, err)
    assert "stayed locked" in err and "wait.sarif stays in the inbox" in err
    assert listing(inbox) == ["wait.sarif"]
    assert run_once(inbox, db)[0] == 0  # once the lock is gone, it loads and moves
    assert listing(inbox) == ["archive/wait.sarif"]


def test_usage_errors(tmp_path: Path) -> None:
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert watch.main([str(tmp_path / "missing"), "--once"]) == 2
    assert "not a directory" in err.getvalue()


# ------------------------------------------------------------------------------ sidecar source_root
def test_a_sidecar_source_root_must_be_inside_an_allowed_folder(inbox: Path, db: Path, tmp_path: Path) -> None:
    """Whoever drops files must not make the watcher read any folder it can see: a source_root
    outside ``--source-roots`` rejects the file (with the reason); inside, the file loads."""
    checkouts = tmp_path / "checkouts"
    (checkouts / "web").mkdir(parents=True)
    (inbox / "a.sarif").write_bytes(scan("tool-a"))
    (inbox / "a.sarif.meta.json").write_text(json.dumps({"project": "acme/a", "source_root": "/etc"}))
    (inbox / "b.sarif").write_bytes(scan("tool-b"))
    (inbox / "b.sarif.meta.json").write_text(json.dumps({"project": "acme/b", "source_root": str(checkouts / "web")}))
    code, _, _ = run_once(inbox, db, "--source-roots", str(checkouts))
    assert code == 3  # some file was rejected
    assert (inbox / "archive" / "b.sarif").exists()
    reason = (inbox / "rejected" / "a.sarif.reason.txt").read_text()
    assert "source_root '/etc' is not inside a folder given with --source-roots" in reason
    assert rows(db, "select project from scans") == [("acme/b",)]
    (inbox / "c.sarif").write_bytes(scan("tool-c"))
    (inbox / "c.sarif.meta.json").write_text(json.dumps({"project": "acme/c", "source_root": str(checkouts)}))
    code, _, _ = run_once(inbox, db)  # no --source-roots: no source_root is accepted
    assert code == 3 and (inbox / "rejected" / "c.sarif").exists()


# ------------------------------------------------------------------------------------ hostile entries
def run_watch_process(inbox: Path, db: Path, *extra: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``python -m ingest watch DIR --once`` in a subprocess with a timeout and at most 4 GiB of
    memory: a watcher that blocks on a FIFO or reads /dev/zero fails the test instead of hanging
    or swapping the machine."""
    return subprocess.run(
        [sys.executable, "-m", "ingest", "watch", str(inbox), "--db", str(db), "--once", *FAST, *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=limit_memory,
    )


def limit_memory() -> None:  # runs in the child before exec
    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))


def reason_files(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text().splitlines()[0] for p in folder.glob("*.reason.txt")}


def test_names_too_long_for_a_sidecar_or_a_reason_file(inbox: Path, db: Path) -> None:
    """A legal name of 246–255 bytes has no room for ``.meta.json`` or ``.reason.txt``: the file
    loads (or is rejected with a reason file of a shortened name), and every other file still
    loads — before, ``is_file()`` raised ENAMETOOLONG and the watcher exited 1 on every start."""
    long_good = "g" * 249 + ".sarif"  # 255 bytes
    long_bad = "b" * 246 + ".sarif"
    stem = "s" * 245  # its sidecar "sss….meta.json" is exactly 255 bytes
    (inbox / long_good).write_bytes(scan("tool-long"))
    (inbox / long_bad).write_bytes(b"{")
    (inbox / f"{stem}.meta.json").write_text(json.dumps({"project": "acme/long"}))
    (inbox / f"{stem}.sarif").write_bytes(scan("tool-side"))
    (inbox / "short.sarif").write_bytes(scan("tool-short"))
    code, out, err = run_once(inbox, db)
    assert code == 3, err
    assert "Traceback" not in err
    assert f"{long_good}: loaded 1 scan(s), 3 occurrence(s) → archive/{long_good}" in out
    assert "short.sarif: loaded" in out
    assert f"{long_bad}: rejected: invalid JSON" in err
    assert sorted(r[0] for r in rows(db, "select tool from scans")) == ["tool-long", "tool-short", "tool-side"]
    assert rows(db, "select project from scans where tool = 'tool-side'") == [("acme/long",)]
    reasons = reason_files(inbox / "rejected")
    assert len(reasons) == 1
    (name, first_line), *_ = reasons.items()
    assert len(os.fsencode(name)) <= 255 and name.startswith("b" * 100) and "~" in name
    assert first_line.startswith("invalid JSON")
    assert (inbox / "rejected" / long_bad).exists()
    archived = sorted(p.name for p in (inbox / "archive").iterdir())
    assert long_good in archived and f"{stem}.sarif" in archived and "short.sarif" in archived
    side = [n for n in archived if n.endswith(".meta.json")]
    assert len(side) == 1 and len(os.fsencode(side[0])) <= 255  # moved beside it, name shortened
    assert [p.name for p in inbox.iterdir() if p.is_file()] == []
    assert run_once(inbox, db) == (0, "", "")  # a restart finds nothing left to do


def test_a_fifo_is_rejected_at_once_and_sigterm_stops_the_watcher(inbox: Path, db: Path) -> None:
    """A FIFO named like a scan used to block the watcher forever (no writer ever comes), deaf to
    SIGTERM. It is rejected (and moved) like any bad file; the others load; SIGTERM stops it."""
    os.mkfifo(inbox / "a.sarif")
    (inbox / "b.sarif").write_bytes(scan("tool-b"))
    proc = python("-m", "ingest", "watch", str(inbox), "--db", str(db), *FAST, env={"PYTHONUNBUFFERED": "1"})
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (
            (inbox / "archive" / "b.sarif").exists() and (inbox / "rejected" / "a.sarif.reason.txt").exists()
        ):
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "a.sarif: rejected: not a regular file but a FIFO (named pipe) → rejected/a.sarif" in err
    assert "b.sarif: loaded 1 scan(s)" in out
    assert stat.S_ISFIFO(os.lstat(inbox / "rejected" / "a.sarif").st_mode)
    assert rows(db, "select reason from rejections") == [("not a regular file but a FIFO (named pipe)",)]


def test_a_link_to_dev_zero_is_rejected_without_reading(inbox: Path, db: Path) -> None:
    """``/dev/zero`` reports size 0, so the size check passed and the read filled memory."""
    (inbox / "zero.sarif").symlink_to("/dev/zero")
    (inbox / "good.sarif").write_bytes(scan())
    done = run_watch_process(inbox, db)
    assert done.returncode == 3, done.stderr
    assert "zero.sarif: rejected: a symbolic link: only regular files inside the folder are read" in done.stderr
    assert "good.sarif: loaded" in done.stdout
    assert os.readlink(inbox / "rejected" / "zero.sarif") == "/dev/zero"  # the link itself, moved
    assert "Traceback" not in done.stderr and "MemoryError" not in done.stderr


def test_links_never_lead_out_of_the_inbox(inbox: Path, db: Path, tmp_path: Path) -> None:
    """A link to another folder's scan is not loaded under the dropper's name (nor through a
    linked folder, nor through a linked sidecar); the files of the inbox itself still load."""
    other = tmp_path / "other-team"
    other.mkdir()
    (other / "theirs.sarif").write_bytes(scan("their-tool"))
    (other / "meta.json").write_text(json.dumps({"project": "their/project"}))
    (inbox / "mine.sarif").symlink_to(other / "theirs.sarif")
    (inbox / "linked-folder").symlink_to(other, target_is_directory=True)
    (inbox / "side.sarif").write_bytes(scan("tool-side"))
    (inbox / "side.sarif.meta.json").symlink_to(other / "meta.json")
    (inbox / "own.sarif").write_bytes(scan("tool-own"))
    code, out, err = run_once(inbox, db)
    assert code == 3, err
    assert "own.sarif: loaded" in out
    assert "mine.sarif: rejected: a symbolic link" in err
    assert "side.sarif: rejected: sidecar side.sarif.meta.json: a symbolic link" in err
    assert rows(db, "select tool, project from scans") == [("tool-own", "inbox")]
    assert sorted(p.name for p in other.iterdir()) == ["meta.json", "theirs.sarif"]  # untouched
    assert (inbox / "rejected" / "mine.sarif").is_symlink()
    reasons = reason_files(inbox / "rejected")
    assert set(reasons) == {"mine.sarif.reason.txt", "side.sarif.reason.txt"}


def test_a_folder_swapped_for_a_link_after_listing_is_not_followed(inbox: Path, db: Path, tmp_path: Path) -> None:
    """The check is made on what is opened, not on the names listed: a sub-folder replaced by a
    link between the listing and the read leads nowhere."""
    other = tmp_path / "other-team"
    other.mkdir()
    (other / "theirs.sarif").write_bytes(scan("their-tool"))
    (inbox / "team").symlink_to(other, target_is_directory=True)
    w = watch.Watcher(inbox.resolve(), Store(db), settle_s=0, out=io.StringIO(), err=io.StringIO())
    outcome = w.process(inbox.resolve() / "team" / "theirs.sarif")  # as if listed before the swap
    assert outcome is not None and outcome.report.status == "rejected"
    assert "a folder on the way is a symbolic link" in (outcome.report.reason or "")
    assert rows(db, "select count(*) from scans") == [(0,)]
    assert (other / "theirs.sarif").exists()  # nothing moved out of the other folder either


@pytest.mark.parametrize("linked", ["archive", "rejected"])
def test_a_linked_archive_or_rejected_folder_moves_nothing_out(
    inbox: Path, db: Path, tmp_path: Path, linked: str
) -> None:
    """``archive/`` or ``rejected/`` as a link to another folder used to send the moved files
    there. Now the file is loaded (or rejected) and stays in the inbox, with an error line."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (inbox / linked).symlink_to(elsewhere, target_is_directory=True)
    (inbox / "good.sarif").write_bytes(scan())
    (inbox / "bad.sarif").write_bytes(b"{")
    code, _, err = run_once(inbox, db)
    assert code == 3
    stays = "good.sarif" if linked == "archive" else "bad.sarif"
    assert f"error: cannot move {stays}: {linked}/ is a symbolic link" in err
    assert list(elsewhere.iterdir()) == []
    assert (inbox / stays).exists()
    assert rows(db, "select count(*) from files") == [(1,)]
    assert "Traceback" not in err


def test_times_outside_1970_to_2100_in_a_sidecar_or_a_name_are_rejected(inbox: Path, db: Path) -> None:
    (inbox / "side.sarif").write_bytes(scan("tool-s"))
    (inbox / "side.meta.json").write_text(json.dumps({"scanned_at": "9999-12-31T23:59:59-01:00"}))
    (inbox / "p__main__abc__99991231T235959Z.sarif").write_bytes(scan("tool-n"))
    (inbox / "ok.sarif").write_bytes(scan("tool-ok"))
    code, out, err = run_once(inbox, db)
    assert code == 3, err
    assert "ok.sarif: loaded" in out
    reasons = reason_files(inbox / "rejected")
    assert reasons["side.sarif.reason.txt"] == (
        "sidecar side.meta.json: scanned_at '9999-12-31T23:59:59-01:00' is outside 1970–2100"
    )
    assert "'99991231T235959Z', is outside 1970–2100" in reasons["p__main__abc__99991231T235959Z.sarif.reason.txt"]
    assert rows(db, "select tool from scans") == [("tool-ok",)]
