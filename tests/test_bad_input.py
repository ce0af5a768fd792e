"""Bad and odd input files through ``python -m ingest``: each bad file is rejected on its own, with
its reason, while a good file given in the same command still loads (docs/definitions.md §1–§3, exit codes 0/3)."""

from __future__ import annotations

import csv
import gzip
import json
import logging
import os
import random
import resource
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, result, sarif_log

Ingest = Callable[..., tuple[int, str, str]]
Sql = Callable[..., list[tuple[Any, ...]]]
Write = Callable[..., Path]

GOOD_RESULTS = 3
META = ("--project", "acme/app", "--branch", "main", "--scanned-at", "2024-03-01T12:00:00Z")


def good_log() -> dict[str, Any]:
    return sarif_log([result("R1"), result("R2", line=7), result("R3", path="src/other.py")])


def valid_bytes() -> bytes:
    return json.dumps(good_log(), indent=2).encode()


def log_with(**top: Any) -> bytes:
    """A SARIF log whose top-level keys are replaced (None values kept as JSON null)."""
    doc: dict[str, Any] = {"version": "2.1.0", "runs": good_log()["runs"]}
    doc.update(top)
    return json.dumps(doc).encode()


def log_with_run(**run: Any) -> bytes:
    base = good_log()["runs"][0]
    base.update(run)
    return json.dumps({"version": "2.1.0", "runs": [base]}).encode()


@pytest.fixture
def good(write_sarif: Write) -> Path:
    return write_sarif("good/good.sarif", good_log())


# ------------------------------------------------------------------------------------------ helpers
def occurrences_of(sql: Sql, path: Path | str) -> int:
    rows = sql(
        "select count(*) from occurrences o join scans s using (scan_id) join files f using (file_key) "
        "where f.path = ?",
        [str(path)],
    )
    return int(rows[0][0])


def file_rows(sql: Sql, path: Path | str) -> int:
    return int(sql("select count(*) from files where path = ?", [str(path)])[0][0])


def total_occurrences(sql: Sql) -> int:
    return int(sql("select count(*) from occurrences")[0][0])


