"""Shared fixtures: fresh databases in tmp_path and small SARIF logs built from text."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from ingest.cli import main as ingest_main
from store.db import Store, query_rows

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "sarif-corpus"
DATA = Path(__file__).resolve().parent / "data"


def corpus_path(rel: str) -> Path:
    """A file of the SARIF corpus kept beside the checkout (tests/data/SOURCES.md); skips the test with a
    reason when the corpus is absent."""
    path = CORPUS / rel
    if not CORPUS.is_dir():
        pytest.skip(f"the SARIF corpus is not at {CORPUS} (tests/data/SOURCES.md); corpus tests need it")
    if not path.exists():
        pytest.fail(f"corpus file missing: {rel}")
    return path


def result(rule: str, path: str = "src/app.py", line: int = 1, **extra: Any) -> dict[str, Any]:
    """A SARIF result with a location and (unless overridden) a snippet-free message."""
    r: dict[str, Any] = {
        "ruleId": rule,
        "message": {"text": extra.pop("message", f"problem {rule}")},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": path}, "region": {"startLine": line}}}],
    }
    r.update(extra)
    return r


def sarif_log(results: Iterable[dict[str, Any]], tool: str = "demo-tool", **run_extra: Any) -> dict[str, Any]:
    run: dict[str, Any] = {"tool": {"driver": {"name": tool, "rules": []}}, "results": list(results)}
    run.update(run_extra)
    return {"version": "2.1.0", "$schema": "https://json.schemastore.org/sarif-2.1.0.json", "runs": [run]}


# ------------------------------------------------------------------------------------- engines
# Tests marked ``engines`` run once on the embedded DuckDB file and once on PostgreSQL (a fresh
# database on the server $FINDINGS_TEST_PG_URL names; without it the PostgreSQL runs skip, unless
# REQUIRE_POSTGRES=1, as in CI, where they fail).
PG_ENV = "FINDINGS_TEST_PG_URL"
ENGINES = ("duckdb", "postgresql")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.definition.get_closest_marker("engines") and "engine" in metafunc.fixturenames:
        metafunc.parametrize("engine", ENGINES, indirect=True, scope="module")


@pytest.fixture(scope="module")
def engine(request: pytest.FixtureRequest) -> str:
    """The engine of ``db``: "duckdb" unless the test is marked ``engines``."""
    name: str = getattr(request, "param", "duckdb")
    if name == "postgresql" and not os.environ.get(PG_ENV):
        why = f"PostgreSQL runs need {PG_ENV}=postgresql+psycopg://USER@HOST:PORT/DB (.ci/run starts a server)"
        if os.environ.get("REQUIRE_POSTGRES"):
            pytest.fail(why)
        pytest.skip(why)
    return name


def new_database(engine: str, tmp: Path, request: pytest.FixtureRequest) -> Path | str:
    """A fresh, empty store: a file path in ``tmp``, or the URL of a new PostgreSQL database
    (dropped when ``request``'s scope ends)."""
    if engine == "duckdb":
        return tmp / "findings.duckdb"
    from tests.pg import create_database, drop_database

    url = create_database(os.environ[PG_ENV])
    request.addfinalizer(lambda: drop_database(os.environ[PG_ENV], url))
    return url


@contextmanager
def scratch_database(engine: str, tmp: Path) -> Iterator[Path | str]:
    """A fresh, empty store for one Hypothesis example (function-scoped fixtures are shared by all
    examples): a new file in ``tmp``, or a PostgreSQL database dropped when the block ends."""
    if engine == "duckdb":
        yield tmp / "findings.duckdb"
        return
    from tests.pg import create_database, drop_database

    url = create_database(os.environ[PG_ENV])
    try:
        yield url
    finally:
        drop_database(os.environ[PG_ENV], url)


@pytest.fixture
def db(tmp_path: Path, engine: str, request: pytest.FixtureRequest) -> Path:
    """The test's store: a DuckDB file path, or (tests marked ``engines``) a PostgreSQL URL too."""
    return new_database(engine, tmp_path, request)  # type: ignore[return-value]


@pytest.fixture
def store(db: Path) -> Store:
    return Store(db)


@pytest.fixture
def write_sarif(tmp_path: Path) -> Callable[..., Path]:
    """Write a SARIF dict (or raw bytes/str) to tmp_path/name and return its path."""

    def write(name: str, content: dict[str, Any] | bytes | str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, dict):
            path.write_text(json.dumps(content), encoding="utf-8")
        elif isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)
        return path

    return write


@pytest.fixture
def run_ingest(db: Path, capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """Call ``python -m ingest`` in-process: returns (exit code, stdout, stderr)."""

    def run(*args: str | os.PathLike[str]) -> tuple[int, str, str]:
        argv = [str(a) for a in args]
        if "--db" not in argv:
            argv += ["--db", str(db)]
        code = ingest_main(argv)
        out, err = capsys.readouterr()
        return int(code), out, err

    return run


@pytest.fixture
def sql(store: Store) -> Callable[..., list[tuple[Any, ...]]]:
    """Run a read-only query against the test database."""

    def q(text: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        with store.read() as conn:
            return query_rows(conn, text, list(params))

    return q


def seed_samples_with_deployments(db: Path, tmp: Path) -> None:
    """The bundled sample history (ruff + bandit, 8 commits of sample-shop) plus a production
    deployment of each commit on its day (the 4th failed) and one incident caused by the 2nd."""
    import csv

    manifest = ROOT / "samples" / "manifest.csv"
    assert ingest_main(["manifest", str(manifest), "--db", str(db)]) == 0
    rows = list(csv.DictReader(manifest.open()))
    commits = sorted({(r["scanned_at"], r["commit"]) for r in rows})
    deps = tmp / "deployments.csv"
    with deps.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "project", "environment", "started_at", "finished_at", "status", "sha", "commits"])
        for i, (when, sha) in enumerate(commits, start=1):
            day = when[:10]
            status = "failure" if i == 4 else "success"
            w.writerow([f"d{i}", "sample-shop", "production", f"{day}T15:00:00Z", f"{day}T15:20:00Z", status, sha, sha])
    inc = tmp / "incidents.csv"
    day2 = commits[1][0][:10]
    inc.write_text(
        f"id,project,created_at,resolved_at,deployment_id\ni1,sample-shop,{day2}T18:00:00Z,{day2}T21:00:00Z,d2\n"
    )
    assert ingest_main(["deployments", str(deps), "--db", str(db)]) == 0
    assert ingest_main(["incidents", str(inc), "--db", str(db)]) == 0


DEMO_SCALE = "0.2"


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One small demo history (seed 1, scale 0.2: 4 projects, ~920 files), generated and loaded
    once per test run into a DuckDB file: {"out": its files, "db": the store, "report": the JSON
    report of ``python -m demo``}. Tests only read it."""
    import io

    from demo import cli as demo_cli

    root = tmp_path_factory.mktemp("demo")
    out, db = root / "files", root / "demo.duckdb"
    argv = ["--seed", "1", "--scale", DEMO_SCALE, "--out", str(out), "--db", str(db), "--json"]
    stdout, stderr = io.StringIO(), io.StringIO()
    code = demo_cli.run(demo_cli.build_parser().parse_args(argv), stdout, stderr)
    assert code == 0, stderr.getvalue()
    return {"out": out, "db": db, "report": json.loads(stdout.getvalue())}
