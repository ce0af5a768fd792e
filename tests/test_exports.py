"""CSV exports (docs/definitions.md §9): byte-exact golden files, the formula-injection guard, every kind on the
corpus. Regenerate the golden files after an intended change with ``UPDATE_GOLDEN=1 pytest``."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest

from analytics.cli import main as analytics_main
from analytics.csvout import cell, neutralise, to_csv
from analytics.exports import KINDS
from ingest.cli import main as ingest_main
from tests.conftest import CORPUS, new_database, result, sarif_log

pytestmark = pytest.mark.engines

GOLDEN = Path(__file__).parent / "golden"
NASTY = [
    ("R-eq", '=HYPERLINK("http://evil.example","click")', None),
    ("R-plus", "+cmd|' /C calc'!A0", 7),
    ("R-minus", "-2+3 is not a number here", 8),
    ("R-at", "@SUM(A1:A9)", 9),
    ("R-quote", 'He said "hi", then left, twice', 10),
    ("R-uni", "Ünïcödé ✓ 日本語 — naïve café", 11),
    ("R-tab", "\tstarts with a tab", 12),
]


def _results() -> list[dict[str, Any]]:
    out = []
    for rule, message, line in NASTY:
        r = result(rule, "src/ä, b.py" if rule == "R-uni" else "src/app.py", line or 1, message=message)
        if line is None:
            del r["locations"][0]["physicalLocation"]["region"]
        if rule == "R-eq":
            r["properties"] = {"security-severity": "9.8", "cwe": ["CWE-1236"]}
        r["locations"][0]["physicalLocation"].setdefault("region", {})
        out.append(r)
    return out


@pytest.fixture(scope="module")
def nasty_db(tmp_path_factory: pytest.TempPathFactory, engine: str, request: pytest.FixtureRequest) -> Path | str:
    """Two scans of project 'acme/shop': all seven on 2026-01-05, R-minus fixed on 2026-01-12."""
    tmp = tmp_path_factory.mktemp("nasty")
    db = new_database(engine, tmp, request)
    results = _results()
    for i, (when, rs) in enumerate(
        [("2026-01-05T09:00:00Z", results), ("2026-01-12T09:00:00Z", [r for r in results if r["ruleId"] != "R-minus"])]
    ):
        p = tmp / f"s{i}.sarif"
        p.write_text(json.dumps(sarif_log(rs, tool='Demo, "Scanner"')), encoding="utf-8")
        assert ingest_main(["sarif", str(p), "--db", str(db), "--project", "acme/shop", "--scanned-at", when]) == 0
    return db


def _export(db: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> bytes:
    code = analytics_main(["export", *args, "--db", str(db), "--until", "2026-01-31", "-o", "-"])
    out = capsys.readouterr().out
    assert code == 0
    return out.encode("utf-8")


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("findings", ["findings"]),
        ("episodes", ["episodes"]),
        ("mttr", ["mttr", "--by", "tool,severity"]),
        ("mttr-weekly", ["mttr", "--period", "week"]),
        ("sprint-report", ["sprint-report", "--since", "2026-01-05"]),
    ],
)
def test_golden_csv(name: str, args: list[str], nasty_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    got = _export(nasty_db, *args, capsys=capsys)
    golden = GOLDEN / f"{name}.csv"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_bytes(got)
    assert got == golden.read_bytes()


def test_no_cell_would_run_as_a_formula(nasty_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every text cell of the findings export that a spreadsheet could evaluate is prefixed with '."""
    text = _export(nasty_db, "findings", capsys=capsys).decode()
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], rows[1:]
    messages = [r[header.index("message")] for r in body]
    assert sorted(messages) == sorted(neutralise(m) for _, m, _ in NASTY)
    for row in body:
        for value in row:
            assert not value.startswith(("=", "+", "@", "\t", "\r")), value
            if value.startswith("-"):  # only a plain negative number may start with '-'
                float(value)
    assert "'=HYPERLINK(" in text and "'+cmd" in text and "'-2+3" in text and "'@SUM" in text


def test_cells() -> None:
    assert cell(None) == "" and cell(float("nan")) == "" and cell(True) == "true"
    assert cell(-3) == "-3" and cell(2.5) == "2.5" and cell(1 / 3) == "0.333333" and cell(4.0) == "4"
    assert cell("=1+1") == "'=1+1" and cell(["CWE-79", "CWE-89"]) == "CWE-79;CWE-89"
    import pandas as pd

    assert cell(pd.Timestamp("2026-01-02 03:04:05")) == "2026-01-02T03:04:05Z"
    assert to_csv(pd.DataFrame({"a": [1, None], "b": ["x,y", '"q"']})) == 'a,b\r\n1,"x,y"\r\n,"""q"""\r\n'


