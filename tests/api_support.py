"""Helpers for the HTTP API's tests: the app on a test store with tokens of each kind, the real
service in a process of its own, and a store's contents read table by table for comparisons."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from service.app import create_app
from service.auth import create_token
from service.context import Context
from store.db import Store, query_rows

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples" / "sarif"

# What differs between two loads of the same files by nature: where the file was read from and
# when it was loaded, when a token was made, when the schema was migrated.
VOLATILE = {
    "files": ("path", "loaded_at"),
    "rejections": ("path", "rejected_at"),
    "devops_sources": ("path", "loaded_at"),
    "schema_migrations": ("applied_at",),
}
SKIPPED_TABLES = {"api_tokens"}
TABLES_SQL = (
    "SELECT table_name FROM information_schema.tables WHERE table_schema IN ('main', 'public') "
    "AND table_type = 'BASE TABLE' ORDER BY table_name"
)
COLUMNS_SQL = "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position"


@dataclass(frozen=True)
class Tokens:
    """One token per kind of caller."""

    both: str  # upload and read, every project
    upload: str  # upload only, every project
    read: str  # read only, every project
    acme_upload: str  # upload, projects acme/*
    acme_read: str  # read, projects acme/*


def make_tokens(store: Store) -> Tokens:
    store.ensure()
    return Tokens(
        both=create_token(store, "both", ["upload", "read"], ["*"])[0],
        upload=create_token(store, "upload", ["upload"], ["*"])[0],
        read=create_token(store, "read", ["read"], ["*"])[0],
        acme_upload=create_token(store, "acme-upload", ["upload"], ["acme/*"])[0],
        acme_read=create_token(store, "acme-read", ["read"], ["acme/*"])[0],
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def api(db: Path | str) -> tuple[Any, Tokens, Store]:
    """The app on ``db`` (a fresh store) with a token of each kind; its client raises no
    server exceptions into the test (a 5xx is an answer the test can see)."""
    from fastapi.testclient import TestClient  # imported when used: bench/stress_api.py needs no test client

    store = Store(db)
    tokens = make_tokens(store)
    client = TestClient(create_app(Context(store)), raise_server_exceptions=False)
    return client, tokens, store


def snapshot(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows (sorted), without the columns that differ by nature (``VOLATILE``)."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with store.read() as conn:
        for (table,) in query_rows(conn, TABLES_SQL):
            if table in SKIPPED_TABLES:
                continue
            columns = [c for (c,) in query_rows(conn, COLUMNS_SQL, [table]) if c not in VOLATILE.get(table, ())]
            quoted = ", ".join(f'"{c}"' for c in columns)
            rows = query_rows(conn, f'SELECT {quoted} FROM "{table}"')
            out[table] = sorted((tuple(_plain(v) for v in r) for r in rows), key=repr)
    return out


def _plain(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def counts(store: Store) -> dict[str, int]:
    """Rows of the tables a stored upload would add to, and of the rejections."""
    names = ("files", "scans", "occurrences", "rejections", "deployments", "incidents", "devops_sources")
    with store.read() as conn:
        return {n: int(query_rows(conn, f"SELECT count(*) FROM {n}")[0][0]) for n in names}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Service:
    """``python -m service`` in a process of its own, on a free port of 127.0.0.1."""

    def __init__(
        self,
        db: Path | str,
        log: Path,
        env: dict[str, str] | None = None,
        port: int | None = None,
        log_level: str = "warning",
    ):
        self.db = db
        self.log_level = log_level
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 90.0) -> Service:
        args = [sys.executable, "-m", "service", "--db", str(self.db), "--port", str(self.port)]
        args += ["--log-level", self.log_level]
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the service exited with {self.proc.returncode}: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/api/v1/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the service did not answer within {timeout_s} s")

    def kill9(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill9()
