"""Hostile input (docs/hardening.md) beyond ``tests/test_bad_input.py``: each case is a small file made by
the test and ingested together with a good file in one ``python -m ingest sarif`` call. Each ends in
a clear one-line reason or a safe load — never a traceback, never part of a file in the database, and
the good file of the same command still loads.

Decisions the cases pin down:
- Numbers, nulls and other wrong types where SARIF wants a string or an object are treated as absent
  (the result is kept); a top-level shape that is not SARIF is rejected (test_bad_input).
- Duplicate keys: the last one wins (as in JavaScript and Python's ``json``).
- Control and bidi characters in URIs, messages and rule ids are stored exactly as given (they are
  evidence, and fingerprints depend on them); output layers neutralise them. Whatever the CLI prints
  stays on one line and carries no raw control or bidi character.
- Out-of-range numbers (lines beyond INTEGER, negative lines/columns) are stored as NULL;
  a ``security-severity`` that is not a finite 0–10 number is ignored and the level decides.

The cases are data (``REJECTED``, ``LOADED``) so that ``bench/stress.py`` runs them too.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import resource
import shutil
import subprocess
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import ingest.reader as reader
from ingest.cli import main as ingest_main
from store.db import Store, query_rows
from tests.conftest import ROOT, result, sarif_log
from tests.test_bad_input import (
    GOOD_RESULTS,
    META,
    assert_loaded,
    assert_no_traceback,
    assert_rejected_beside_good,
    file_rows,
    good_log,
    total_occurrences,
)

Ingest = Callable[..., tuple[int, str, str]]
Sql = Callable[..., list[tuple[Any, ...]]]
Write = Callable[..., Path]
Doc = dict[str, Any]

# Characters that must never reach a terminal raw from our output (ESC, CR, NUL, BEL, bidi overrides).
UNSAFE_OUTPUT_CHARS = ("\x1b", "\r", "\x00", "\x07", "\u202e", "\u202d", "\u2066", "\u2067", "\u2068", "\u2069")


def _hostile_log() -> Doc:
    """The good log, but under another tool so that its stream differs from the good file's."""
    return sarif_log([result("R1"), result("R2", line=7), result("R3", path="src/other.py")], tool="hostile-tool")


def mutated(change: Callable[[Doc], Any]) -> Callable[[], bytes]:
    def build() -> bytes:
        doc = _hostile_log()
        change(doc)
        return json.dumps(doc, allow_nan=False).encode()

    return build


def _run(doc: Doc) -> Doc:
    return doc["runs"][0]


def _res(doc: Doc, i: int = 0) -> Doc:
    return doc["runs"][0]["results"][i]


def _loc(doc: Doc, i: int = 0) -> Doc:
    return _res(doc, i)["locations"][0]


def _phys(doc: Doc, i: int = 0) -> Doc:
    return _loc(doc, i)["physicalLocation"]


def _set(target: Callable[[Doc], Doc], key: str, value: Any) -> Callable[[Doc], None]:
    def change(doc: Doc) -> None:
        target(doc)[key] = value

    return change


def _driver(doc: Doc) -> Doc:
    return doc["runs"][0]["tool"]["driver"]


def _with_rule(rule: Any, **result_extra: Any) -> Callable[[Doc], None]:
    """A driver rule list holding ``rule``; result 0 points at it by index (and gets extra keys)."""

    def change(doc: Doc) -> None:
        _driver(doc)["rules"] = [rule]
        _res(doc)["ruleIndex"] = 0
        _res(doc).update(result_extra)

    return change


def _region(**region: Any) -> Callable[[Doc], None]:
    def change(doc: Doc) -> None:
        _phys(doc)["region"] = region

    return change


def _security_severity(value: Any) -> Callable[[Doc], None]:
    def change(doc: Doc) -> None:
        _res(doc)["level"] = "error"
        _res(doc)["properties"] = {"security-severity": value}

    return change


def _raw_json(text: str) -> Callable[[], bytes]:
    return lambda: text.encode("utf-8")


# ------------------------------------------------------------------------------------------- the cases
@dataclass(frozen=True)
class Case:
    """A hostile file: its name, how to make its bytes, and what must happen to it."""

    name: str
    filename: str
    content: Callable[[], bytes]
    reasons: tuple[str, ...] = ()  # rejected with these substrings; empty = loads
    occurrences: int = 3  # when it loads
    check: Callable[[list[dict[str, Any]]], None] | None = None  # on the stored occurrences

    @property
    def rejected(self) -> bool:
        return bool(self.reasons)


def _deep(levels: int, opener: bytes, closer: bytes, leaf: bytes = b"1") -> Callable[[], bytes]:
    head = b'{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [], "properties": {"x": '
    return lambda: head + opener * levels + leaf + closer * levels + b"}}]}"


def _latin1() -> bytes:
    doc = sarif_log([result("L1", message="café naïve — façade")])
    return json.dumps(doc, ensure_ascii=False).encode("latin-1", errors="replace")


def _utf16_be_without_bom() -> bytes:
    return json.dumps(good_log()).encode("utf-16-be")