def test_output_file_and_stdout_agree(nasty_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "f.csv"
    assert analytics_main(["export", "findings", "--db", str(nasty_db), "--until", "2026-01-31", "-o", str(out)]) == 0
    capsys.readouterr()
    assert out.read_bytes() == _export(nasty_db, "findings", capsys=capsys)


def test_unknown_grouping_is_a_usage_error(nasty_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = analytics_main(["export", "mttr", "--by", "colour", "--db", str(nasty_db), "-o", "-"])
    assert code == 2 and "cannot group by 'colour'" in capsys.readouterr().err


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the SARIF corpus is not at {CORPUS} (tests/data/SOURCES.md)")
def test_every_kind_runs_on_the_whole_corpus(db: Path | str, capsys: pytest.CaptureFixture[str]) -> None:
    files = [str(p) for p in sorted(CORPUS.rglob("*")) if p.is_file() and p.name not in ("MANIFEST.csv", "README.md")]
    ingest_main(["sarif", *files, "--db", str(db), "--project", "corpus", "--scanned-at", "2026-01-01T00:00:00Z"])
    capsys.readouterr()
    for kind in KINDS:
        for extra in ([], ["--by", "tool"], ["--period", "month"]):
            if kind in ("findings", "episodes", "aging", "sprint-report") and extra and extra[0] == "--period":
                continue
            code = analytics_main(["export", kind, "--db", str(db), *extra, "-o", "-"])
            out = capsys.readouterr().out
            assert code == 0, (kind, extra)
            assert out.splitlines()[0], (kind, extra)
            if kind in ("findings", "episodes"):
                assert len(out.splitlines()) > 1000, kind


def test_summary_json_has_sla_and_dora(nasty_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The summary keeps the keys it had before any metric existed and adds "sla" and "dora"."""
    assert analytics_main(["summary", "--db", str(nasty_db), "--until", "2026-01-31", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"files", "scans", "occurrences", "findings", "episodes", "mttr_mean_days", "mttr_median_days",
            "per_tool", "sla", "dora"} <= set(data)  # fmt: skip
    # R-minus fixed after 7 days (medium, SLA 90) → compliance 1.0; R-eq (critical, due 01-12) overdue
    assert data["sla"] == {"compliance": 1.0, "overdue_open": 1}
    assert data["dora"] == {}  # no deployments in this store
    assert data["episodes"] == {"open": 6, "fixed": 1, "suppressed": 0, "reopened": 0, "accepted": 0,
                                "false_positive": 0, "wont_fix": 0}  # fmt: skip
    filtered = analytics_main(["summary", "--db", str(nasty_db), "--rule", "R-eq", "--json"])
    assert filtered == 0 and json.loads(capsys.readouterr().out)["findings"] == 1


def to_csv_cellwise(df: Any) -> str:
    """The reference writer: every value through ``csvout.cell``. ``to_csv`` must give the same bytes."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(str(c)) for c in df.columns])
    for row in df.itertuples(index=False, name=None):
        writer.writerow([cell(v) for v in row])
    return out.getvalue()


@pytest.mark.parametrize("kind", list(KINDS))
def test_columnwise_csv_equals_the_cellwise_reference(kind: str, nasty_db: Path) -> None:
    """The fast writer gives the same bytes as formatting every value with ``cell``."""
    from analytics.exports import Request, export
    from analytics.filters import Filters
    from store.db import Store

    df = export(Store(nasty_db), kind, Request(Filters(), ("severity",) if kind in ("mttr", "sla") else (), None))
    assert to_csv(df) == to_csv_cellwise(df)


def test_columnwise_csv_edge_values() -> None:
    import numpy as np
    import pandas as pd

    df = pd.DataFrame(
        {
            "f": [1.0, -2.5, 1 / 3, np.nan, float("inf"), -0.0000001, 1e20, 123456.1234567],
            "i": pd.array([1, None, -3, 0, 5, 6, 7, 8], dtype="Int64"),
            "s": ["=1", None, "+x", "-y", "@z", "\tt", 'plain, "quoted"', "ü"],
            "b": [True, False, None, True, False, True, False, True],
            "t": pd.to_datetime(["2026-01-02 03:04:05.9", None, "2026-12-31 00:00:00.0", None, None, None, None, None]),
            "l": [["CWE-1", "CWE-2"], [], None, ["=x"], None, None, None, None],
        }
    )
    assert to_csv(df) == to_csv_cellwise(df)


def test_readme_lists_each_exports_columns_in_order(nasty_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """docs/definitions.md §9: a stable column order, documented in the README — the table there must match what
    every kind of export writes (with its default grouping and period)."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    documented = {}
    for line in readme.splitlines():
        if line.startswith("| `") and line.count("|") == 3:
            kind, columns = (part.strip() for part in line.strip("|").split("|"))
            documented[kind.strip("`")] = [c.strip().split(" ")[0] for c in columns.split(",")]
    assert set(KINDS) <= set(documented), set(KINDS) - set(documented)
    for kind in KINDS:
        header = next(csv.reader(io.StringIO(_export(nasty_db, kind, capsys=capsys).decode())))
        assert header == documented[kind], kind
