"""The shape of ``ingest/devops/``: one module per job, the readers and the commit-set derivation
pure (no database code loaded by importing them), every SQL statement in ``load``, and one way to
import each name (the package re-exports nothing)."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "ingest" / "devops"
PURE = ("records", "git", "files", "commits")


def test_devops_is_a_package_of_one_module_per_job() -> None:
    assert not (ROOT / "ingest" / "devops.py").exists()
    assert sorted(p.stem for p in PACKAGE.glob("*.py")) == sorted(["__init__", *PURE, "load"])


def test_devops_readers_and_derivation_load_no_database_code() -> None:
    code = (
        "import json, sys; "
        + "; ".join(f"import ingest.devops.{m}" for m in PURE)
        + "; print(json.dumps(sorted(m for m in sys.modules "
        "if m.split('.')[0] in ('store', 'sqlalchemy', 'duckdb', 'pyarrow'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == []


def test_devops_sql_lives_in_load_only() -> None:
    sql = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE)\s+[\w*]|\bnative\(|\.execute\(")
    offenders = [
        f"{p.name}:{n}"
        for p in sorted(PACKAGE.glob("*.py"))
        if p.stem != "load"
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if sql.search(line)
    ]
    assert offenders == []
    assert sql.search((PACKAGE / "load.py").read_text(encoding="utf-8"))


def test_devops_package_reexports_nothing() -> None:
    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    assert [type(node).__name__ for node in tree.body] == ["Expr"]  # the docstring only
