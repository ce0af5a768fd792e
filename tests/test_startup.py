"""A one-file upload starts light. On this project's VM ``import sqlalchemy`` takes ~0.3 s and
``import pandas`` ~0.3 s, against ~0.4 s for the whole of ``python -m ingest sarif`` of a small
file into a DuckDB store without them. Neither is needed there: the DuckDB file is opened with
DuckDB's own driver (``store.duck``), and pyarrow would import pandas only to ask whether values
are pandas objects (``ingest.no_pandas``). These tests check the causes; the time itself is
measured by ``bench/`` (docs/benchmark.md), not asserted here."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from store.db import Store, query_rows
from tests.conftest import ROOT

SAMPLE = ROOT / "samples" / "sarif" / "bandit-1.sarif"


def _imported(stderr: str) -> set[str]:
    """Module names from ``-X importtime`` lines (``import time: self | cumulative | name``)."""
    return {line.rsplit("|", 1)[1].strip() for line in stderr.splitlines() if line.startswith("import time:")}


def _run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "FINDINGS_DB"}
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=120)


def test_one_file_into_a_duckdb_file_imports_neither_sqlalchemy_nor_pandas(tmp_path: Path) -> None:
    db = tmp_path / "one.duckdb"
    for _ in range(2):  # a new store (migrations run), then an existing one
        proc = _run("-X", "importtime", "-m", "ingest", "sarif", str(SAMPLE), "--db", str(db), "--project", "p")
        assert proc.returncode == 0, proc.stderr[-2000:]
        imported = _imported(proc.stderr)
        assert "pyarrow" in imported and "duckdb" in imported  # the lines were read
        # a bare "pandas" line is the refused attempt (``ingest.no_pandas``); a real import brings its submodules
        assert not [m for m in imported if m.startswith(("sqlalchemy", "pandas."))]
    with Store(db).read() as conn:
        assert query_rows(conn, "SELECT count(*) FROM occurrences")[0][0] == 4


def test_pandas_still_works_after_an_ingest_kept_it_out(tmp_path: Path) -> None:
    """pyarrow is told pandas is absent, yet code that asks for pandas gets it, and pyarrow then
    recognises pandas objects again."""
    code = """
import sys
from ingest.no_pandas import keep_pandas_out
keep_pandas_out()
import pyarrow as pa
t = pa.table({"n": [1, None], "s": ["x", None]})
assert "pandas" not in sys.modules
df = t.to_pandas()
assert df.shape == (2, 2) and df["s"].iloc[0] == "x"
import pandas as pd
assert pa.array(pd.Series([1.5, None])).null_count == 1
assert pa.Table.from_pandas(pd.DataFrame({"a": [1, 2]})).num_rows == 2
print("ok")
"""
    proc = _run("-c", code)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-2000:]


def test_a_store_named_by_url_is_the_same_store_as_its_path(tmp_path: Path) -> None:
    """A path is opened without SQLAlchemy, a ``duckdb:///`` URL through its parser: one file."""
    db = tmp_path / "s.duckdb"
    assert _run("-m", "ingest", "sarif", str(SAMPLE), "--db", str(db), "--project", "p").returncode == 0
    by_url = Store(f"duckdb:///{db}")
    assert by_url.path == db and not by_url.is_server and by_url.url == Store(db).url
    with by_url.read() as conn:
        assert query_rows(conn, "SELECT count(*) FROM files")[0][0] == 1


def test_a_store_whose_folder_cannot_be_made_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    """The DuckDB file's folder is made on the first write; when it cannot be, the command says
    which folder and why (exit 2) instead of a traceback."""
    blocker = tmp_path / "afile"
    blocker.write_text("")
    for db, why in ((blocker / "x.duckdb", "it is not a folder"), (Path("/proc/nope/x.duckdb"), "No such file")):
        proc = _run("-m", "ingest", "sarif", str(SAMPLE), "--db", str(db), "--project", "p")
        assert proc.returncode == 2
        assert f"cannot create the folder {db.parent}: {why}" in proc.stderr and "Traceback" not in proc.stderr