REJECTED: list[Case] = [
    Case("latin1-bytes", "latin1.sarif", _latin1, ("not UTF-8", "0xe9")),
    Case("utf16-be-without-bom", "utf16be.sarif", _utf16_be_without_bom, ("UTF-16 without a byte-order mark",)),
    Case(
        "duplicate-keys-last-version-wins",
        "dupver.sarif",
        _raw_json('{"version": "2.1.0", "runs": [], "version": "1.0"}'),
        ("'1.0'", "not supported"),
    ),
    Case("deep-100k-arrays", "deep-arrays.sarif", _deep(100_000, b"[", b"]"), ("invalid JSON", "depth")),
    Case("deep-100k-objects", "deep-objects.sarif", _deep(100_000, b'{"a": ', b"}"), ("invalid JSON", "depth")),
    Case(
        "raw-control-chars-in-string",
        "rawctl.sarif",
        _raw_json('{"version": "2.1.0", "runs": [{"results": [{"message": {"text": "a\x1b[2J\r\nb"}}]}]}'),
        ("invalid JSON",),
    ),
    Case(
        "version-with-control-chars",
        "ctlver.sarif",
        lambda: json.dumps({"version": "\x1b[2J\u202e2.1.0\r\nX", "runs": []}).encode(),
        ("not supported",),
    ),
    Case(
        "lone-surrogate-escape",
        "surrogate.sarif",
        _raw_json('{"version": "2.1.0", "runs": [{"results": [{"message": {"text": "\\ud800"}}]}]}'),
        ("invalid JSON", "surrogate"),
    ),
    Case(
        "number-beyond-double",
        "inf.sarif",
        _raw_json('{"version": "2.1.0", "runs": [{"results": [{"ruleId": "X", "rank": 1e400}]}]}'),
        ("invalid JSON", "infinity"),
    ),
]


def _rows_check(**want: Any) -> Callable[[list[dict[str, Any]]], None]:
    """Result 0's stored columns equal ``want``."""

    def check(rows: list[dict[str, Any]]) -> None:
        got = {k: rows[0][k] for k in want}
        assert got == want

    return check


def _all_rows(**want: Any) -> Callable[[list[dict[str, Any]]], None]:
    def check(rows: list[dict[str, Any]]) -> None:
        for row in rows:
            assert {k: row[k] for k in want} == want, row

    return check


NULLS: list[Case] = [
    Case("tool-null", "tool-null.sarif", mutated(_set(_run, "tool", None)), check=_all_rows(level="warning")),
    Case("driver-null", "driver-null.sarif", mutated(_set(lambda d: _run(d)["tool"], "driver", None))),
    Case("rules-null", "rules-null.sarif", mutated(_set(_driver, "rules", None))),
    Case("rule-null", "rule-null.sarif", mutated(_with_rule(None)), check=_rows_check(rule_id="R1")),
    Case("extensions-null", "ext-null.sarif", mutated(_set(lambda d: _run(d)["tool"], "extensions", [None]))),
    Case(
        "location-entry-null",
        "loc-null.sarif",
        mutated(_set(_res, "locations", [None])),
        check=_rows_check(path="", start_line=None),
    ),
    Case(
        "physicalLocation-null",
        "phys-null.sarif",
        mutated(_set(_loc, "physicalLocation", None)),
        check=_rows_check(path="", uri=None),
    ),
    Case(
        "artifactLocation-null",
        "art-null.sarif",
        mutated(_set(_phys, "artifactLocation", None)),
        check=_rows_check(path="", start_line=1),
    ),
    Case(
        "region-null",
        "region-null.sarif",
        mutated(_set(_phys, "region", None)),
        check=_rows_check(path="src/app.py", start_line=None),
    ),
    Case("message-null", "msg-null.sarif", mutated(_set(_res, "message", None)), check=_rows_check(message="")),
    Case(
        "result-properties-null",
        "props-null.sarif",
        mutated(_set(_res, "properties", None)),
        check=_rows_check(severity="medium", severity_source="level"),
    ),
    Case("rule-properties-null", "rprops-null.sarif", mutated(_with_rule({"id": "R1", "properties": None}))),
    Case("run-properties-null", "runprops-null.sarif", mutated(_set(_run, "properties", None))),
    Case("invocations-entry-null", "inv-null.sarif", mutated(_set(_run, "invocations", [None]))),
    Case("provenance-entry-null", "vcp-null.sarif", mutated(_set(_run, "versionControlProvenance", [None]))),
    Case("originalUriBaseIds-null", "bases-null.sarif", mutated(_set(_run, "originalUriBaseIds", None))),
    Case("artifacts-entry-null", "artifacts-null.sarif", mutated(_set(_run, "artifacts", [None]))),
    Case("taxonomies-entry-null", "tax-null.sarif", mutated(_set(_run, "taxonomies", [None]))),
    Case(
        "suppressions-null",
        "supp-null.sarif",
        mutated(_set(_res, "suppressions", None)),
        check=_rows_check(suppressed=False),
    ),
    Case("fingerprints-null", "fp-null.sarif", mutated(_set(_res, "fingerprints", None))),
    Case("partialFingerprints-null", "pfp-null.sarif", mutated(_set(_res, "partialFingerprints", None))),
    Case(
        "message-arguments-null",
        "args-null.sarif",
        mutated(_set(_res, "message", {"text": "x {0} y", "arguments": None})),
        check=_rows_check(message="x {0} y"),
    ),
]

NUMBERS_FOR_STRINGS: list[Case] = [
    Case("ruleId-42", "ruleid-num.sarif", mutated(_set(_res, "ruleId", 42)), check=_rows_check(rule_id="(no rule)")),
    Case(
        "message-text-5",
        "msgtext-num.sarif",
        mutated(_set(_res, "message", {"text": 5})),
        check=_rows_check(message=""),
    ),
    Case(
        "level-3-falls-back-to-rule-default",
        "level-num.sarif",
        mutated(_with_rule({"id": "R1", "defaultConfiguration": {"level": "error"}}, level=3)),
        check=_rows_check(level="error", severity="high"),
    ),
    Case("level-3", "level-num2.sarif", mutated(_set(_res, "level", 3)), check=_rows_check(level="warning")),
    Case("tool-name-9", "toolname-num.sarif", mutated(_set(_driver, "name", 9))),
    Case("ruleIndex-huge", "ruleidx-huge.sarif", mutated(_with_rule({"id": "R1"}, ruleIndex=2**40))),
    Case("ruleIndex-negative", "ruleidx-neg.sarif", mutated(_with_rule({"id": "R1"}, ruleIndex=-1))),
    Case(
        "artifact-index-huge",
        "artidx.sarif",
        mutated(_set(_phys, "artifactLocation", {"index": 2**62})),
        check=_rows_check(path="", uri=None),
    ),
    Case(
        "message-arguments-numbers",
        "args-num.sarif",
        mutated(_set(_res, "message", {"text": "{0} and {1} and {7}", "arguments": [5, {"a": None}]})),
        check=_rows_check(message='5 and {"a": null} and {7}'),
    ),
    Case("fingerprint-values-numbers", "fp-num.sarif", mutated(_set(_res, "fingerprints", {"v1": 5, "v2": None}))),
    Case(
        "duplicate-keys-last-wins",
        "dupkeys.sarif",
        _raw_json(
            '{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "a"}}, "results": [{"ruleId": "A", '
            '"ruleId": "B", "message": {"text": "x"}}]}], "runs": [{"tool": {"driver": {"name": "dup"}}, '
            '"results": [{"ruleId": "C", "message": {"text": "y"}, "ruleId": "D"}]}]}'
        ),
        occurrences=1,
        check=_rows_check(rule_id="D", message="y"),
    ),
]

