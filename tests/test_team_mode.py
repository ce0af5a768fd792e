"""Team mode's failure modes and upgrades, with real processes against a real PostgreSQL server.

- A database that cannot be used — a closed port, a wrong password, a database that does not
  exist, a role without the rights it needs — makes every command (``ingest sarif|manifest|watch|
  git|deployments|incidents``, ``analytics summary|export``, ``demo``) exit 5 with exactly one line
  on stderr that names host:port/database, never the password, and no traceback.
- A server that ends the ingest's connections mid-way: exit 5, the report names exactly the files
  not stored, every stored file is whole, and the same command run again completes the job — the
  store then equals one clean sequential load.
- A store made before team mode (schema version 3) is upgraded when opened (to the latest) and gives
  the same summary and export as before: a DuckDB file made by that code (``tests/data``) and a
  PostgreSQL database with migrations 1–3 only.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

import store.migrations as migrations_module
from core.errors import ExitCode
from ingest.watch import Watcher, watch
from store.db import Store
from store.migrations import schema_version
from tests.conftest import DATA, PG_ENV, ROOT, new_database, seed_samples_with_deployments
from tests.test_crash import WHOLE_FILES
from tests.test_team_writers import demo_files, python, rows, snapshot

on_postgres = pytest.mark.parametrize("engine", ["postgresql"], indirect=True)

UNTIL = "2026-11-30"  # after the samples' last scan: answers that do not depend on today
SAMPLES = ROOT / "samples" / "sarif"
OLD_STORE = DATA / "store-v3-samples.duckdb.gz"
OLD_SUMMARY = DATA / "store-v3-samples.summary.json"
OLD_FINDINGS = DATA / "store-v3-samples.findings.csv"
INDEXES_OF_004 = {
    "occurrences_stream",
    "occurrences_scan",
    "episodes_closed",
    "findings_project",
    "deployments_project",
    "incidents_project",
}


# ------------------------------------------------------------------------------------------ helpers
def server_url() -> str:
    url = os.environ.get(PG_ENV)
    assert url, "the engine fixture skips PostgreSQL runs without the server"
    return url


def admin(database: str | None = None) -> psycopg.Connection:
    """An autocommit connection to the test server as its administrator."""
    u = make_url(server_url())
    return psycopg.connect(
        host=u.host or "localhost",
        port=u.port or 5432,
        user=u.username or "postgres",
        password=u.password or "",
        dbname=database or u.database or "postgres",
        autocommit=True,
    )


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(*args: str, db: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    proc = python(*args, "--db", db)
    out, err = proc.communicate(timeout=timeout)
    return subprocess.CompletedProcess(list(args), proc.returncode, out, err)


@pytest.fixture
def weak_role(db: str) -> Iterator[tuple[str, str]]:
    """A role that may sign in (with a password) but has no right beyond PUBLIC's: on PostgreSQL 15
    it cannot create tables in ``public``. Yields (name, password)."""
    name, password = f"findings_weak_{secrets.token_hex(4)}", secrets.token_hex(12)
    with admin() as conn:
        conn.execute(f"CREATE ROLE {name} LOGIN PASSWORD '{password}'")
    yield name, password
    with admin(make_url(db).database) as conn:
        conn.execute(f"DROP OWNED BY {name}")
    with admin() as conn:
        conn.execute(f"DROP ROLE {name}")


def seed(db: str, tmp: Path) -> None:
    """The samples, deployments and an incident (``tests/conftest.py``), into a database URL."""
    seed_samples_with_deployments(db, tmp)  # type: ignore[arg-type]  # a URL is not a path: str() only


def as_admin(db: str, text: str) -> list[tuple[object, ...]]:
    """A query run past the store (whose every open applies pending migrations)."""
    with admin(make_url(db).database) as conn:
        return conn.execute(text).fetchall()


def indexes(db: str) -> set[str]:
    return {str(r[0]) for r in as_admin(db, "SELECT indexname FROM pg_indexes")}


def as_role(db: str, role: tuple[str, str]) -> str:
    return make_url(db).set(username=role[0], password=role[1]).render_as_string(hide_password=False)


# ------------------------------------------------------------------------------ a database that refuses
def commands(tmp: Path) -> dict[str, list[str]]:
    """One run of every command that opens the store, with inputs that would load fine."""
    inbox = tmp / "inbox"
    inbox.mkdir()
    shutil.copy(SAMPLES / "ruff-1.sarif", inbox / "ruff-1.sarif")
    repo = tmp / "repo"
    repo.mkdir()
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "first"], check=True)
    deployments = tmp / "deployments.csv"
    deployments.write_text(
        "id,project,environment,started_at,finished_at,status,sha\n"
        "d1,p,production,2026-01-01T00:00:00Z,2026-01-01T00:10:00Z,success,abc1234\n"
    )
    incidents = tmp / "incidents.csv"
    incidents.write_text("id,project,created_at\ni1,p,2026-01-01T00:00:00Z\n")
    return {
        "ingest sarif": ["-m", "ingest", "sarif", str(SAMPLES)],
        "ingest manifest": ["-m", "ingest", "manifest", str(ROOT / "samples" / "manifest.csv")],
        "ingest watch": ["-m", "ingest", "watch", str(inbox), "--once", "--settle", "0"],
        "ingest git": ["-m", "ingest", "git", str(repo), "--project", "p"],
        "ingest deployments": ["-m", "ingest", "deployments", str(deployments)],
        "ingest incidents": ["-m", "ingest", "incidents", str(incidents)],
        "analytics summary": ["-m", "analytics", "summary"],
        "analytics export": ["-m", "analytics", "export", "findings", "-o", "-"],
        "demo": ["-m", "demo", "--scale", "0.01", "--out", str(tmp / "demo"), "--end", "2026-06-30"],
    }


def refused_everywhere(db: str, why: str, secrets_: tuple[str, ...], tmp: Path) -> None:
    """Every command at once against ``db``: exit 5, one line naming host:port/database and ``why``."""
    url = make_url(db)
    where = f"{url.host}:{url.port}/{url.database}"
    procs = {name: python(*argv, "--db", db) for name, argv in commands(tmp).items()}
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=180)
        lines = err.strip().splitlines()
        assert proc.returncode == 5, (name, proc.returncode, out[-2000:], err[-2000:])
        assert len(lines) == 1, (name, err)
        assert lines[0].startswith("error: PostgreSQL at ") and where in lines[0] and why in lines[0], (name, err)
        assert not any(s in err or s in out for s in secrets_), (name, err)
        assert "Traceback" not in err
    assert not (tmp / "demo").exists()  # the store was checked before minutes of writing files
    assert sorted(p.name for p in (tmp / "inbox").iterdir()) == ["ruff-1.sarif"]  # left for a rerun


@pytest.mark.parametrize("given", ["postgres:s3cret-pw@127.0.0.1:5432/findings", "ci@db.example:5432"])
@pytest.mark.parametrize("command", [["-m", "analytics", "summary"], ["-m", "ingest", "sarif", str(SAMPLES)]])
def test_a_server_address_without_its_scheme_is_refused_not_made_a_file(
    given: str, command: list[str], tmp_path: Path
) -> None:
    """``user:password@host:port/db`` with the scheme left out would be a relative path: a new,
    empty DuckDB file in odd folders, and the numbers of an empty store. It is a usage error."""
    proc = subprocess.run(
        [sys.executable, *command, "--db", given],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ | {"PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == ExitCode.USAGE, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "error: the database looks like a server address without its scheme: write "
        "postgresql+psycopg://USER:PASSWORD@HOST:PORT/DB (or ./NAME for a DuckDB file named so)"
    ]
    assert "s3cret" not in proc.stdout + proc.stderr
    assert list(tmp_path.iterdir()) == []


@on_postgres
def test_a_closed_port_exits_5_with_one_line(db: str, tmp_path: Path) -> None:
    url = make_url(db).set(port=closed_port())
    refused_everywhere(
        url.render_as_string(hide_password=False), "cannot be reached", (make_url(db).password or "",), tmp_path
    )


@on_postgres
def test_a_wrong_password_exits_5_with_one_line(db: str, tmp_path: Path) -> None:
    wrong = secrets.token_hex(8)
    url = make_url(db).set(password=wrong)
    real = make_url(db).password or ""
    refused_everywhere(url.render_as_string(hide_password=False), "password was refused", (wrong, real), tmp_path)


@on_postgres
def test_a_missing_database_exits_5_with_one_line(db: str, tmp_path: Path) -> None:
    url = make_url(db).set(database=f"findings_missing_{secrets.token_hex(4)}")
    refused_everywhere(url.render_as_string(hide_password=False), "does not exist", (url.password or "",), tmp_path)
    with admin() as conn:  # nothing created it on the way
        assert conn.execute("SELECT count(*) FROM pg_database WHERE datname = %s", [url.database]).fetchone() == (0,)


@on_postgres
def test_a_role_without_rights_exits_5_with_one_line(db: str, weak_role: tuple[str, str], tmp_path: Path) -> None:
    """A new database (owned by the administrator) that the role may not create tables in."""
    refused_everywhere(as_role(db, weak_role), "lacks a privilege", (weak_role[1],), tmp_path)


@on_postgres
def test_a_reader_role_reads_an_up_to_date_database_but_cannot_load(
    db: str, weak_role: tuple[str, str], tmp_path: Path
) -> None:
    """SELECT is all a reader needs: opening a migrated database creates nothing. Loading new files
    with that role is refused in one line; nothing is stored."""
    seed(db, tmp_path)
    with admin(make_url(db).database) as conn:
        conn.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {weak_role[0]}")
    reader = as_role(db, weak_role)
    mine = run("-m", "analytics", "summary", "--json", "--until", UNTIL, db=reader)
    theirs = run("-m", "analytics", "summary", "--json", "--until", UNTIL, db=db)
    assert mine.returncode == 0, mine.stderr
    assert {k: v for k, v in json.loads(mine.stdout).items() if k != "store"} == {
        k: v for k, v in json.loads(theirs.stdout).items() if k != "store"
    }
    new = tmp_path / "new"
    new.mkdir()
    doc = json.loads((SAMPLES / "ruff-1.sarif").read_text())
    doc["runs"][0]["results"][0]["message"]["text"] = "a result no file had before"
    (new / "ruff-new.sarif").write_text(json.dumps(doc))
    load = run("-m", "ingest", "sarif", str(new), "--project", "sample-shop", "--scanned-at", "2026-07-01", db=reader)
    assert load.returncode == 5, load.stderr
    assert load.stderr.count("\n") == 1 and "lacks a privilege" in load.stderr and weak_role[1] not in load.stderr
    assert rows(db, "SELECT count(*) FROM files") == [(16,)]


# --------------------------------------------------------------------------- the server goes away
@on_postgres
def test_the_inbox_keeps_its_files_while_the_server_is_away(db: str, tmp_path: Path) -> None:
    """A watcher whose server goes away says so once, leaves the files, and loads them once the
    server is back (``--once`` exits 5 meanwhile)."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    names = ["ruff-1.sarif", "ruff-2.sarif"]
    for name in names:
        shutil.copy(SAMPLES / name, inbox / name)
    away = make_url(db).set(port=closed_port()).render_as_string(hide_password=False)
    err = io.StringIO()
    watcher = Watcher(inbox.resolve(), Store(away), settle_s=0, out=io.StringIO(), err=err)
    assert watcher.poll() == [] and watcher.poll() == []
    assert watch(watcher, 0.05, True, threading.Event()) == ExitCode.UNAVAILABLE
    lines = err.getvalue().splitlines()
    assert len(lines) == 1 and "cannot be reached" in lines[0] and "stays in the inbox" in lines[0], lines
    assert sorted(p.name for p in inbox.iterdir()) == names
    watcher.store = Store(db)  # the server is back
    assert [o.report.status for o in watcher.poll()] == ["loaded", "loaded"]
    assert watcher.down is None
    assert sorted(p.name for p in (inbox / "archive").iterdir()) == names
    assert rows(db, "SELECT count(*) FROM files") == [(2,)]


