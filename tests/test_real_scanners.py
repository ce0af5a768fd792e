"""A small history made by really running Ruff and Bandit on a code base that changes between scans.

The code base is one file, ``pkg/app.py``, scanned three times (one day apart):

* scan 1 (2026-01-01) — two findings: an ``assert`` (Ruff S101 / Bandit B101) in ``check_order``
  and an ``eval`` (Ruff S307 / Bandit B307) in ``compute``;
* scan 2 (2026-01-02) — 30 unrelated lines inserted at the top (every line number moves by 30) and
  a **new** ``eval`` in a new function ``evaluate_discount`` placed *above* ``compute``;
* scan 3 (2026-01-03) — the original ``eval`` in ``compute`` is fixed.

What the tools really emit (Ruff 0.17, Bandit 1.9, checked when this test was written):

* Ruff: absolute ``file:///…`` URIs, ``level: "error"`` on every result, no snippet, no
  fingerprints, no ``invocations``. ``# noqa`` makes Ruff omit the result (no SARIF suppression).
* Bandit (``-r .`` run inside the checkout): relative URIs (``pkg/app.py``), ``region.snippet``
  with the flagged source line plus a 3-line ``contextRegion``, no fingerprints, severity in
  ``properties.issue_severity``; ``level`` is omitted for MEDIUM results (``warning`` is the SARIF
  default, so its writer drops it). ``# nosec`` makes Bandit omit the result (only
  ``metrics.nosec`` counts it), again no SARIF suppression.

Expected, with ``--source-root`` for Ruff (docs/definitions.md §4: context read from the checkout at ingest time,
so each scan is ingested right after it ran, while the files are in that state):

* the ``assert`` keeps one finding id over scans 1–3, one episode, open;
* the original ``eval`` keeps its id over scans 1–2 and has one episode, fixed, closed at scan 3;
* the new ``eval`` opens at scan 2 and is still open.

Without ``--source-root`` Ruff's results have nothing but rule, path and message to go on, so the
fingerprint is ``computed:message``. Ruff's S307 message is the same for every ``eval``
("Use of possibly insecure function; consider using `ast.literal_eval`"), so the two ``eval``
findings of scan 2 are told apart only by their order in the file (the ``#2`` suffix of docs/definitions.md §4). Because
the new ``eval`` sits *above* the original one it takes over the original's identity, and the
original becomes the ``#2`` finding. The episode counts still look right (one fixed, one open),
but the attribution is wrong: the fixed episode is the ``#2`` one, opened at scan 2, so its time to
remediate is 1 day instead of 2, and the finding that is still open claims to have been open since
scan 1. The test asserts exactly that, to keep the limitation visible.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from store.db import Store, query_rows

SCAN_TIMES = ["2026-01-01T10:00:00Z", "2026-01-02T10:00:00Z", "2026-01-03T10:00:00Z"]
SCAN_DT = [datetime(2026, 1, d, 10, 0, 0) for d in (1, 2, 3)]
COMMITS = [f"{n:040x}" for n in (0xA1, 0xA2, 0xA3)]
REL = "pkg/app.py"

HEADER = '"""Tiny service used by the real-scanner test."""\n'
CHECK_ORDER = """

def check_order(order):
    assert order["qty"] > 0
    return order
"""
COMPUTE = """

def compute(expression):
    value = eval(expression)
    return value
"""
COMPUTE_FIXED = """

def compute(expression):
    value = float(expression)
    return value
"""
DISCOUNT = """

def evaluate_discount(rule_text):
    discount = eval(rule_text)
    return discount
"""
FILLER = "".join(f"SETTING_{i:02d} = {i}\n" for i in range(30))

VERSIONS = [
    HEADER + CHECK_ORDER + COMPUTE,
    FILLER + HEADER + CHECK_ORDER + DISCOUNT + COMPUTE,
    FILLER + HEADER + CHECK_ORDER + DISCOUNT + COMPUTE_FIXED,
]


def find_tool(name: str) -> str | None:
    """The executable beside the running interpreter (the venv), else on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which(name)


def run_tool(argv: list[str], cwd: Path, out: Path) -> dict[str, Any]:
    """Run a scanner that exits 1 when it finds something; return its SARIF."""
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode in (0, 1), f"{argv[0]} failed ({proc.returncode}): {proc.stderr[-2000:]}"
    if not out.exists():  # ruff writes to stdout
        out.write_text(proc.stdout, encoding="utf-8")
    return json.loads(out.read_text(encoding="utf-8"))