WRONG_PROPERTIES: list[Case] = [
    Case("properties-string", "props-str.sarif", mutated(_set(_res, "properties", "critical"))),
    Case(
        "security-severity-object",
        "ss-obj.sarif",
        mutated(_set(_res, "properties", {"security-severity": {"score": 9}})),
        check=_rows_check(security_severity=None, severity_source="level"),
    ),
    Case(
        "tags-string-and-mixed",
        "tags.sarif",
        mutated(
            _with_rule(
                {"id": "R1", "properties": {"tags": [1, None, {}, "external/cwe/cwe-79"]}}, properties={"tags": "x"}
            )
        ),
        check=_rows_check(cwe="CWE-79"),
    ),
    Case("cwe-number", "cwe-num.sarif", mutated(_set(_res, "properties", {"cwe": 79, "CWE": [None, 3]}))),
    Case(
        "rule-properties-list",
        "rprops-list.sarif",
        mutated(_with_rule({"id": "R1", "properties": [1, 2], "relationships": "CWE-1", "messageStrings": []})),
    ),
    Case(
        "rule-fields-wrong-types",
        "rule-types.sarif",
        mutated(
            _with_rule(
                {"id": "R1", "shortDescription": 3, "defaultConfiguration": "error", "helpUri": ["x"], "name": {}}
            )
        ),
    ),
]

SECURITY_SEVERITY: list[Case] = [
    Case(
        f"security-severity-{label}",
        f"ss-{label}.sarif",
        mutated(_security_severity(value)),
        check=_rows_check(severity="high", severity_source="level", security_severity=None),
    )
    for label, value in [
        ("NaN", "NaN"),
        ("Infinity", "Infinity"),
        ("minus-Infinity", "-Infinity"),
        ("negative", -1),
        ("negative-string", "-2.5"),
        ("abc", "abc"),
        ("101", 101),
        ("empty", ""),
        ("true", True),
        ("huge-string", "1e400"),
    ]
]

LINES: list[Case] = [
    Case(
        "lines-huge-and-negative",
        "lines.sarif",
        mutated(_region(startLine=2**40, endLine=-5, startColumn=-5, endColumn=2**40)),
        check=_rows_check(start_line=None, end_line=None, start_column=None, end_column=None),
    ),
    Case(
        "line-int32-boundary",
        "line-2-31.sarif",
        mutated(_region(startLine=2**31, endLine=2**31 - 1, startColumn=0)),
        check=_rows_check(start_line=None, end_line=2**31 - 1, start_column=None),
    ),
    Case(
        "line-float-and-beyond-int64",
        "line-float.sarif",
        _raw_json(json.dumps(_hostile_log()).replace('"startLine": 1}', '"startLine": 3.0, "endLine": 1e30}', 1)),
        check=_rows_check(start_line=None, end_line=None),
    ),
]

LOADED: list[Case] = NULLS + NUMBERS_FOR_STRINGS + WRONG_PROPERTIES + SECURITY_SEVERITY + LINES
ALL_CASES: list[Case] = REJECTED + LOADED


# ------------------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty, migrated database made once; each test copies it (saves the schema build per test)."""
    path = tmp_path_factory.mktemp("template") / "empty.duckdb"
    Store(path).ensure()
    return path


@pytest.fixture
def db(tmp_path: Path, migrated_template: Path) -> Path:
    path = tmp_path / "findings.duckdb"
    shutil.copyfile(migrated_template, path)
    return path


@pytest.fixture
def good(write_sarif: Write) -> Path:
    return write_sarif("good/good.sarif", good_log())


OCC_COLUMNS = (
    "result_index",
    "rule_id",
    "level",
    "severity",
    "severity_source",
    "security_severity",
    "message",
    "path",
    "uri",
    "start_line",
    "end_line",
    "start_column",
    "end_column",
    "suppressed",
    "cwe",
    "fingerprint_source",
)
_ROWS_SQL = (
    f"select f.path, {', '.join('o.' + c for c in OCC_COLUMNS)} from occurrences o "
    "join scans s using (scan_id) join files f using (file_key) where f.path = ? order by o.result_index"
)


def stored_rows(sql: Sql, path: Path) -> list[dict[str, Any]]:
    return [dict(zip(OCC_COLUMNS, r[1:], strict=True)) for r in sql(_ROWS_SQL, [str(path)])]


def assert_output_safe(out: str, err: str) -> None:
    """What the CLI prints carries no raw control or bidi character (so every line stays one line)."""
    for ch in UNSAFE_OUTPUT_CHARS:
        assert ch not in out + err, f"raw {ch!r} in CLI output"


