"""The service as pipelines meet it: ``python -m service`` in a process of its own on loopback,
fed by ``python -m ingest push``.

- Pushing files stores what loading them with ``python -m ingest sarif`` stores (every table,
  apart from where and when each file was read).
- A body streamed without end is cut off at ``FINDINGS_MAX_FILE_BYTES``: the service stops
  reading, stores nothing and keeps serving.
- ``kill -9`` of the service during uploads, a restart, and the client's own retries: every
  file is loaded exactly once and the store is the one a sequential CLI load gives.
- No token appears in the service's log (its access log is on).
The corpus and demo files, 8 concurrent clients and many kill rounds: ``make stress``.
"""

from __future__ import annotations

import http.client
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ingest.cli import main as ingest_main
from store.db import Store, query_rows
from tests.api_support import ROOT, SAMPLES, Service, counts, make_tokens, snapshot

pytestmark = pytest.mark.engines


@pytest.fixture(scope="module")
def service(engine: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Any]:
    from tests.conftest import new_database

    folder = tmp_path_factory.mktemp("served")
    db = new_database(engine, folder, request)
    tokens = make_tokens(Store(db))
    env = {"FINDINGS_MAX_FILE_BYTES": str(4 << 20)}
    server = Service(db, folder / "service.log", env, log_level="info").start()
    yield server, tokens, db, folder
    server.stop()


def push(url: str, token: str, *args: str | Path, retries: int = 8) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FINDINGS_TOKEN": token}
    argv = [sys.executable, "-m", "ingest", "push", *map(str, args), "--url", url, "--retries", str(retries)]
    return subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def test_pushing_files_stores_what_loading_them_stores(service: Any, tmp_path: Path) -> None:
    server, tokens, db, _ = service
    meta = ["--project", "sample-shop", "--branch", "main", "--category", "ci"]
    pushed = push(server.url, tokens.upload, SAMPLES, *meta)
    assert pushed.returncode == 0, pushed.stderr
    assert "16 file(s): 16 loaded" in pushed.stdout
    again = push(server.url, tokens.upload, SAMPLES, *meta)
    assert again.returncode == 0 and "16 already loaded" in again.stdout
    cli_db = tmp_path / "cli.duckdb"
    assert ingest_main(["sarif", str(SAMPLES), *meta, "--db", str(cli_db)]) == 0
    mine, theirs = snapshot(Store(db)), snapshot(Store(cli_db))
    assert mine["scans"] and mine["episodes"]
    assert {t: rows for t, rows in mine.items() if t in theirs} == theirs
    refused = push(server.url, tokens.read, SAMPLES / "bandit-4.sarif", "--project", "acme/shop")
    assert refused.returncode == 2 and "403" in refused.stderr
    log = server.log.read_text()
    assert "POST /api/v1/scans" in log  # the access log is on, and never shows a token
    for token in (tokens.upload, tokens.read):
        assert token not in log and token.split("_", 2)[2] not in log