def assert_no_traceback(out: str, err: str, caplog: pytest.LogCaptureFixture) -> None:
    assert "Traceback" not in out + err
    crashes = [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert not crashes, [r.getMessage() for r in crashes]


def assert_loaded(sql: Sql, path: Path, occurrences: int) -> None:
    assert file_rows(sql, path) == 1
    assert occurrences_of(sql, path) == occurrences
    stored = sql("select occurrences from files where path = ?", [str(path)])
    assert stored == [(occurrences,)]


def assert_rejected_beside_good(
    run_ingest: Ingest,
    sql: Sql,
    caplog: pytest.LogCaptureFixture,
    good: Path,
    bad: Path,
    *reasons: str,
) -> str:
    """Ingest good + bad in one command; check the bad one is refused with each reason substring."""
    code, out, err = run_ingest("sarif", good, bad, *META)
    assert code == 3, (out, err)
    named = [line for line in err.splitlines() if str(bad) in line]
    assert len(named) == 1, err
    line = named[0]
    assert line.startswith(f"{bad}: rejected: "), line
    for reason in reasons:
        assert reason in line, line
    assert str(bad) not in out  # not reported as loaded
    assert_no_traceback(out, err, caplog)
    # Nothing of the bad file is stored ...
    assert file_rows(sql, bad) == 0
    assert sql("select count(*) from scans s join files f using (file_key) where f.path = ?", [str(bad)]) == [(0,)]
    # ... the good one is, with all its results ...
    assert_loaded(sql, good, GOOD_RESULTS)
    assert total_occurrences(sql) == GOOD_RESULTS
    assert sql("select count(*) from files") == [(1,)]
    assert f"{good}: loaded 1 scan(s), {GOOD_RESULTS} occurrence(s)" in out
    # ... and the refusal is recorded with its reason.
    rejections = sql("select reason from rejections where path = ?", [str(bad)])
    assert len(rejections) == 1
    for reason in reasons:
        assert reason in rejections[0][0]
    return line


# ------------------------------------------------------------------------------------ rejected files
def _utf16_without_bom() -> bytes:
    return valid_bytes().decode().encode("utf-16-le")


def _truncated() -> bytes:
    data = valid_bytes()
    return data[: len(data) // 2]


BAD_CASES: list[tuple[str, str, bytes, tuple[str, ...]]] = [
    ("empty", "empty.sarif", b"", ("empty file",)),
    ("whitespace", "blank.sarif", b"  \n\t \r\n   ", ("empty file",)),
    ("bom-only", "bom-only.sarif", b"\xef\xbb\xbf", ("empty",)),
    ("invalid-json", "broken.sarif", b'{"version": "2.1.0", runs: []}', ("invalid JSON",)),
    ("truncated-json", "truncated.sarif", _truncated(), ("invalid JSON",)),
    ("array-top-level", "array.sarif", b'[{"version": "2.1.0", "runs": []}]', ("not a SARIF log", "list")),
    ("string-top-level", "string.sarif", b'"2.1.0"', ("not a SARIF log", "string")),
    ("not-sarif", "foo.json", b'{"foo": 1}', ("not a SARIF log",)),
    ("version-1.0.0", "v1.sarif", log_with(version="1.0.0"), ("'1.0.0'", "not supported")),
    ("version-2.0.0", "v2.sarif", log_with(version="2.0.0"), ("'2.0.0'", "not supported")),
    ("version-2.2", "v22.sarif", log_with(version="2.2"), ("'2.2'", "not supported")),
    ("version-number", "vnum.sarif", log_with(version=2.1), ("not supported",)),
    (
        "version-missing",
        "noversion.sarif",
        json.dumps({"runs": good_log()["runs"]}).encode(),
        ('no "version"',),
    ),
    ("runs-missing", "noruns.sarif", b'{"version": "2.1.0"}', ('no "runs"',)),
    ("runs-string", "runs-str.sarif", log_with(runs="nope"), ('"runs" is a string', "not a list")),
    ("runs-object", "runs-obj.sarif", log_with(runs={"results": []}), ('"runs" is a', "object", "not a list")),
    ("runs-null", "runs-null.sarif", log_with(runs=None), ('"runs" is null', "not a list")),
    ("run-number", "run-num.sarif", log_with(runs=[1]), ("runs[0]", "not an object")),
    ("run-string", "run-str.sarif", log_with(runs=["run"]), ("runs[0]", "not an object")),
    (
        "second-run-bad",
        "run2.sarif",
        log_with(runs=[good_log()["runs"][0], None]),
        ("runs[1]", "not an object"),
    ),
    ("results-null", "res-null.sarif", log_with_run(results=None), ("runs[0].results", "null", "not a list")),
    ("results-object", "res-obj.sarif", log_with_run(results={"ruleId": "X"}), ("runs[0].results", "not a list")),
    ("results-string", "res-str.sarif", log_with_run(results="none"), ("runs[0].results", "not a list")),
    (
        "result-string",
        "result-str.sarif",
        log_with_run(results=[result("R9"), "oops"]),
        ("runs[0].results[1]", "string", "not an object"),
    ),
    ("result-null", "result-null.sarif", log_with_run(results=[None]), ("runs[0].results[0]", "not an object")),
    ("tool-string", "tool-str.sarif", log_with_run(tool="semgrep"), ("runs[0].tool", "not an object")),
    ("nan-literal", "nan.sarif", valid_bytes().replace(b'"startLine": 1', b'"startLine": NaN'), ("invalid JSON",)),
    ("nested-too-deep", "deep.sarif", b'{"version": "2.1.0", "runs": ' + b"[" * 5000 + b"]" * 5000 + b"}", ("depth",)),
    ("gz-not-gzip", "plain.sarif.gz", valid_bytes(), ("not gzip",)),
    ("gzip-invalid-json", "bad-json.sarif.gz", gzip.compress(b'{"version": "2.1.0", "runs": [}'), ("invalid JSON",)),
    ("gzip-truncated", "cut.sarif.gz", gzip.compress(valid_bytes())[:40], ("gzip", "truncated")),
    ("gzip-corrupt", "corrupt.sarif.gz", gzip.compress(valid_bytes())[:12] + b"\x00" * 64, ("corrupt gzip",)),
    ("binary-garbage", "garbage.sarif", random.Random(20240301).randbytes(4096), ("not UTF-8",)),
    ("utf16-without-bom", "utf16.sarif", _utf16_without_bom(), ("UTF-16 without a byte-order mark",)),
    ("bad-utf16-with-bom", "badutf16.sarif", b"\xff\xfe" + b"{\x00\x00\xd8", ("invalid UTF-16",)),
]


@pytest.mark.parametrize(("name", "content", "reasons"), [c[1:] for c in BAD_CASES], ids=[c[0] for c in BAD_CASES])
def test_bad_file_is_rejected_and_good_file_still_loads(
    run_ingest: Ingest,
    sql: Sql,
    write_sarif: Write,
    caplog: pytest.LogCaptureFixture,
    good: Path,
    name: str,
    content: bytes,
    reasons: tuple[str, ...],
) -> None:
    bad = write_sarif(f"bad/{name}", content)
    assert_rejected_beside_good(run_ingest, sql, caplog, good, bad, *reasons)


def test_missing_path_and_empty_glob_are_rejected(
    run_ingest: Ingest, sql: Sql, tmp_path: Path, caplog: pytest.LogCaptureFixture, good: Path
) -> None:
    missing = tmp_path / "nowhere" / "scan.sarif"
    pattern = str(tmp_path / "none-*.sarif")
    code, out, err = run_ingest("sarif", good, missing, pattern, *META)
    assert code == 3
    assert f"{missing}: rejected: no such file" in err
    assert f"{pattern}: rejected: pattern matches no file" in err
    assert_no_traceback(out, err, caplog)
    assert_loaded(sql, good, GOOD_RESULTS)
    reasons = dict(sql("select path, reason from rejections"))
    assert set(reasons) == {str(missing), pattern}


def test_rejections_table_records_every_rejected_file(
    run_ingest: Ingest, sql: Sql, write_sarif: Write, good: Path
) -> None:
    bad = {
        write_sarif("r/empty.sarif", b""): "empty file",
        write_sarif("r/v1.sarif", log_with(version="1.0.0")): "not supported",
        write_sarif("r/broken.json", b"{"): "invalid JSON",
        write_sarif("r/fake.sarif.gz", b"not gzip at all"): "not gzip",
    }
    code, _, err = run_ingest("sarif", good, *bad, *META)
    assert code == 3
    assert len([line for line in err.splitlines() if ": rejected: " in line]) == len(bad)
    rows = sql("select path, reason, rejected_at from rejections order by path")
    assert {r[0] for r in rows} == {str(p) for p in bad}
    for path, reason, rejected_at in rows:
        assert bad[Path(path)] in reason
        assert rejected_at is not None
    assert_loaded(sql, good, GOOD_RESULTS)


# -------------------------------------------------------------------------------------- files that load
def _gzip_members() -> bytes:
    data = valid_bytes()
    half = len(data) // 2
    return gzip.compress(data[:half]) + gzip.compress(data[half:])


GOOD_CASES: list[tuple[str, str, bytes]] = [
    ("utf8-bom", "bom.sarif", b"\xef\xbb\xbf" + valid_bytes()),
    ("gzip", "scan.sarif.gz", gzip.compress(valid_bytes())),
    ("gzip-json", "scan.json.gz", gzip.compress(valid_bytes())),
    ("gzip-multi-member", "multi.sarif.gz", _gzip_members()),
    ("gzip-without-gz-name", "zipped.sarif", gzip.compress(valid_bytes())),
    ("sarif-json", "scan.sarif.json", valid_bytes()),
    ("plain-json", "scan.json", valid_bytes()),
    ("utf16-bom", "utf16.sarif", valid_bytes().decode().encode("utf-16")),
    ("utf16-be-bom", "utf16be.sarif", b"\xfe\xff" + valid_bytes().decode().encode("utf-16-be")),
    ("utf32-bom", "utf32.sarif", valid_bytes().decode().encode("utf-32")),
    ("crlf-and-bom", "crlf.sarif", b"\xef\xbb\xbf" + valid_bytes().replace(b"\n", b"\r\n")),
]


@pytest.mark.parametrize(("name", "content"), [c[1:] for c in GOOD_CASES], ids=[c[0] for c in GOOD_CASES])
def test_encodings_and_compression_that_load(
    run_ingest: Ingest,
    sql: Sql,
    write_sarif: Write,
    caplog: pytest.LogCaptureFixture,
    name: str,
    content: bytes,
) -> None:
    path = write_sarif(name, content)
    code, out, err = run_ingest("sarif", path, *META)
    assert code == 0, err
    assert f"{path}: loaded 1 scan(s), {GOOD_RESULTS} occurrence(s)" in out
    assert "rejected" not in err
    assert_no_traceback(out, err, caplog)
    assert_loaded(sql, path, GOOD_RESULTS)
    assert sql("select count(*) from rejections") == [(0,)]
    rules = {r[0] for r in sql("select rule_id from occurrences")}
    assert rules == {"R1", "R2", "R3"}


def test_encodings_hash_the_decompressed_bytes(run_ingest: Ingest, sql: Sql, write_sarif: Write) -> None:
    """docs/definitions.md §1: a file is identified by its decompressed bytes: plain and gzip copies are one file."""
    plain = write_sarif("same.sarif", valid_bytes())
    zipped = write_sarif("same.sarif.gz", gzip.compress(valid_bytes()))
    code, out, _ = run_ingest("sarif", plain, zipped, *META)
    assert code == 0
    assert f"{zipped}: already loaded" in out
    assert sql("select count(*) from files") == [(1,)]
    assert total_occurrences(sql) == GOOD_RESULTS


def test_directory_argument_is_recursive_and_ignores_other_files(
    run_ingest: Ingest, sql: Sql, write_sarif: Write, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    tree = tmp_path / "tree"
    top = write_sarif("tree/top.sarif", sarif_log([result("T1")], tool="tool-a"))
    nested = write_sarif("tree/a/b/nested.json", sarif_log([result("N1"), result("N2")], tool="tool-b"))
    both = write_sarif("tree/a/c/both.sarif.json", sarif_log([result("B1")], tool="tool-c"))
    zipped = write_sarif(
        "tree/z/zipped.sarif.gz", gzip.compress(json.dumps(sarif_log([result("Z1")], tool="tool-d")).encode())
    )
    ignored = [
        write_sarif("tree/README.md", "# not a scan\n"),
        write_sarif("tree/a/notes.txt", "hello"),
        write_sarif("tree/a/b/data.csv", "a,b\n1,2\n"),
    ]
    code, out, err = run_ingest("sarif", tree, *META)
    assert code == 0, err
    assert_no_traceback(out, err, caplog)
    loaded = {r[0] for r in sql("select path from files")}
    assert loaded == {str(p) for p in (top, nested, both, zipped)}
    for p in ignored:
        assert str(p) not in out + err
    assert sql("select count(*) from rejections") == [(0,)]
    assert occurrences_of(sql, nested) == 2
    assert total_occurrences(sql) == 5


def test_directory_with_good_and_bad_files(
    run_ingest: Ingest, sql: Sql, write_sarif: Write, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ok = write_sarif("mixed/ok.sarif", good_log())
    bad = write_sarif("mixed/deep/bad.sarif", b"{not json")
    code, out, err = run_ingest("sarif", tmp_path / "mixed", *META)
    assert code == 3
    assert f"{bad}: rejected: invalid JSON" in err
    assert_no_traceback(out, err, caplog)
    assert_loaded(sql, ok, GOOD_RESULTS)
    assert file_rows(sql, bad) == 0


def test_directory_without_sarif_files_is_rejected(
    run_ingest: Ingest, sql: Sql, write_sarif: Write, tmp_path: Path, good: Path
) -> None:
    write_sarif("docs/README.md", "# nothing to see\n")
    code, _, err = run_ingest("sarif", good, tmp_path / "docs", *META)
    assert code == 3
    assert f"{tmp_path / 'docs'}: rejected: directory holds no" in err
    assert_loaded(sql, good, GOOD_RESULTS)


def test_glob_argument_is_expanded_by_the_cli(
    run_ingest: Ingest, sql: Sql, write_sarif: Write, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    a = write_sarif("g/a.sarif", sarif_log([result("A1")], tool="tool-a"))
    b = write_sarif("g/b.sarif", sarif_log([result("B1"), result("B2")], tool="tool-b"))
    other = write_sarif("g/c.json", sarif_log([result("C1")], tool="tool-c"))
    deep = write_sarif("g/sub/d.sarif", sarif_log([result("D1")], tool="tool-d"))
    code, out, err = run_ingest("sarif", str(tmp_path / "g" / "*.sarif"), *META)
    assert code == 0, err
    assert_no_traceback(out, err, caplog)
    assert {r[0] for r in sql("select path from files")} == {str(a), str(b)}
    assert file_rows(sql, other) == 0
    assert file_rows(sql, deep) == 0
    assert total_occurrences(sql) == 3
    # A recursive pattern reaches the nested file too; the two loaded before are no-ops.
    code, out, _ = run_ingest("sarif", str(tmp_path / "g" / "**" / "*.sarif"), *META)
    assert code == 0
    assert f"{a}: already loaded" in out
    assert {r[0] for r in sql("select path from files")} == {str(a), str(b), str(deep)}


# ---------------------------------------------------------------- wrong types below the result level
WEIRD_RESULTS: list[tuple[dict[str, Any], str, int | None]] = [
    # (result, expected path, expected start_line)
    ({"ruleId": "W0", "message": {"text": "locations is a string"}, "locations": "src/a.py"}, "", None),
    ({"ruleId": "W1", "message": {"text": "locations holds a string"}, "locations": ["src/a.py"]}, "", None),
    (
        {
            "ruleId": "W2",
            "message": {"text": "region is a list"},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": "src/b.py"}, "region": [1, 2]}}],
        },
        "src/b.py",
        None,
    ),
    (result("W3", path="src/c.py", line=4) | {"message": 42}, "src/c.py", 4),
    (result("W4", path="src/d.py", line=5) | {"properties": [1, 2, 3]}, "src/d.py", 5),
    (result("W5", path="src/e.py", line=-3), "src/e.py", None),
    (
        result("W6", path="src/f.py")
        | {
            "locations": [
                {"physicalLocation": {"artifactLocation": {"uri": "src/f.py"}, "region": {"startLine": "12"}}}
            ]
        },
        "src/f.py",
        None,
    ),
    (
        {
            "ruleId": "W7",
            "message": {"text": "physicalLocation is a string"},
            "locations": [{"physicalLocation": "src/g.py:3"}],
        },
        "",
        None,
    ),
    (
        {
            "ruleId": "W8",
            "message": {"text": "uri is a number"},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": 7}, "region": {"startLine": 2}}}],
        },
        "",
        2,
    ),
    (result("W9", path="src/h.py", line=9) | {"level": "catastrophic", "suppressions": "yes"}, "src/h.py", 9),
    (result("W10", path="src/i.py", line=10) | {"fingerprints": ["x"], "partialFingerprints": "y"}, "src/i.py", 10),
    (result("W11", path="src/j.py", line=True), "src/j.py", None),
    (result("W12", path="src/k.py", line=2**40), "src/k.py", None),
    ({"ruleId": "W13", "message": {"text": "locations is null"}, "locations": None}, "", None),
    (result("W14", path="src/m.py", line=3) | {"relatedLocations": "nope", "codeFlows": {"a": 1}}, "src/m.py", 3),
]


def test_wrong_types_below_the_result_level_load_safely(
    run_ingest: Ingest, sql: Sql, write_sarif: Write, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_sarif("weird.sarif", sarif_log([r for r, _, _ in WEIRD_RESULTS]))
    code, out, err = run_ingest("sarif", path, *META)
    assert code == 0, err
    assert_no_traceback(out, err, caplog)
    assert_loaded(sql, path, len(WEIRD_RESULTS))
    rows = sql(
        "select result_index, rule_id, path, start_line, severity, message from occurrences order by result_index"
    )
    assert [r[0] for r in rows] == list(range(len(WEIRD_RESULTS)))
    for (res, want_path, want_line), (_, rule_id, got_path, got_line, severity, message) in zip(
        WEIRD_RESULTS, rows, strict=True
    ):
        assert rule_id == res["ruleId"]
        assert got_path == want_path, rule_id
        assert got_line == want_line, rule_id
        assert severity in {"critical", "high", "medium", "low", "info"}
        assert isinstance(message, str)
    # An unknown level falls back to the default "warning" (docs/definitions.md §3, "Level").
    assert sql("select level from occurrences where rule_id = 'W9'") == [("warning",)]


def test_wrong_types_in_the_run_header_load_safely(
    run_ingest: Ingest, sql: Sql, write_sarif: Write, caplog: pytest.LogCaptureFixture
) -> None:
    run_extra = {
        "invocations": "yesterday",
        "versionControlProvenance": {"repositoryUri": 5},
        "automationDetails": ["x"],
        "originalUriBaseIds": [1],
        "taxonomies": "CWE",
    }
    doc = sarif_log([result("H1"), result("H2", line=3)], **run_extra)
    doc["runs"][0]["tool"]["driver"]["rules"] = "none"
    path = write_sarif("header.sarif", doc)
    code, out, err = run_ingest("sarif", path, *META)
    assert code == 0, err
    assert_no_traceback(out, err, caplog)
    assert_loaded(sql, path, 2)


# ----------------------------------------------------------------------------- idempotence and identity
def test_same_file_twice_is_already_loaded(run_ingest: Ingest, sql: Sql, good: Path) -> None:
    code, out, _ = run_ingest("sarif", good, *META)
    assert code == 0
    assert f"{good}: loaded" in out
    before = sql("select count(*) from occurrences"), sql("select count(*) from findings")

    code, out, err = run_ingest("sarif", good, *META)
    assert code == 0, err
    assert f"{good}: already loaded" in out
    assert "0 scan(s), 0 occurrence(s) added" in out
    assert (sql("select count(*) from occurrences"), sql("select count(*) from findings")) == before
    assert sql("select count(*) from files") == [(1,)]
    assert sql("select count(*) from scans") == [(1,)]
    assert total_occurrences(sql) == GOOD_RESULTS


def test_one_file_named_twice_is_listed_once(
    run_ingest: Ingest, sql: Sql, write_sarif: Write, tmp_path: Path, good: Path
) -> None:
    """The same file as an argument, inside a directory argument and through a symlink is one file
    to load (one report line); a dangling symlink is no file at all."""
    other = write_sarif("d/other.sarif", sarif_log([result("O1")], tool="tool-o"))
    (tmp_path / "d" / "alias.sarif").symlink_to(other)
    (tmp_path / "d" / "dangling.sarif").symlink_to(tmp_path / "nowhere.sarif")
    code, out, err = run_ingest("sarif", other, tmp_path / "d", tmp_path / "d" / "alias.sarif", *META)
    assert code == 0, err
    assert "1 file(s): 1 loaded" in out and f"{other}: loaded 1 scan(s)" in out
    assert "alias" not in out + err and "dangling" not in out + err
    code, _, err = run_ingest("sarif", tmp_path / "d" / "dangling.sarif", *META)
    assert code == 3 and "dangling.sarif: rejected: no such file or directory" in err
    assert sql("select count(*) from files") == [(1,)]


def test_same_bytes_for_another_project_are_another_file(run_ingest: Ingest, sql: Sql, good: Path) -> None:
    code, _, _ = run_ingest("sarif", good, *META)
    assert code == 0
    code, out, _ = run_ingest(
        "sarif", good, "--project", "acme/other", "--branch", "main", "--scanned-at", "2024-03-01T12:00:00Z"
    )
    assert code == 0
    assert f"{good}: loaded 1 scan(s), {GOOD_RESULTS} occurrence(s)" in out
    assert sql("select count(*) from files where path = ?", [str(good)]) == [(2,)]
    assert sql("select count(distinct sha256) from files") == [(1,)]
    assert sql("select project, count(*) from scans group by project order by project") == [
        ("acme/app", 1),
        ("acme/other", 1),
    ]
    assert total_occurrences(sql) == 2 * GOOD_RESULTS


def test_same_bytes_for_another_commit_are_another_file(run_ingest: Ingest, sql: Sql, good: Path) -> None:
    assert run_ingest("sarif", good, *META, "--commit", "aaaa111")[0] == 0
    code, out, _ = run_ingest("sarif", good, *META, "--commit", "bbbb222")
    assert code == 0
    assert f"{good}: loaded 1 scan(s), {GOOD_RESULTS} occurrence(s)" in out
    assert sql("select commit_sha from scans order by commit_sha") == [("aaaa111",), ("bbbb222",)]


# ------------------------------------------------------------------------------------------ JSON report
def test_json_report_is_valid_json_with_statuses(run_ingest: Ingest, write_sarif: Write, good: Path) -> None:
    bad = write_sarif("bad.sarif", b"[]")
    code, out, err = run_ingest("sarif", good, bad, *META, "--json")
    assert code == 3
    report = json.loads(out)
    by_path = {f["path"]: f for f in report["files"]}
    assert set(by_path) == {str(good), str(bad)}
    assert by_path[str(good)]["status"] == "loaded"
    assert by_path[str(good)]["occurrences"] == GOOD_RESULTS
    assert by_path[str(good)]["reason"] is None
    assert by_path[str(bad)]["status"] == "rejected"
    assert "not a SARIF log" in by_path[str(bad)]["reason"]
    assert report["totals"]["rejected"] == 1
    assert report["totals"]["loaded"] == 1
    assert report["totals"]["occurrences"] == GOOD_RESULTS
    assert "Traceback" not in err

    code, out, _ = run_ingest("sarif", good, *META, "--json")
    assert code == 0
    again = json.loads(out)
    assert [f["status"] for f in again["files"]] == ["already loaded"]
    assert again["totals"]["already_loaded"] == 1


# -------------------------------------------------------------------------------------------- manifest
def test_manifest_rows_load_with_their_metadata(
    run_ingest: Ingest, sql: Sql, write_sarif: Write, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    a = write_sarif("backfill/a.sarif", sarif_log([result("A1"), result("A2")], tool="tool-a"))
    b_log = json.dumps(sarif_log([result("B1")], tool="tool-b")).encode()
    b = write_sarif("backfill/sub/b.sarif.gz", gzip.compress(b_log))
    c = write_sarif("backfill/c.sarif", sarif_log([result("C1")], tool="tool-c"))
    d = write_sarif("elsewhere/d.sarif", sarif_log([result("D1")], tool="tool-d"))
    manifest = tmp_path / "backfill" / "manifest.csv"
    rows = [
        ["a.sarif", "acme/web", "main", "abc123", "2024-01-02T03:04:05Z", "", ""],
        ["sub/b.sarif.gz", "acme/api", "release", "def456", "2024-02-03T10:00:00+02:00", "", ""],
        ["c.sarif", "acme/web", "main", "0123456", "yesterday", "", ""],
        [str(d), "acme/lib", "", "", "2024-05-06", "", ""],
    ]
    with manifest.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["path", "project", "branch", "commit", "scanned_at", "category", "source_root"])
        w.writerows(rows)

    code, out, err = run_ingest("manifest", manifest)
    assert code == 3, (out, err)
    assert_no_traceback(out, err, caplog)
    rejected = [line for line in err.splitlines() if ": rejected: " in line]
    assert len(rejected) == 1
    assert "yesterday" in rejected[0]
    assert "ISO 8601" in rejected[0]
    assert file_rows(sql, c) == 0
    assert sql("select count(*) from rejections") == [(1,)]

    scans = sql(
        "select f.path, s.project, s.branch, s.commit_sha, s.scanned_at, s.scanned_at_source "
        "from scans s join files f using (file_key) order by f.path"
    )
    got = {r[0]: r[1:5] for r in scans}
    assert got == {
        str(a): ("acme/web", "main", "abc123", datetime(2024, 1, 2, 3, 4, 5)),
        str(b): ("acme/api", "release", "def456", datetime(2024, 2, 3, 8, 0, 0)),
        str(d): ("acme/lib", "default", None, datetime(2024, 5, 6)),
    }
    assert occurrences_of(sql, a) == 2
    assert occurrences_of(sql, b) == 1
    assert occurrences_of(sql, d) == 1


# ---------------------------------------------------------------------- FIFOs, devices, extreme times
def _limit_memory() -> None:  # runs in the child before exec
    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))


def ingest_process(*args: str | Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``python -m ingest ARGS`` in a subprocess with a timeout and a memory cap: a FIFO that
    blocks or a /dev/zero that is read fails the test instead of hanging the suite."""
    return subprocess.run(
        [sys.executable, "-m", "ingest", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=_limit_memory,
    )


@pytest.fixture
def odd_files(tmp_path: Path) -> tuple[Path, Path]:
    """A FIFO and a link to /dev/zero, both with a name that promises a scan."""
    fifo = tmp_path / "odd" / "pipe.sarif"
    fifo.parent.mkdir()
    os.mkfifo(fifo)
    zero = tmp_path / "odd" / "zero.sarif"
    zero.symlink_to("/dev/zero")
    return fifo, zero


def test_fifo_and_device_arguments_are_named_for_what_they_are(
    odd_files: tuple[Path, Path], good: Path, tmp_path: Path
) -> None:
    """``ingest sarif`` called a FIFO "no such file or directory"; it is a FIFO, and a link to
    /dev/zero is a character device. Given directly or found in a folder, the good file loads."""
    fifo, zero = odd_files
    db = tmp_path / "f.duckdb"
    for args in ([fifo, zero, good], [fifo.parent, good]):
        done = ingest_process("sarif", *args, "--db", db, *META)
        assert done.returncode == 3, done.stderr
        assert f"{fifo}: rejected: not a regular file but a FIFO (named pipe)" in done.stderr
        assert f"{zero}: rejected: not a regular file but a character device" in done.stderr
        assert "Traceback" not in done.stderr
    assert "loaded 1 scan(s)" in ingest_process("sarif", good, "--db", tmp_path / "g.duckdb", *META).stdout


def test_manifest_that_is_a_fifo_or_a_device_is_a_usage_error(odd_files: tuple[Path, Path], tmp_path: Path) -> None:
    """Reading the manifest itself blocked on a FIFO and filled memory from /dev/zero."""
    for path, kind in zip(odd_files, ("a FIFO (named pipe)", "a character device"), strict=True):
        done = ingest_process("manifest", path, "--db", tmp_path / "m.duckdb")
        assert done.returncode == 2, done.stderr
        assert done.stderr.strip() == f"error: {path}: cannot read manifest: not a regular file but {kind}"


def test_manifest_rows_naming_a_fifo_or_a_far_time_reject_only_that_row(
    odd_files: tuple[Path, Path], good: Path, tmp_path: Path
) -> None:
    """A scanned_at in year 9999 (west of UTC: year 10000 in UTC) aborted the whole manifest with an
    OverflowError; a row naming a FIFO said "no such file". Each is that row's file, rejected with
    the reason; the other rows load."""
    fifo, _ = odd_files
    far = "9999-12-31T23:59:59-01:00"
    manifest = tmp_path / "m.csv"
    manifest.write_text(f"path,project,scanned_at\n{fifo},p,\n{good},p,{far}\n{good},q,2024-01-01T00:00:00Z\n")
    done = ingest_process("manifest", manifest, "--db", tmp_path / "m.duckdb")
    assert done.returncode == 3, done.stderr
    assert f"{fifo}: rejected: not a regular file but a FIFO (named pipe) (manifest line 2)" in done.stderr
    assert f"{good}: rejected: scanned_at '{far}' is outside 1970–2100 (manifest line 3)" in done.stderr
    assert f"{good}: loaded 1 scan(s), {GOOD_RESULTS} occurrence(s)" in done.stdout
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("kind", ["deployments", "incidents"])
def test_devops_files_that_are_fifos_or_devices_are_rejected(
    odd_files: tuple[Path, Path], tmp_path: Path, kind: str
) -> None:
    for path, what in zip(odd_files, ("a FIFO (named pipe)", "a character device"), strict=True):
        done = ingest_process(kind, path, "--db", tmp_path / "d.duckdb", "--project", "p")
        assert done.returncode == 3, done.stderr
        assert done.stderr.strip() == f"{path}: rejected: not a regular file but {what}"


def test_scanned_at_outside_1970_to_2100_is_a_usage_error(run_ingest: Ingest, good: Path) -> None:
    """Was an OverflowError traceback (year 9999 at −01:00 is year 10000 in UTC)."""
    for when in ("9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00", "2150-01-01T00:00:00Z"):
        done = ingest_process("sarif", good, "--scanned-at", when, "--db", good.parent / "x.duckdb")
        assert done.returncode == 2, done.stderr
        assert f"argument --scanned-at: '{when}' is outside 1970–2100" in done.stderr
        assert "Traceback" not in done.stderr
    code, _, err = run_ingest("sarif", good, "--scanned-at", "1980-06-01T00:00:00Z")  # in range: loads
    assert code == 0, err


def test_deployment_and_incident_times_outside_1970_to_2100_name_their_row(tmp_path: Path) -> None:
    """One such cell aborted the whole CSV with an OverflowError traceback; now it is a bad row,
    named by its line (or JSON item) like every other bad row."""
    deployments = tmp_path / "deployments.csv"
    deployments.write_text(
        "id,project,environment,started_at,finished_at,status,sha\n"
        "d1,p,production,2026-01-05T10:00:00Z,2026-01-05T10:05:00Z,success,abcdef1\n"
        "d2,p,production,9999-12-31T23:59:59-01:00,2026-01-05T10:05:00Z,success,abcdef1\n"
        "d3,p,production,1969-12-31T23:00:00Z,0001-01-01T00:00:00+01:00,success,abcdef1\n"
    )
    done = ingest_process("deployments", deployments, "--db", tmp_path / "d.duckdb")
    assert done.returncode == 3, done.stderr
    assert done.stderr.splitlines() == [
        f"{deployments}: rejected: 2 bad row(s):",
        "  line 3: started_at '9999-12-31T23:59:59-01:00' is outside 1970–2100",
        "  line 4: started_at '1969-12-31T23:00:00Z' is outside 1970–2100; "
        "finished_at '0001-01-01T00:00:00+01:00' is outside 1970–2100",
    ]
    incidents = tmp_path / "incidents.json"
    incidents.write_text(json.dumps([{"id": "i1", "project": "p", "created_at": "9999-12-31T23:59:59-01:00"}]))
    done = ingest_process("incidents", incidents, "--db", tmp_path / "d.duckdb")
    assert done.returncode == 3
    assert "item 1: created_at '9999-12-31T23:59:59-01:00' is outside 1970–2100" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_rejection_lists_the_first_20_bad_rows_and_counts_the_rest(tmp_path: Path) -> None:
    """A 200,000-row CSV of bad rows made a 200,000-line rejection (printed and stored)."""
    rows = "".join(f"d{i},p,production,never,never,success,abcdef1\n" for i in range(200_000))
    path = tmp_path / "bad.csv"
    path.write_text("id,project,environment,started_at,finished_at,status,sha\n" + rows)
    done = ingest_process("deployments", path, "--db", tmp_path / "d.duckdb")
    assert done.returncode == 3
    lines = done.stderr.splitlines()
    assert lines[0] == f"{path}: rejected: 200000 bad row(s):"
    assert lines[1].startswith("  line 2: started_at 'never' is not an ISO 8601 time")
    assert len(lines) == 22 and lines[-1] == "  … and 199,980 more bad row(s)"


def test_the_size_limit_holds_for_files_that_claim_size_0() -> None:
    """A /dev/zero behind a link, or a /proc file, says st_size 0: the limit was checked against
    that and the read went on without end. It is counted on the bytes read."""
    from core.errors import Rejected
    from ingest.reader import read_bytes

    status = Path("/proc/self/status")
    assert status.stat().st_size == 0 and len(status.read_bytes()) > 200
    with pytest.raises(Rejected, match="grew over the 100-byte limit while being read"):
        read_bytes(status, 100)
    assert read_bytes(status, 1 << 20).startswith(b"Name:")
    with pytest.raises(Rejected, match="not a regular file but a character device"):
        read_bytes(Path("/dev/zero"), 100)