def assert_loaded_beside_good(
    run_ingest: Ingest,
    sql: Sql,
    caplog: pytest.LogCaptureFixture,
    good: Path,
    path: Path,
    occurrences: int,
    *args: str,
) -> list[dict[str, Any]]:
    code, out, err = run_ingest("sarif", good, path, *(args or META))
    assert code == 0, (out, err)
    assert_no_traceback(out, err, caplog)
    assert_output_safe(out, err)
    assert f"{path}: loaded 1 scan(s), {occurrences} occurrence(s)" in out
    assert "rejected" not in err
    assert_loaded(sql, good, GOOD_RESULTS)
    assert_loaded(sql, path, occurrences)
    assert sql("select count(*) from rejections") == [(0,)]
    return stored_rows(sql, path)


@dataclass
class Batch:
    """Every case file and one good file, ingested by one ``python -m ingest sarif`` call."""

    code: int
    out: str
    err: str
    crashes: list[str]
    paths: dict[str, Path]
    good: Path
    files: dict[str, tuple[int, int]]  # path -> (scans, occurrences) as stored
    rows: dict[str, list[dict[str, Any]]]
    rejections: dict[str, str]


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.crashes: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info or record.levelno >= logging.ERROR:
            self.crashes.append(record.getMessage())


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Batch:
    base = tmp_path_factory.mktemp("hostile")
    good = base / "good" / "good.sarif"
    good.parent.mkdir()
    good.write_text(json.dumps(good_log()), encoding="utf-8")
    (base / "cases").mkdir()
    paths = {}
    for case in ALL_CASES:
        paths[case.name] = base / "cases" / case.filename
        paths[case.name].write_bytes(case.content())
    db = base / "batch.duckdb"
    out, err, records = io.StringIO(), io.StringIO(), _Records()
    logging.getLogger().addHandler(records)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = ingest_main(["sarif", str(good), *map(str, paths.values()), "--db", str(db), *META])
    finally:
        logging.getLogger().removeHandler(records)
    with Store(db).read() as conn:
        files = {r[0]: (r[1], r[2]) for r in query_rows(conn, "select path, scans, occurrences from files")}
        rows: dict[str, list[dict[str, Any]]] = {}
        for r in query_rows(conn, _ROWS_SQL.replace("where f.path = ?", "") + ", f.path"):
            rows.setdefault(r[0], []).append(dict(zip(OCC_COLUMNS, r[1:], strict=True)))
        rejections = dict(query_rows(conn, "select path, reason from rejections"))
    return Batch(int(code), out.getvalue(), err.getvalue(), records.crashes, paths, good, files, rows, rejections)


# --------------------------------------------------------------------------------------------- tests
def test_batch_of_hostile_files_never_crashes_the_command(batch: Batch) -> None:
    """All cases plus a good file in one command: exit 3 (some rejected), no traceback, no raw control
    characters printed, the good file loaded, and nothing but whole loaded files in the database."""
    assert batch.code == 3, batch.err[-3000:]
    assert "Traceback" not in batch.out + batch.err
    assert batch.crashes == []
    assert_output_safe(batch.out, batch.err)
    assert batch.files[str(batch.good)] == (1, GOOD_RESULTS)
    loaded = {str(batch.paths[c.name]) for c in LOADED} | {str(batch.good)}
    assert set(batch.files) == loaded
    assert set(batch.rejections) == {str(batch.paths[c.name]) for c in REJECTED}
    for path, (_, occurrences) in batch.files.items():
        assert len(batch.rows.get(path, [])) == occurrences, path


@pytest.mark.parametrize("case", REJECTED, ids=[c.name for c in REJECTED])
def test_hostile_file_is_rejected_with_one_line(batch: Batch, case: Case) -> None:
    bad = str(batch.paths[case.name])
    named = [line for line in batch.err.splitlines() if bad in line]
    assert len(named) == 1, named
    line = named[0]
    assert line.startswith(f"{bad}: rejected: "), line
    assert len(line) < len(bad) + 300, line
    for reason in case.reasons:
        assert reason in line
        assert reason in batch.rejections[bad]
    assert bad not in batch.out
    assert bad not in batch.files
    assert bad not in batch.rows


@pytest.mark.parametrize("case", LOADED, ids=[c.name for c in LOADED])
def test_hostile_file_loads_safely(batch: Batch, case: Case) -> None:
    path = str(batch.paths[case.name])
    assert f"{path}: loaded 1 scan(s), {case.occurrences} occurrence(s)" in batch.out
    assert path not in batch.rejections
    assert batch.files[path] == (1, case.occurrences)
    rows = batch.rows[path]
    assert [r["result_index"] for r in rows] == list(range(case.occurrences))
    for row in rows:
        assert isinstance(row["message"], str)
        assert row["severity"] in {"critical", "high", "medium", "low", "info"}
    if case.check:
        case.check(rows)


SAMPLE = [REJECTED[0], REJECTED[3], NULLS[0], NUMBERS_FOR_STRINGS[0], LINES[0]]


@pytest.mark.parametrize("case", SAMPLE, ids=[c.name for c in SAMPLE])
def test_hostile_file_alone_beside_a_good_file(
    run_ingest: Ingest, sql: Sql, write_sarif: Write, caplog: pytest.LogCaptureFixture, good: Path, case: Case
) -> None:
    """A sample of the cases one by one with only the good file (the batch could mask an interaction)."""
    path = write_sarif(f"single/{case.filename}", case.content())
    if case.rejected:
        assert_rejected_beside_good(run_ingest, sql, caplog, good, path, *case.reasons)
    else:
        rows = assert_loaded_beside_good(run_ingest, sql, caplog, good, path, case.occurrences)
        if case.check:
            case.check(rows)


def test_hostile_cases_are_many_and_distinct() -> None:
    """At least 40 cases here, each with its own name and file; with test_bad_input's, over 100."""
    from tests.test_bad_input import BAD_CASES, GOOD_CASES, WEIRD_RESULTS

    assert len(ALL_CASES) >= 40
    assert len({c.name for c in ALL_CASES}) == len(ALL_CASES)
    assert len({c.filename for c in ALL_CASES}) == len(ALL_CASES)
    assert len(ALL_CASES) + len(BAD_CASES) + len(GOOD_CASES) + len(WEIRD_RESULTS) >= 100