def ruff_scan(ruff: str, code: Path, out: Path) -> dict[str, Any]:
    argv = [ruff, "check", "--no-cache", "--isolated", "--select", "S,F,E", "--output-format", "sarif", "."]
    return run_tool(argv, code, out)


def bandit_scan(bandit: str, code: Path, out: Path) -> dict[str, Any]:
    return run_tool([bandit, "-q", "-f", "sarif", "-o", str(out), "-r", "."], code, out)


def write_version(code: Path, n: int) -> None:
    target = code / REL
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(VERSIONS[n], encoding="utf-8")


def line_of(n: int, needle: str) -> int:
    return next(i for i, text in enumerate(VERSIONS[n].splitlines(), start=1) if needle in text)


def ingest_args(sarif: Path, n: int, db: Path, *extra: str | os.PathLike[str]) -> list[str | os.PathLike[str]]:
    return [
        "sarif",
        sarif,
        "--db",
        db,
        "--project",
        "tiny",
        "--branch",
        "main",
        "--commit",
        COMMITS[n],
        "--scanned-at",
        SCAN_TIMES[n],
        *extra,
    ]


def rule_rows(query: Callable[..., list[tuple[Any, ...]]], tool: str) -> dict[tuple[str, int], tuple[Any, ...]]:
    """(rule, scan number) → (finding_id, path, start_line, fingerprint_source, tool_severity, snippet, uri)."""
    rows = query(
        """
        SELECT o.rule_id, s.scanned_at, o.finding_id, o.path, o.start_line, o.fingerprint_source,
               o.tool_severity, o.snippet, o.uri
        FROM occurrences o JOIN scans s USING (scan_id)
        WHERE s.tool = ? ORDER BY s.scanned_at, o.start_line
        """,
        [tool],
    )
    out: dict[tuple[str, int], tuple[Any, ...]] = {}
    for rule, at, *rest in rows:
        key = (rule, SCAN_DT.index(at) + 1)
        n = 2
        while key in out:  # second result of the same rule in one scan
            key = (f"{rule}#{n}", SCAN_DT.index(at) + 1)
            n += 1
        out[key] = tuple(rest)
    return out


def episodes_of(query: Callable[..., list[tuple[Any, ...]]], finding: str) -> list[tuple[Any, ...]]:
    return query("SELECT seq, opened_at, closed_at, status FROM episodes WHERE finding_id = ? ORDER BY seq", [finding])


@pytest.fixture
def ruff_exe() -> str:
    exe = find_tool("ruff")
    if exe is None:
        pytest.skip("ruff executable not found beside the interpreter or on PATH")
    return exe


@pytest.fixture
def bandit_exe() -> str:
    exe = find_tool("bandit")
    if exe is None:
        pytest.skip("bandit executable not found beside the interpreter or on PATH")
    return exe