def test_a_body_without_end_is_cut_off_at_the_limit(service: Any) -> None:
    """A chunked body of up to 2 GB of JSON text against a 4 MB limit: the service answers 413
    (or, having answered, drops the connection) after a few MB, stores nothing, and goes on."""
    server, tokens, db, _ = service
    before = counts(Store(db))
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    conn.putrequest("POST", "/api/v1/scans?project=acme/huge")
    conn.putheader("Authorization", f"Bearer {tokens.upload}")
    conn.putheader("Content-Type", "application/sarif+json")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.endheaders()
    chunk = b'{"version": "2.1.0", "runs": [' + b" " * (1 << 20)
    sent = 0
    try:
        while sent < 2 * 1024**3:
            conn.send(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            sent += len(chunk)
    except OSError:
        pass  # the service stopped reading and closed the connection
    try:
        status = conn.getresponse().status
    except OSError:
        status = None
    assert status in (413, None)
    assert sent < 256 << 20, f"{sent:,} bytes were accepted"
    conn.close()
    assert counts(Store(db)) == before
    assert push(server.url, tokens.upload, SAMPLES / "bandit-3.sarif", "--project", "acme/shop").returncode == 0


def _demo_files(demo: dict[str, Any], n: int) -> list[Path]:
    files = sorted(p for p in demo["out"].rglob("*.sarif*") if p.is_file())
    return files[:: max(1, len(files) // n)][:n]


def test_kill_9_during_uploads_then_restart_and_retry_loads_every_file_once(
    engine: str, tmp_path: Path, demo: dict[str, Any], request: pytest.FixtureRequest
) -> None:
    from tests.conftest import new_database

    db = new_database(engine, tmp_path, request)
    tokens = make_tokens(Store(db))
    files = [*sorted(SAMPLES.glob("*.sarif")), *_demo_files(demo, 6)]
    server = Service(db, tmp_path / "service.log").start()
    assert server.proc is not None
    first_pid = server.proc.pid
    env = {**os.environ, "FINDINGS_TOKEN": tokens.upload}
    argv = [sys.executable, "-m", "ingest", "push", *map(str, files), "--url", server.url, "--project", "acme/shop"]
    client = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert client.stdout is not None
        for _ in range(5):  # a few files in, the next one in flight
            assert client.stdout.readline()
        server.kill9()
        time.sleep(1.0)
        server.start()
        out = client.stdout.read()  # to the end, past what readline() buffered
        err = client.stderr.read() if client.stderr else ""
        client.wait(timeout=600)
    finally:
        client.kill()
        server.stop()
    assert client.returncode == 0, err
    totals = re.search(r"(\d+) file\(s\): (\d+) loaded, (\d+) already loaded, (\d+) rejected", out)
    assert totals is not None, out
    n, loaded, already, rejected = map(int, totals.groups())
    # Only the file in flight at the kill can have been stored without its answer arriving.
    assert (n, loaded + already, rejected) == (len(files), len(files), 0) and already <= 1
    assert not list(Path(tempfile.gettempdir()).glob(f"findings-api-{first_pid}-*"))  # its spool, removed
    store = Store(db)
    assert counts(store)["files"] == len(files) and counts(store)["rejections"] == 0
    cli_db = tmp_path / "cli.duckdb"
    assert ingest_main(["sarif", *map(str, files), "--project", "acme/shop", "--db", str(cli_db)]) == 0
    mine, theirs = snapshot(store), snapshot(Store(cli_db))
    assert {t: rows for t, rows in mine.items() if t in theirs} == theirs


SLEEPER = """
import sys
from store.db import Store
from store import sql
with Store(sys.argv[1]).write() as conn:
    print("sleeping", flush=True)
    sql.execute(conn, "SELECT pg_sleep(600)")
"""


def test_a_killed_writer_s_statement_ends_on_the_server_soon_after(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """PostgreSQL runs a statement of a client killed with -9 to its end, holding its locks
    (a lifecycle recompute left running for minutes held a stream's lock while the restarted
    service waited); the store's connections ask the server to check the client every 2 s."""
    if engine != "postgresql":
        pytest.skip("a server-side statement outliving its client is PostgreSQL's")
    from tests.conftest import new_database

    sleeping = (
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        " AND lower(query) LIKE '%pg_sleep(600)%'"
    )
    db = str(new_database(engine, tmp_path, request))
    proc = subprocess.Popen([sys.executable, "-c", SLEEPER, db], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "sleeping"
    time.sleep(0.5)
    assert _count(db, sleeping) == 1
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 15
    while _count(db, sleeping) and time.monotonic() < deadline:  # a new transaction each time:
        time.sleep(0.5)  # pg_stat_activity is a snapshot per transaction
    assert _count(db, sleeping) == 0


def _count(db: str, query: str) -> int:
    with Store(db).read() as conn:
        return int(query_rows(conn, query)[0][0])