# --------------------------------------------------------------------------------------- huge strings
def test_50mb_message_is_truncated_and_bounded(
    run_ingest: Ingest, sql: Sql, write_sarif: Write, caplog: pytest.LogCaptureFixture, good: Path
) -> None:
    doc = _hostile_log()
    _res(doc)["message"] = {"text": "M" * (50 * 1024 * 1024)}
    _res(doc, 1)["locations"][0]["physicalLocation"]["region"]["snippet"] = {"text": "S" * (5 * 1024 * 1024)}
    path = write_sarif("huge/message.sarif", json.dumps(doc).encode())
    assert path.stat().st_size > 50 * 1024 * 1024
    assert_loaded_beside_good(run_ingest, sql, caplog, good, path, 3)
    (length, tail), *_ = sql(
        "select length(message), right(message, 11) from occurrences where rule_id = 'R1' and length(message) > 100"
    )
    assert 32_768 <= length <= 33_000
    assert tail == "[truncated]"
    (snippet_length,) = sql("select max(length(snippet)) from occurrences")[0]
    assert snippet_length <= 4_200
    (size,) = sql("select size_bytes from files where path = ?", [str(path)])[0]
    assert size == path.stat().st_size


def test_huge_rule_id_and_uri_load_safely(
    run_ingest: Ingest, sql: Sql, write_sarif: Write, caplog: pytest.LogCaptureFixture, good: Path
) -> None:
    """A 2 MB rule id and URI load safely and whole, stored cut to 512 / 4096 characters that end
    in a digest of the full value (they are identity: two long ids sharing a start stay apart)."""
    doc = _hostile_log()
    _res(doc)["ruleId"] = "X" * (2 * 1024 * 1024)
    _res(doc, 1)["ruleId"] = "X" * (2 * 1024 * 1024 - 1) + "Y"
    _phys(doc)["artifactLocation"]["uri"] = "src/" + "u" * (2 * 1024 * 1024) + ".py"
    path = write_sarif("huge/ids.sarif", doc)
    rows = assert_loaded_beside_good(run_ingest, sql, caplog, good, path, 3)
    assert len(rows[0]["rule_id"]) == len(rows[1]["rule_id"]) == 512
    assert rows[0]["rule_id"] != rows[1]["rule_id"] and rows[0]["rule_id"].startswith("XXX")
    assert rows[0]["path"].startswith("src/uuu") and len(rows[0]["path"]) == 4096


def _every_text_huge(big: int) -> Doc:
    """One run where every string that is stored is ``big`` characters (or a list of thousands)."""
    doc = _hostile_log()
    huge = "H" * big
    rule = {
        "id": "R1",
        "name": huge + "name",
        "helpUri": "https://rules.example/" + huge,
        "properties": {
            "tags": [huge + str(i) for i in range(3)] + [f"tag-{i}" for i in range(5000)],
            "cwe": [f"CWE-{i}" for i in range(1, 20_000)],
        },
    }
    _driver(doc)["rules"] = [rule]
    _res(doc)["fingerprints"] = {"v1": huge + "A"}
    _res(doc, 1)["fingerprints"] = {"v1": huge + "B"}  # the same long start: must stay two findings
    _res(doc, 2)["partialFingerprints"] = {huge: huge}
    _res(doc)["suppressions"] = [{"kind": huge + "kind"}]
    _res(doc)["baselineState"] = huge + "state"
    _res(doc)["properties"] = {"issue_severity": huge, "tags": " ".join(f"CWE-{i}" for i in range(1, 20_000))}
    return doc


def test_every_stored_text_is_capped(
    run_ingest: Ingest, sql: Sql, write_sarif: Write, caplog: pytest.LogCaptureFixture, good: Path
) -> None:
    """The README's caps hold for every stored value: 2 MB values were stored whole in rule names,
    help URIs, tags, tool fingerprints, the tool's severity word, suppression kind and baseline
    state, and 20,000 CWE mentions became a 20,000-item list on every occurrence."""
    path = write_sarif("huge/everything.sarif", _every_text_huge(2 * 1024 * 1024))
    assert_loaded_beside_good(run_ingest, sql, caplog, good, path, 3, *META, "--category", "c" * 100_000)
    longest = {
        ("rules", "name"): 512,
        ("rules", "help_uri"): 4096,
        ("occurrences", "fingerprint"): 512,
        ("occurrences", "suppression_kind"): 512,
        ("occurrences", "baseline_state"): 512,
        ("occurrences", "tool_severity"): 512,
        ("scans", "category"): 512,
    }
    for (table, column), limit in longest.items():
        assert sql(f"select max(length({column})) from {table}") == [(limit,)], (table, column)
    tags = "select max(len(tags)), max(list_max(list_transform(tags, lambda t: length(t)))) from rules"
    assert sql(tags) == [(64, 512)]
    assert sql("select max(len(cwes)) from occurrences") == [(32,)]
    assert sql("select max(len(cwes)) from rules") == [(32,)]
    distinct = (
        "select count(distinct fingerprint) from occurrences join scans using (scan_id) join files using (file_key)"
    )
    assert sql(distinct + " where files.path = ?", [str(path)]) == [(3,)]
    columns = sql(
        "select table_name, column_name, data_type from information_schema.columns "
        "where data_type in ('VARCHAR', 'VARCHAR[]')"
    )
    for table, column, kind in columns:  # nothing anywhere holds more than the longest text cap
        if (table, column) == ("files", "given_category"):
            continue  # the metadata as given on the command line, by whoever runs it
        size = f"length({column})" if kind == "VARCHAR" else f"len({column})"
        (most,) = sql(f'select coalesce(max({size}), 0) from "{table}"')[0]
        assert most <= 65_536 + 20, (table, column, most)