def terminate_ingest(database: str) -> int:
    """End this database's ``findings`` sessions from an administrator's; how many were ended."""
    with admin(database) as conn:
        row = conn.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = 'findings' AND pid <> pg_backend_pid() AND datname = current_database()"
        ).fetchone()
    return int(row[0]) if row else 0


def stored_files(database: str) -> int:
    with admin(database) as conn:
        try:
            row = conn.execute("SELECT count(*) FROM files").fetchone()
        except psycopg.errors.UndefinedTable:
            return 0
    return int(row[0]) if row else 0


@on_postgres
def test_a_server_that_ends_the_ingest_midway(db: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    files = demo_files(tmp_path / "demo", "0.1")
    assert len(files) >= 300
    folder = tmp_path / "demo" / "sarif"
    name = make_url(db).database or ""
    env = {**os.environ, "FINDINGS_DB": db, "FINDINGS_BATCH_RESULTS": "300"}  # many write transactions
    with (tmp_path / "out").open("w+") as out_f, (tmp_path / "err").open("w+") as err_f:  # not pipes: never full
        ingest = subprocess.Popen(
            [sys.executable, "-m", "ingest", "sarif", str(folder)],
            cwd=ROOT,
            env=env,
            stdout=out_f,
            stderr=err_f,
            text=True,
        )
        while ingest.poll() is None and stored_files(name) == 0:  # some files in, then the server acts
            time.sleep(0.05)
        ended = 0
        while ingest.poll() is None:  # again and again: a session between two batches is not there yet
            ended += terminate_ingest(name)
            time.sleep(0.05)
        ingest.wait(timeout=60)
    out, err = (tmp_path / "out").read_text(), (tmp_path / "err").read_text()
    assert ended >= 1
    assert ingest.returncode == 5, (out[-2000:], err[-3000:])
    assert "Traceback" not in err and (make_url(db).password or "") not in err
    prefix = ": not loaded: PostgreSQL at "
    named = {line.split(prefix)[0] for line in err.splitlines() if prefix in line}
    assert all("connection to the server was lost" in line for line in err.splitlines() if prefix in line), err
    stored = {r[0] for r in rows(db, "SELECT path FROM files")}
    assert stored and named  # it stopped mid-way
    assert named == {str(p) for p in files} - stored  # the report names exactly the files not stored
    for problem, text in WHOLE_FILES.items():
        assert rows(db, text) == [], problem

    again = python("-m", "ingest", "sarif", str(folder), env={"FINDINGS_DB": db})
    out, err = again.communicate(timeout=600)
    assert again.returncode == 0, err[-3000:]
    assert f"{len(stored)} already loaded" in out
    fresh = str(new_database("postgresql", tmp_path, request))
    clean = python("-m", "ingest", "sarif", str(folder), env={"FINDINGS_DB": fresh})
    _, err = clean.communicate(timeout=600)
    assert clean.returncode == 0, err[-3000:]
    assert rows(db, "SELECT count(*) FROM dirty_streams") == [(0,)]
    assert snapshot(db) == snapshot(fresh)


# ----------------------------------------------------------------------------------------- upgrades
def old_store(tmp: Path) -> Path:
    path = tmp / "v3.duckdb"
    with gzip.open(OLD_STORE) as src, path.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    return path


LATEST = len(migrations_module.migrations())  # every migration applied: the version a store is upgraded to


def version_of(db: str | Path) -> int:
    with Store(db).read() as conn:
        return schema_version(conn)


def summary_and_export(db: str | Path) -> tuple[dict[str, object], str]:
    s = run("-m", "analytics", "summary", "--json", "--until", UNTIL, db=str(db))
    e = run("-m", "analytics", "export", "findings", "--until", UNTIL, "-o", "-", db=str(db))
    assert s.returncode == 0 and e.returncode == 0, (s.stderr, e.stderr)
    assert s.stderr == e.stderr == ""  # no warning either
    return json.loads(s.stdout), e.stdout


def same_as_before(summary: dict[str, object], export: str) -> None:
    """What the code before team mode printed for the same store (``tests/data/SOURCES.md``)."""
    before = json.loads(OLD_SUMMARY.read_text(encoding="utf-8"))
    stripped = _without_decisions(summary)
    assert isinstance(stripped, dict) and {k: stripped[k] for k in before} == before
    old = OLD_FINDINGS.read_text(encoding="utf-8")
    width = len(next(csv.reader(io.StringIO(old))))  # columns added since then are left out
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows(row[:width] for row in csv.reader(io.StringIO(export)))
    assert out.getvalue() == old


DECISION_COUNTS = ("accepted", "false_positive", "wont_fix")  # added to every "episodes" of the summary, all 0 here


def _without_decisions(value: object) -> object:
    if isinstance(value, dict):
        if "episodes" in value and isinstance(value["episodes"], dict):
            assert all(value["episodes"].pop(k) == 0 for k in DECISION_COUNTS)
        return {k: _without_decisions(v) for k, v in value.items()}
    return value


def test_a_duckdb_store_from_before_team_mode_is_upgraded_and_reads_the_same(tmp_path: Path) -> None:
    import duckdb

    db = old_store(tmp_path)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT max(version) FROM schema_migrations").fetchone() == (3,)
    summary, export = summary_and_export(db)
    assert summary["store"] == {"engine": "duckdb", "database": str(db), "schema_version": LATEST}
    assert version_of(db) == LATEST
    same_as_before(summary, export)
    again = run("-m", "ingest", "manifest", str(ROOT / "samples" / "manifest.csv"), db=str(db))
    assert again.returncode == 0 and "0 loaded, 16 already loaded" in again.stdout  # same file keys


@on_postgres
def test_a_postgres_database_at_version_3_is_upgraded_on_open(db: str, tmp_path: Path) -> None:
    seed(db, tmp_path)
    # Today's ingest writes columns that version 3 lacks, so the store is loaded at the latest
    # version and taken back to version 3: what each later migration added is removed.
    with admin(make_url(db).database) as conn:
        for name in INDEXES_OF_004:
            conn.execute(f"DROP INDEX {name}")
        conn.execute("DROP TABLE api_tokens")  # 005
        conn.execute("ALTER TABLE rules DROP COLUMN seen_at, DROP COLUMN seen_in")  # 006
        conn.execute("DROP TABLE codeowners")  # 007
        conn.execute("DROP TABLE decisions")  # 008
        conn.execute("DELETE FROM schema_migrations WHERE version > 3")
    assert as_admin(db, "SELECT max(version) FROM schema_migrations") == [(3,)]
    assert not INDEXES_OF_004 & indexes(db)
    summary, export = summary_and_export(db)  # a reader opens it first
    assert summary["store"] == {"engine": "postgresql", "database": Store(db).where, "schema_version": LATEST}
    assert indexes(db) >= INDEXES_OF_004
    same_as_before(summary, export)
    again = run("-m", "ingest", "manifest", str(ROOT / "samples" / "manifest.csv"), db=db)
    assert again.returncode == 0 and "0 loaded, 16 already loaded" in again.stdout
