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


def test_ui_writes_no_sql_and_opens_no_connection() -> None:
    ui_files = [ROOT / "app.py", *sorted((ROOT / "app_pages").glob("*.py"))]
    sql = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE)\s+[\w*]|\bduckdb\.connect|create_engine|query_df|native\(")
    offenders = [f"{p.name}:{n}" for p in ui_files for n, line in enumerate(p.read_text().splitlines(), 1)
                 if sql.search(line)]  # fmt: skip
    assert offenders == []


def test_no_html_rendering_of_data_in_the_ui() -> None:
    ui_files = [ROOT / "app.py", *sorted((ROOT / "app_pages").glob("*.py"))]
    text = "\n".join(p.read_text() for p in ui_files)
    assert "unsafe_allow_html" not in text
    assert "st.html(" not in text and "components.html" not in text