def test_warnings_are_capped_per_file(
    run_ingest: Ingest, sql: Sql, write_sarif: Write, caplog: pytest.LogCaptureFixture, good: Path
) -> None:
    """200,000 runs without results were 200,000 stored and printed warnings: now the first 20 and
    a count of the rest."""
    doc = _hostile_log()
    doc["runs"] += [{"tool": {"driver": {"name": "t"}}}] * 200_000
    path = write_sarif("huge/runs.sarif", doc)
    code, _, err = run_ingest("sarif", good, path, *META)
    assert code == 0, err
    mine = [line for line in err.splitlines() if line.startswith(f"{path}: warning: ")]
    assert len(mine) == 21
    assert mine[0].endswith('run 1: no "results" array (the tool did not complete); not recorded as a scan')
    assert mine[-1] == f"{path}: warning: … and 199,980 more warning(s), not shown"
    assert sql("select len(warnings) from files where path = ?", [str(path)]) == [(21,)]
    assert_loaded(sql, path, 3)


# ------------------------------------------------------------------------------------------ gzip bomb
def _gzip_of_zeros(members: int, member_mb: int = 64) -> bytes:
    """``members`` concatenated gzip members, each ``member_mb`` MB of zeros (about 1000:1)."""
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = bytes(1 << 20)
    member = b"".join(c.compress(chunk) for _ in range(member_mb)) + c.flush()
    return member * members


def limit_decompressed_bytes(monkeypatch: pytest.MonkeyPatch, limit: int) -> None:
    """Make the reader's size limit ``limit`` bytes, whether it reads the env at import or per call."""
    monkeypatch.setenv("FINDINGS_MAX_FILE_BYTES", str(limit))
    old = getattr(reader, "MAX_DECOMPRESSED_BYTES", None)
    if old is None:
        return
    monkeypatch.setattr(reader, "MAX_DECOMPRESSED_BYTES", limit)
    for fn in (reader.read_bytes, reader.load_log):
        defaults = fn.__defaults__ or ()
        if old in defaults:
            monkeypatch.setattr(fn, "__defaults__", tuple(limit if d == old else d for d in defaults))