def test_ruff_history_keeps_identity_with_source_root(
    tmp_path: Path,
    ruff_exe: str,
    db: Path,
    run_ingest: Callable[..., tuple[int, str, str]],
    sql: Callable[..., list[tuple[Any, ...]]],
) -> None:
    code = tmp_path / "code"
    bare_db = tmp_path / "without-source-root.duckdb"
    for n in range(3):
        write_version(code, n)
        out = tmp_path / f"ruff-{n + 1}.sarif"
        doc = ruff_scan(ruff_exe, code, out)
        run = doc["runs"][0]
        # what Ruff really emits
        assert run["tool"]["driver"]["name"] == "ruff"
        assert all(r["level"] == "error" for r in run["results"])
        for r in run["results"]:
            loc = r["locations"][0]["physicalLocation"]
            assert loc["artifactLocation"]["uri"].startswith("file:///")
            assert "snippet" not in loc.get("region", {})
            assert "fingerprints" not in r and "partialFingerprints" not in r
        # ingest right away: --source-root reads the checkout as it is now
        code_, _, err = run_ingest(*ingest_args(out, n, db, "--source-root", code))
        assert code_ == 0, err
        code_, _, err = run_ingest(*ingest_args(out, n, bare_db))
        assert code_ == 0, err

    rows = rule_rows(sql, "ruff")
    assert sorted(rows) == sorted(
        [("S101", 1), ("S307", 1), ("S101", 2), ("S307", 2), ("S307#2", 2), ("S101", 3), ("S307", 3)]
    )
    # repository-relative paths, real line numbers, context from the checkout
    for (rule, scan), (_, path, _line, source, *_rest) in rows.items():
        assert path == REL, (rule, scan, path)
        assert source == "computed:source"
    assert rows[("S101", 1)][2] == line_of(0, "assert") == 5
    assert rows[("S101", 2)][2] == line_of(1, "assert") == 35

    assert_lifecycle(sql, rows, tool="ruff")

    # ---- the same scans without --source-root --------------------------------------------
    bare_store = Store(bare_db)

    def bare(text: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        with bare_store.read() as conn:
            return query_rows(conn, text, params or [])

    b = rule_rows(bare, "ruff")
    assert {source for _, _, _, source, *_ in b.values()} == {"computed:message"}
    # nothing tells ingest where the checkout was: Ruff's absolute paths stay absolute
    assert {path for _, path, *_ in b.values()} == {str((code / REL).resolve())}
    # the assert is alone of its rule: identity survives the shift even on the message alone
    assert b[("S101", 1)][0] == b[("S101", 2)][0] == b[("S101", 3)][0]
    # scan 2: the new eval is first in the file, so it inherits the original's id
    first_eval_2, second_eval_2 = b[("S307", 2)], b[("S307#2", 2)]
    assert first_eval_2[2] == line_of(1, "discount = eval")
    assert second_eval_2[2] == line_of(1, "value = eval")
    assert first_eval_2[0] == b[("S307", 1)][0]  # wrong attribution: new eval, old id
    assert b[("S307", 3)][0] == b[("S307", 1)][0]  # the survivor claims scan 1's identity
    fixed = bare("SELECT opened_at, closed_at FROM episodes WHERE status = 'fixed'")
    assert fixed == [(SCAN_DT[1], SCAN_DT[2])]  # 1 day to remediate, really 2
    still_open = episodes_of(bare, b[("S307", 3)][0])
    assert still_open == [(1, SCAN_DT[0], None, "open")]  # really opened at scan 2


def assert_lifecycle(
    query: Callable[..., list[tuple[Any, ...]]], rows: dict[tuple[str, int], tuple[Any, ...]], tool: str
) -> None:
    """The expected history (module docstring) for rule keys of either tool."""
    assert_rule, eval_rule = ("S101", "S307") if tool == "ruff" else ("B101", "B307")
    ident = {key: value[0] for key, value in rows.items()}
    # scan 2 has two evals ordered by line: the new one (evaluate_discount) comes first
    new_eval_2, old_eval_2 = ident[(eval_rule, 2)], ident[(f"{eval_rule}#2", 2)]

    # the assert: shifted by 30 lines, same finding throughout, one open episode
    assert ident[(assert_rule, 1)] == ident[(assert_rule, 2)] == ident[(assert_rule, 3)]
    assert episodes_of(query, ident[(assert_rule, 1)]) == [(1, SCAN_DT[0], None, "open")]

    # the original eval: shifted, kept its id, then fixed at scan 3
    assert old_eval_2 == ident[(eval_rule, 1)]
    assert episodes_of(query, old_eval_2) == [(1, SCAN_DT[0], SCAN_DT[2], "fixed")]

    # the new eval: opened at scan 2, still there at scan 3
    assert new_eval_2 not in (ident[(eval_rule, 1)], ident[(assert_rule, 1)])
    assert ident[(eval_rule, 3)] == new_eval_2
    assert episodes_of(query, new_eval_2) == [(1, SCAN_DT[1], None, "open")]

    status = dict(query("SELECT finding_id, status FROM findings WHERE tool = ?", [tool]))
    assert status == {ident[(assert_rule, 1)]: "open", old_eval_2: "fixed", new_eval_2: "open"}


def test_bandit_history_keeps_identity_from_snippets(
    tmp_path: Path,
    bandit_exe: str,
    run_ingest: Callable[..., tuple[int, str, str]],
    db: Path,
    sql: Callable[..., list[tuple[Any, ...]]],
) -> None:
    code = tmp_path / "code"
    for n in range(3):
        write_version(code, n)
        out = tmp_path / f"bandit-{n + 1}.sarif"
        doc = bandit_scan(bandit_exe, code, out)
        run = doc["runs"][0]
        assert run["tool"]["driver"]["name"] == "Bandit"
        for r in run["results"]:
            loc = r["locations"][0]["physicalLocation"]
            assert loc["artifactLocation"]["uri"] == REL  # relative when run as `-r .`
            assert loc["region"]["snippet"]["text"].strip()  # the flagged line
            assert "fingerprints" not in r and "partialFingerprints" not in r
            assert r["properties"]["issue_severity"] in ("LOW", "MEDIUM", "HIGH")
        # no --source-root: Bandit's snippets are enough
        code_, _, err = run_ingest(*ingest_args(out, n, db))
        assert code_ == 0, err

    rows = rule_rows(sql, "bandit")
    assert sorted(rows) == sorted(
        [("B101", 1), ("B307", 1), ("B101", 2), ("B307", 2), ("B307#2", 2), ("B101", 3), ("B307", 3)]
    )
    for (rule, scan), (_, path, _line, source, word, snippet, _uri) in rows.items():
        assert path == REL, (rule, scan, path)
        assert source == "computed:snippet"
        assert snippet and ("assert" in snippet or "eval(" in snippet)
        assert word == {"B101": "LOW", "B307": "MEDIUM"}[rule.split("#")[0]]
    severities = dict(sql("SELECT DISTINCT rule_id, severity FROM occurrences WHERE rule_id LIKE 'B%'"))
    assert severities == {"B101": "low", "B307": "medium"}
    levels = dict(sql("SELECT DISTINCT rule_id, level FROM occurrences WHERE rule_id LIKE 'B%'"))
    assert levels == {"B101": "note", "B307": "warning"}  # B307's level is absent: SARIF default
    assert rows[("B101", 2)][2] == rows[("B101", 1)][2] + 30

    assert_lifecycle(sql, rows, tool="bandit")


def test_nosec_and_noqa_drop_the_result_instead_of_suppressing_it(
    tmp_path: Path, ruff_exe: str, bandit_exe: str
) -> None:
    """Neither tool writes SARIF ``suppressions``: an inline waiver simply removes the result."""
    code = tmp_path / "code"
    code.mkdir()
    (code / "w.py").write_text(
        "def a(x):\n    return eval(x)  # noqa: S307\n\n\ndef b(x):\n    return eval(x)  # nosec B307\n",
        encoding="utf-8",
    )
    ruff = ruff_scan(ruff_exe, code, tmp_path / "r.sarif")["runs"][0]["results"]
    bandit_run = bandit_scan(bandit_exe, code, tmp_path / "b.sarif")["runs"][0]
    assert [(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in ruff] == [
        ("S307", 6)  # ruff honours its own noqa, not bandit's nosec
    ]
    assert [r["ruleId"] for r in bandit_run["results"]] == ["B307"]  # bandit honours nosec, not noqa
    assert bandit_run["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 2
    # a test-specific `# nosec B307` is counted as a skipped test (a bare `# nosec` as "nosec")
    assert bandit_run["properties"]["metrics"]["_totals"]["skipped_tests"] == 1
    assert not any("suppressions" in r for r in [*ruff, *bandit_run["results"]])


@pytest.mark.parametrize("form", ["dot", "relative", "symlink"])
def test_source_root_given_relative_or_through_a_symlink(
    form: str,
    tmp_path: Path,
    ruff_exe: str,
    db: Path,
    run_ingest: Callable[..., tuple[int, str, str]],
    sql: Callable[..., list[tuple[Any, ...]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code = tmp_path / "code"
    write_version(code, 0)
    out = tmp_path / "ruff.sarif"
    ruff_scan(ruff_exe, code, out)  # Ruff writes the real (resolved) path of the checkout
    if form == "dot":
        monkeypatch.chdir(code)
        root = "."
    elif form == "relative":
        monkeypatch.chdir(tmp_path)
        root = "code"
    else:
        (tmp_path / "link").symlink_to(code, target_is_directory=True)
        root = str(tmp_path / "link")
    code_, _, err = run_ingest(*ingest_args(out, 0, db, "--source-root", root))
    assert code_ == 0, err
    assert sql("SELECT DISTINCT fingerprint_source FROM occurrences") == [("computed:source",)]
    assert sql("SELECT DISTINCT path FROM occurrences") == [(REL,)]
