"""The PostgreSQL side of the benchmark (bench.py's PostgreSQL column): the server, fresh
databases on it, and the demo's files split between parallel writers.

The server is $FINDINGS_BENCH_PG_URL when set (its user must be allowed to create databases),
else a throwaway one started with ``scripts/throwaway-pg`` (fsync on, as a real server has it)
and stopped at the end; without PostgreSQL's server binaries there is no PostgreSQL column.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
ENV_URL = "FINDINGS_BENCH_PG_URL"
THROWAWAY = ROOT / "scripts" / "throwaway-pg"
# The tables every ingest fills: equal counts say the parallel writers stored what one writer did.
COUNTED = ("files", "streams", "scans", "occurrences", "findings", "episodes")
SETTINGS = ("server_version", "shared_buffers", "work_mem", "fsync", "synchronous_commit", "max_wal_size")


@dataclass(frozen=True)
class Server:
    url: str  # a database on the server that may create others (SQLAlchemy URL, with password)
    origin: str  # how it came: a throwaway in DIR, or $FINDINGS_BENCH_PG_URL
    postmaster: int | None  # its main process, when it runs here (for its CPU time)


def _conninfo(url: str, database: str | None = None) -> str:
    u = make_url(url)
    return psycopg.conninfo.make_conninfo(
        host=u.host or "localhost",
        port=u.port or 5432,
        user=u.username or "postgres",
        password=u.password or "",
        dbname=database or u.database or "postgres",
    )


def _admin(server: Server) -> psycopg.Connection:
    return psycopg.connect(_conninfo(server.url), autocommit=True)


@contextmanager
def server(work: Path) -> Iterator[Server | str]:
    """The server to measure, or why there is none."""
    given = os.environ.get(ENV_URL, "").strip()
    if given:
        yield Server(given, f"${ENV_URL}", None)
        return
    where = work / "pg"
    started = subprocess.run(  # noqa: S603 (our own script)
        [str(THROWAWAY), "start", str(where)], capture_output=True, text=True, check=False
    )
    if started.returncode != 0:
        reason = (started.stderr.strip().splitlines() or ["no reason given"])[-1]
        yield f"no ${ENV_URL} and no throwaway server ({reason})"
        return
    try:
        pid = int((where / "data" / "postmaster.pid").read_text().split()[0])
        yield Server(started.stdout.strip(), "a throwaway server (scripts/throwaway-pg, fsync on)", pid)
    finally:
        subprocess.run([str(THROWAWAY), "stop", str(where)], check=False)  # noqa: S603


def settings(server: Server) -> dict[str, str]:
    with _admin(server) as conn:
        return {name: str(conn.execute(f"SHOW {name}").fetchone()[0]) for name in SETTINGS}  # type: ignore[index]


def fresh_database(server: Server, name: str) -> str:
    """An empty database ``name`` on the server (dropped first if it exists); its URL."""
    with _admin(server) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    return make_url(server.url).set(database=name).render_as_string(hide_password=False)


def drop_database(server: Server, name: str) -> None:
    with _admin(server) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def vacuum_analyze(url: str) -> None:
    """What autovacuum does minutes after a bulk load: statistics and the visibility map."""
    with psycopg.connect(_conninfo(url), autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")


def counts(url: str) -> dict[str, int]:
    with psycopg.connect(_conninfo(url)) as conn:
        return {t: int(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in COUNTED}  # type: ignore[index]


def cpu_seconds(pid: int | None) -> float | None:
    """CPU time of a server so far: the postmaster with its ended backends (collected into its
    children's times) and the ones still running."""
    if pid is None:
        return None
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        me, parent = int(stat.parent.name), int(fields[1])
        if me == pid:
            total += sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
        elif parent == pid:
            total += int(fields[11]) + int(fields[12])
    return total / tick


def split_by_project(sarif_root: Path, files: Sequence[Path], parts: int) -> list[list[Path]]:
    """The project folders (ORG/PROJECT, each the CI of one repository, its streams its own) in
    ``parts`` groups of about equal bytes: the largest project first, into the lightest group."""
    sizes: dict[Path, int] = {}
    for f in files:
        project = sarif_root.joinpath(*f.relative_to(sarif_root).parts[:2])
        sizes[project] = sizes.get(project, 0) + f.stat().st_size
    groups: list[tuple[int, list[Path]]] = [(0, []) for _ in range(parts)]
    for project in sorted(sizes, key=lambda p: (-sizes[p], str(p))):
        i = min(range(parts), key=lambda k: groups[k][0])
        total, members = groups[i]
        groups[i] = (total + sizes[project], [*members, project])
    return [sorted(members) for _, members in groups if members]