def test_gzip_bomb_stops_at_the_limit(
    run_ingest: Ingest,
    sql: Sql,
    write_sarif: Write,
    caplog: pytest.LogCaptureFixture,
    good: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """~10 MB of gzip that would expand to ~10 GB: refused once 16 MB came out, without a memory spike."""
    limit_decompressed_bytes(monkeypatch, 16 * 1024 * 1024)
    bomb = write_sarif("bad/bomb.sarif.gz", _gzip_of_zeros(160))
    assert bomb.stat().st_size > 9 * 1024 * 1024
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    line = assert_rejected_beside_good(run_ingest, sql, caplog, good, bomb, "gzip expands beyond", "16,777,216-byte")
    assert "gzip bomb" in line
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 200, f"peak memory grew by {grown_mb:.0f} MB"


def test_file_over_the_limit_is_refused_before_reading(
    run_ingest: Ingest,
    sql: Sql,
    write_sarif: Write,
    caplog: pytest.LogCaptureFixture,
    good: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    limit_decompressed_bytes(monkeypatch, 64 * 1024)
    big = write_sarif("bad/big.sarif", json.dumps(sarif_log([result(f"B{i}") for i in range(2000)])).encode())
    assert_rejected_beside_good(run_ingest, sql, caplog, good, big, "bytes, over the 65,536-byte limit")


def test_size_limit_comes_from_the_environment(tmp_path: Path, write_sarif: Write) -> None:
    """``FINDINGS_MAX_FILE_BYTES`` is honoured by a fresh ``python -m ingest`` process."""
    bomb = write_sarif("bomb.sarif.gz", _gzip_of_zeros(4, member_mb=8))
    ok = write_sarif("ok.sarif", good_log())
    env = {**os.environ, "FINDINGS_MAX_FILE_BYTES": "1000000"}
    proc = subprocess.run(
        [sys.executable, "-m", "ingest", "sarif", str(ok), str(bomb), "--db", str(tmp_path / "env.duckdb"), *META],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 3, proc.stderr
    assert f"{bomb}: rejected: gzip expands beyond the 1,000,000-byte limit" in proc.stderr
    assert f"{ok}: loaded 1 scan(s), {GOOD_RESULTS} occurrence(s)" in proc.stdout
    assert "Traceback" not in proc.stderr


# ------------------------------------------------------------------------------------------ timestamps
def _times(**invocation: Any) -> Callable[[], bytes]:
    return mutated(_set(_run, "invocations", [invocation]))


def _future(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


TIMESTAMPS: list[tuple[str, Callable[[], bytes], str, tuple[str, ...]]] = [
    # (name, content, scanned_at_source, warning substrings)
    ("unparseable", _times(endTimeUtc="not a time"), "file-mtime", ("modification time",)),
    ("impossible-date", _times(endTimeUtc="2024-02-30T10:00:00Z"), "file-mtime", ("modification time",)),
    ("year-2999", _times(endTimeUtc="2999-01-01T00:00:00Z"), "file-mtime", ("modification time",)),
    ("year-1970", _times(endTimeUtc="1970-01-01T00:00:00Z"), "file-mtime", ("modification time",)),
    ("number", _times(endTimeUtc=1700000000), "file-mtime", ("modification time",)),
    ("next-month", _times(endTimeUtc=_future(30)), "file-mtime", ("in the future", "modification time")),
    ("bad-end-good-start", _times(endTimeUtc="soon", startTimeUtc="2024-05-01T00:00:00Z"), "sarif", ()),
    # Year 9999 at −01:00 is year 10000 in UTC: an OverflowError rejected the whole file.
    (
        "year-9999-west-of-utc",
        _times(endTimeUtc="9999-12-31T23:59:59-01:00"),
        "file-mtime",
        ("endTimeUtc '9999-12-31T23:59:59-01:00' is outside 1970–2100; ignored", "modification time"),
    ),
    (
        "year-1-east-of-utc-good-start",
        _times(endTimeUtc="0001-01-01T00:00:00+01:00", startTimeUtc="2024-05-01T00:00:00Z"),
        "sarif",
        ("run 0: invocations[0].endTimeUtc '0001-01-01T00:00:00+01:00' is outside 1970–2100; ignored",),
    ),
]


@pytest.mark.parametrize(
    ("name", "content", "source", "warnings"), [t[0:4] for t in TIMESTAMPS], ids=[t[0] for t in TIMESTAMPS]
)
def test_bad_scan_times_load_with_a_warning_naming_the_fallback(
    run_ingest: Ingest,
    sql: Sql,
    write_sarif: Write,
    caplog: pytest.LogCaptureFixture,
    good: Path,
    name: str,
    content: Callable[[], bytes],
    source: str,
    warnings: tuple[str, ...],
) -> None:
    path = write_sarif(f"times/{name}.sarif", content())
    code, out, err = run_ingest("sarif", good, path, "--project", "acme/app", "--branch", "main")
    assert code == 0, err
    assert_no_traceback(out, err, caplog)
    assert_loaded(sql, path, 3)
    (got_source, scanned_at), *_ = sql(
        "select scanned_at_source, scanned_at from scans join files using (file_key) where path = ?", [str(path)]
    )
    assert got_source == source
    assert scanned_at <= datetime.now(UTC).replace(tzinfo=None) + timedelta(days=1)
    mine = [line for line in err.splitlines() if line.startswith(f"{path}: warning: ")]
    for w in warnings:
        assert any(w in line for line in mine), (w, mine)
    if not warnings:
        assert mine == []


# ------------------------------------------------------------------------------ paths and characters
def test_path_traversal_never_reads_outside_the_source_root(
    run_ingest: Ingest, sql: Sql, write_sarif: Write, tmp_path: Path, caplog: pytest.LogCaptureFixture, good: Path
) -> None:
    """URIs that climb out of the checkout are kept as text, but no line outside ``--source-root`` is
    ever read into a fingerprint — not through ``..``, an absolute path, ``file://`` or a symlink."""
    root = tmp_path / "checkout"
    (root / "src").mkdir(parents=True)
    (root / "src" / "inside.py").write_text("x = 1\nsecret_inside()\ny = 2\n")
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET LINE\n" * 5)
    (root / "src" / "link.py").symlink_to(secret)
    uris = [
        "src/inside.py",
        "../secret.txt",
        "../../../../../../etc/passwd",
        str(secret),
        secret.as_uri(),
        "src/link.py",
    ]
    doc = sarif_log([result(f"T{i}", path=u, line=1) for i, u in enumerate(uris)], tool="trav-tool")
    path = write_sarif("trav/traversal.sarif", doc)
    code, out, err = run_ingest("sarif", good, path, *META, "--source-root", str(root))
    assert code == 0, err
    assert_no_traceback(out, err, caplog)
    assert_loaded(sql, path, len(uris))
    rows: dict[str, str] = dict(sql("select rule_id, fingerprint_source from occurrences where rule_id like 'T%'"))
    assert rows["T0"] == "computed:source"  # the control: inside the root, source lines are used
    for i in range(1, len(uris)):
        assert rows[f"T{i}"] == "computed:message", uris[i]
    stored: dict[str, str] = dict(sql("select rule_id, path from occurrences where rule_id like 'T%'"))
    assert stored["T1"] == "../secret.txt"
    assert "SECRET" not in str(sql("select * from occurrences"))


CONTROL_MESSAGE = "a\u202eb\x1b[2J\r\nline2\x00 \u2066x\u2069 \x07 <script>alert(1)</script>"
CONTROL_URI = "src/\u202egnp.exe\x1b[31m\nX\r.py"


def test_control_and_bidi_characters_are_stored_as_given_and_never_printed(
    run_ingest: Ingest, sql: Sql, write_sarif: Write, caplog: pytest.LogCaptureFixture, good: Path
) -> None:
    doc = sarif_log(
        [
            result("R\n1\x1b[0m", path=CONTROL_URI, message=CONTROL_MESSAGE),
            result("R2", message='=HYPERLINK("http://evil")\u202e'),
        ],
        tool="evil\x1b]0;pwned\x07tool",
        versionControlProvenance=[{"repositoryUri": "https://example.com/ac\x1bme/we\nb\u202e"}],
    )
    path = write_sarif("ctl/control.sarif", doc)
    code, out, err = run_ingest("sarif", good, path, "--scanned-at", "2024-03-01T12:00:00Z")
    assert code == 0, err
    assert_no_traceback(out, err, caplog)
    assert_output_safe(out, err)
    assert_loaded(sql, path, 2)
    rows = stored_rows(sql, path)
    assert rows[0]["message"] == CONTROL_MESSAGE
    assert rows[0]["uri"] == CONTROL_URI
    assert rows[0]["rule_id"] == "R\n1\x1b[0m"
    (tool, tool_name, project), *_ = sql(
        "select tool, tool_name, project from scans join files using (file_key) where path = ?", [str(path)]
    )
    assert "\x1b" not in tool and "\x07" not in tool  # the canonical key is a slug
    assert tool_name == "evil\x1b]0;pwned\x07tool"
    assert project == "ac\x1bme/web\u202e"  # urlsplit drops the newline; the rest is kept


# ------------------------------------------------- regressions: bugs this suite found (fixed in 717359b)
def test_nul_byte_in_uri_with_source_root_loads(
    run_ingest: Ingest, sql: Sql, write_sarif: Write, tmp_path: Path, caplog: pytest.LogCaptureFixture, good: Path
) -> None:
    """Was a bug: a NUL byte in a URI made SourceLines._read raise ValueError; the whole file was
    rejected and a traceback logged."""
    root = tmp_path / "checkout"
    root.mkdir()
    path = write_sarif("nul/nul.sarif", sarif_log([result("N1", path="src/a\x00b.py"), result("N2")], tool="nul"))
    code, out, err = run_ingest("sarif", good, path, *META, "--source-root", str(root))
    assert_no_traceback(out, err, caplog)
    assert code == 0, err
    assert_loaded(sql, path, 2)


def test_overlong_uri_segment_with_source_root_loads(
    run_ingest: Ingest, sql: Sql, write_sarif: Write, tmp_path: Path, caplog: pytest.LogCaptureFixture, good: Path
) -> None:
    """Was a bug: a URI segment over 255 bytes made SourceLines._read raise OSError (ENAMETOOLONG),
    which escaped ingest_file: the whole command died with a traceback, later files never loaded."""
    root = tmp_path / "checkout"
    root.mkdir()
    path = write_sarif("long/long.sarif", sarif_log([result("L1", path="b" * 300 + ".py")], tool="long"))
    code, out, err = run_ingest("sarif", path, good, *META, "--source-root", str(root))
    assert_no_traceback(out, err, caplog)
    assert code == 0, err
    assert_loaded(sql, path, 1)
    assert_loaded(sql, good, GOOD_RESULTS)


def _limit_memory() -> None:  # runs in the child before exec
    resource.setrlimit(resource.RLIMIT_AS, (4 * 1024**3, 4 * 1024**3))


def test_message_argument_amplification_is_bounded(tmp_path: Path, write_sarif: Write) -> None:
    """Was a bug: message.arguments were substituted before the 32 KB truncation; 200,000 × '{0}'
    with a 100 KB argument (a 700 KB file) built a 20 GB string: MemoryError, whole command lost."""
    bomb_result = result("A1", message="{0}" * 200_000)
    bomb_result["message"]["arguments"] = ["A" * 100_000]
    bomb = write_sarif("amp.sarif", sarif_log([bomb_result], tool="amp"))
    ok = write_sarif("ok.sarif", good_log())
    db = tmp_path / "amp.duckdb"
    proc = subprocess.run(
        [sys.executable, "-m", "ingest", "sarif", str(bomb), str(ok), "--db", str(db), *META],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_limit_memory,
    )
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert f"{ok}: loaded" in proc.stdout
    assert f"{bomb}: loaded 1 scan(s), 1 occurrence(s)" in proc.stdout
    with Store(db).read() as conn:
        ((length,),) = query_rows(conn, "select max(length(message)) from occurrences")
    assert length <= 33_000


def test_hostile_file_name_keeps_the_reason_on_one_line(
    run_ingest: Ingest, sql: Sql, write_sarif: Write, caplog: pytest.LogCaptureFixture, good: Path
) -> None:
    """Was a bug: file paths were printed raw in the CLI report; a newline, ESC or U+202E in a file
    name split or spoofed the one-line reason."""
    bad = write_sarif("names/evil\n\x1b[31m\u202egnp.sarif", b"{not json")
    code, out, err = run_ingest("sarif", good, bad, *META)
    assert code == 3
    assert_no_traceback(out, err, caplog)
    assert file_rows(sql, bad) == 0
    assert_output_safe(out, err)
    rejected = [line for line in err.splitlines() if ": rejected: " in line]
    assert len(rejected) == 1
    assert "invalid JSON" in rejected[0] and "evil" in rejected[0]


def test_null_suppression_entry_does_not_suppress(
    run_ingest: Ingest, sql: Sql, write_sarif: Write, caplog: pytest.LogCaptureFixture, good: Path
) -> None:
    """Was a bug: a null (or any non-object) entry in suppressions[] counted as a suppression with no
    status, hiding the finding from the backlog."""
    doc = _hostile_log()
    _res(doc)["suppressions"] = [None]
    _res(doc, 1)["suppressions"] = ["accepted", 5]
    path = write_sarif("supp/null-entry.sarif", doc)
    rows = assert_loaded_beside_good(run_ingest, sql, caplog, good, path, 3)
    assert [r["suppressed"] for r in rows] == [False, False, False]


# ------------------------------------------------------------------------------------ one million
@pytest.mark.slow
@pytest.mark.skipif(
    os.environ.get("RUN_SLOW") != "1", reason="1M results take ~1 min and ~3.5 GB; RUN_SLOW=1 (make stress)"
)
def test_one_million_results_in_one_run(
    run_ingest: Ingest, sql: Sql, tmp_path: Path, caplog: pytest.LogCaptureFixture, good: Path
) -> None:
    path = tmp_path / "million.sarif"
    write_million(path, 1_000_000)
    code, out, err = run_ingest("sarif", good, path, *META)
    assert code == 0, err
    assert_no_traceback(out, err, caplog)
    assert_loaded(sql, path, 1_000_000)
    assert total_occurrences(sql) == 1_000_000 + GOOD_RESULTS
    assert sql(
        "select count(distinct finding_id) from occurrences o join scans s using (scan_id) where s.tool = 'bulk'"
    ) == [(1_000_000,)]


def write_million(path: Path, n: int, rules: int = 50) -> None:
    """A SARIF log with ``n`` results written as a stream (no 1M-element dict in memory)."""
    with path.open("w", encoding="utf-8") as f:
        f.write('{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "bulk", "rules": [')
        f.write(",".join(f'{{"id": "R{i}"}}' for i in range(rules)))
        f.write(']}}, "results": [')
        for i in range(n):
            if i:
                f.write(",")
            where = f'{{"artifactLocation": {{"uri": "src/m{i % 1000}.py"}}, "region": {{"startLine": {i % 500 + 1}}}}}'
            f.write(
                f'{{"ruleId": "R{i % rules}", "message": {{"text": "issue {i}"}}, '
                f'"locations": [{{"physicalLocation": {where}}}]}}'
            )
        f.write("]}]}")
