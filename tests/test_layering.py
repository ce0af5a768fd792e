"""The architecture's lines (STYLE.md): analytics never imports streamlit; the UI writes no SQL
and opens no connection; SARIF text is never rendered as HTML."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_importing_analytics_does_not_import_streamlit() -> None:
    code = (
        "import sys, analytics, analytics.cli, analytics.remediation, analytics.dora, analytics.exports, "
        "analytics.sprints, analytics.overview, analytics.tables, analytics.catalog; "
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('streamlit', 'altair'))))"
    )
    out = subprocess.run([sys.executable, "-c", "import json; " + code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == []


def test_ui_and_service_write_no_sql_and_open_no_connection() -> None:
    """The dashboard and the HTTP service ask ``analytics``, ``ingest`` and ``store`` for everything."""
    ui_files = [ROOT / "app.py", *sorted((ROOT / "app_pages").glob("*.py")), *sorted((ROOT / "service").glob("*.py"))]
    sql = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE)\s+[\w*]|\bduckdb\.connect|create_engine|query_df|native\(")
    offenders = [f"{p.name}:{n}" for p in ui_files for n, line in enumerate(p.read_text().splitlines(), 1)
                 if sql.search(line)]  # fmt: skip
    assert offenders == []


def test_no_html_rendering_of_data_in_the_ui() -> None:
    ui_files = [ROOT / "app.py", *sorted((ROOT / "app_pages").glob("*.py"))]
    text = "\n".join(p.read_text() for p in ui_files)
    assert "unsafe_allow_html" not in text
    assert "st.html(" not in text and "components.html" not in text


# ------------------------------------------------------------------------ import contracts
PACKAGES = ("core", "store", "ingest", "analytics", "demo", "app_pages", "service")


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """import-linter with the contracts of pyproject.toml, on the packages under ``root``."""
    tool = Path(sys.executable).parent / "lint-imports"
    return subprocess.run(
        [str(tool), "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        timeout=300,
    )


def _copy(tmp: Path) -> Path:
    """The packages and pyproject.toml, as they are, in a scratch folder."""
    import shutil

    for name in PACKAGES:
        shutil.copytree(ROOT / name, tmp / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp / "pyproject.toml")
    return tmp


def test_the_layers_hold_and_no_package_has_an_import_cycle() -> None:
    """core < store < ingest | analytics < demo < app_pages | service: nothing imports upward,
    ingest and analytics never import each other, nor the dashboard and the HTTP service, and the
    modules of a package import without cycles."""
    out = _lint_imports(ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Contracts: 2 kept, 0 broken." in out.stdout


def test_an_upward_import_breaks_the_contract(tmp_path: Path) -> None:
    """The contract tool is not a formality: a store module importing analytics fails it."""
    root = _copy(tmp_path)
    (root / "store" / "planted.py").write_text("import analytics.summary\n")
    out = _lint_imports(root)
    assert out.returncode != 0
    assert "store.planted -> analytics.summary" in out.stdout


def test_a_peer_import_and_a_cycle_break_the_contracts(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    (root / "analytics" / "planted.py").write_text("from ingest import models\n")
    (root / "ingest" / "cycle_a.py").write_text("from ingest import cycle_b\n")
    (root / "ingest" / "cycle_b.py").write_text("from ingest import cycle_a\n")
    out = _lint_imports(root)
    assert out.returncode != 0
    assert "analytics.planted -> ingest.models" in out.stdout
    assert "Contracts: 0 kept, 2 broken." in out.stdout


# ----------------------------------------------------------------------------- module sizes
MAX_LINES = 450
WHY = "Why one module:"


def test_modules_stay_small_or_say_why() -> None:
    """A newcomer reads a module in one sitting: none of the product's modules (nor the bench
    scripts) grows past ~450 lines unless its docstring says why it stays one module (tests and
    the demo's rule catalogue, which is data, are exempt)."""
    sources = [
        p
        for name in (*PACKAGES, "bench")
        for p in sorted((ROOT / name).rglob("*.py"))
        if "__pycache__" not in p.parts and p.name != "catalog.py"
    ] + [ROOT / "app.py", ROOT / "serve.py"]
    too_long = {
        str(p.relative_to(ROOT)): n
        for p in sources
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES and WHY not in p.read_text()
    }
    assert too_long == {}, f"split these, or say in their docstring '{WHY} …': {too_long}"
