"""Identity (docs/definitions.md §4) and path normalisation: the same finding must be recognised across scans."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import hypothesis
import pytest

from ingest import identity
from ingest.identity import GLOBAL_PLACEHOLDERS, tool_fingerprint
from ingest.models import FingerprintSource, ScanMeta
from ingest.normalise.scans import normalise
from ingest.paths import PathContext, artifact_uri, to_repo_path
from ingest.reader import RawLog
from tests.conftest import result, sarif_log


def occurrences(log: dict[str, Any], tmp_path: Path, **meta: Any) -> list[Any]:
    path = tmp_path / "x.sarif"
    path.write_text("{}")
    parsed = normalise(RawLog(path, "0" * 64, 2, log), ScanMeta(project="p", **meta))
    return [o for scan in parsed.scans for o in scan.occurrences]


def with_snippet(r: dict[str, Any], text: str) -> dict[str, Any]:
    r["locations"][0]["physicalLocation"]["region"]["snippet"] = {"text": text}
    return r


def test_line_shift_keeps_identity_with_snippet(tmp_path: Path) -> None:
    before = occurrences(sarif_log([with_snippet(result("R", line=10), "  eval(x)")]), tmp_path)
    after = occurrences(sarif_log([with_snippet(result("R", line=40), "eval(x)\n")]), tmp_path)
    assert before[0].finding_id == after[0].finding_id
    assert before[0].fingerprint_source is FingerprintSource.SNIPPET


def test_line_shift_keeps_identity_with_message_only(tmp_path: Path) -> None:
    """Digits and quoted literals are dropped from the message: 'line 10' and 'line 40' match."""
    one = occurrences(sarif_log([result("R", line=10, message="Bad call at line 10 of 'a.py'")]), tmp_path)
    two = occurrences(sarif_log([result("R", line=40, message="Bad call at line 40 of 'a.py'")]), tmp_path)
    assert one[0].finding_id == two[0].finding_id
    assert one[0].fingerprint_source is FingerprintSource.MESSAGE


def test_different_paths_or_rules_are_different_findings(tmp_path: Path) -> None:
    occ = occurrences(sarif_log([result("R", "a.py"), result("R", "b.py"), result("S", "a.py")]), tmp_path)
    assert len({o.finding_id for o in occ}) == 3


def test_constant_tool_fingerprints_do_not_collapse(tmp_path: Path) -> None:
    """A scanner writing the same fingerprint on every result: ignored, computed ones used."""
    rs = [result("R", f"f{i}.py", i + 1, fingerprints={"id/v1": "deadbeef"}) for i in range(5)]
    occ = occurrences(sarif_log(rs), tmp_path)
    assert len({o.finding_id for o in occ}) == 5
    assert {o.fingerprint_source for o in occ} == {FingerprintSource.MESSAGE}


def test_semgrep_placeholder_is_ignored(tmp_path: Path) -> None:
    r = result("R", fingerprints={"matchBasedId/v1": "requires login"})
    occ = occurrences(sarif_log([r], tool="Semgrep OSS"), tmp_path)
    assert occ[0].fingerprint_source is FingerprintSource.MESSAGE
    assert "requires login" not in occ[0].fingerprint


def test_distinct_tool_fingerprints_are_used_and_survive_line_shifts(tmp_path: Path) -> None:
    one = occurrences(sarif_log([result("R", line=3, fingerprints={"k/v1": "aaa", "k/v2": "bbb"})]), tmp_path)
    two = occurrences(sarif_log([result("R", line=90, fingerprints={"k/v2": "bbb", "k/v1": "aaa"})]), tmp_path)
    assert one[0].fingerprint == "bbb"  # the highest-versioned key
    assert one[0].fingerprint_source is FingerprintSource.FINGERPRINTS
    assert one[0].finding_id == two[0].finding_id


def test_partial_fingerprints_all_keys_sorted(tmp_path: Path) -> None:
    r = result("R", partialFingerprints={"z": "2", "a": "1"})
    occ = occurrences(sarif_log([r]), tmp_path)
    assert occ[0].fingerprint == "a:1,z:2"
    assert occ[0].fingerprint_source is FingerprintSource.PARTIAL


def test_same_fingerprint_same_place_is_numbered_not_merged(tmp_path: Path) -> None:
    """Two identical results in one scan: both kept, the second gets '#2'."""
    occ = occurrences(sarif_log([result("R"), result("R")]), tmp_path)
    assert [o.fingerprint.endswith("#2") for o in occ] == [False, True]
    assert len({o.finding_id for o in occ}) == 2


def test_source_root_gives_line_shift_stable_identity(tmp_path: Path) -> None:
    """Ruff-style: absolute file URIs, no snippet, no fingerprint, message mentions nothing useful."""
    src = tmp_path / "repo"
    src.mkdir()
    code = "import os\n\ndef f(x):\n    return eval(x)\n"
    (src / "app.py").write_text(code)
    uri = (src / "app.py").as_uri()

    def ruff_result(line: int) -> dict[str, Any]:
        r = result("S307", uri, line, message="Use of possibly insecure function")
        return r

    first = occurrences(
        sarif_log([ruff_result(4), result("F401", uri, 1)], tool="ruff"), tmp_path, source_root=str(src)
    )
    (src / "app.py").write_text("# comment\n" * 30 + code)
    second = occurrences(sarif_log([ruff_result(34)], tool="ruff"), tmp_path, source_root=str(src))
    assert first[0].path == "app.py"
    assert first[0].fingerprint_source is FingerprintSource.SOURCE
    assert first[0].finding_id == second[0].finding_id
    # and a different line of code at the same place is a different finding
    (src / "app.py").write_text("# comment\n" * 30 + code.replace("eval(x)", "eval(x + 1)"))
    third = occurrences(sarif_log([ruff_result(34)], tool="ruff"), tmp_path, source_root=str(src))
    assert third[0].finding_id != first[0].finding_id


def test_source_root_never_reads_outside_the_root(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("top secret\n")
    root = tmp_path / "repo"
    root.mkdir()
    occ = occurrences(sarif_log([result("R", "../secret.txt", 1)]), tmp_path, source_root=str(root))
    assert occ[0].fingerprint_source is FingerprintSource.MESSAGE


def test_tool_fingerprint_object_values_are_unusable() -> None:
    """Black Duck's sample writes objects as fingerprint values (a schema violation)."""
    assert tool_fingerprint({"fingerprints": {"a": {"x": 1}}}, frozenset()) is None
    assert "requires login" in GLOBAL_PLACEHOLDERS


# ---------------------------------------------------------------------------------- paths
@pytest.mark.parametrize(
    ("uri", "source_root", "expected"),
    [
        ("file:///home/runner/work/shop/shop/src/app.py", None, "src/app.py"),
        ("file:///github/workspace/src/app.py", None, "src/app.py"),
        ("file:///builds/team/shop/src/app.py", None, "src/app.py"),
        ("file:///home/vsts/work/1/s/src/app.py", None, "src/app.py"),
        ("file:///var/lib/jenkins/workspace/shop-build/src/app.py", None, "src/app.py"),
        ("file:///D:/a/1/s/src/App.cs", None, "src/App.cs"),
        ("file:///opt/ci/checkout/src/app.py", "/opt/ci/checkout", "src/app.py"),
        ("file:///opt/ci/checkout/src/app.py", "file:///opt/ci/checkout/", "src/app.py"),
        ("file:///C:/work/proj/src/a%20b.cs", "C:\\work\\proj", "src/a b.cs"),
        ("./src/./lib/../app.py", None, "src/app.py"),
        ("src\\win\\app.py", None, "src/win/app.py"),
        ("file:/example/polyspace.c", None, "/example/polyspace.c"),
        ("file://notAvailable.ext", None, "notAvailable.ext"),
        ("https://example.org/page", None, "https://example.org/page"),
        ("", None, ""),
    ],
)
def test_repo_paths(uri: str, source_root: str | None, expected: str) -> None:
    assert to_repo_path(uri, PathContext(source_root=source_root)) == expected


def test_uri_base_id_chain_and_artifact_index() -> None:
    ctx = PathContext(
        original_uri_base_ids={
            "ROOT": {"uri": "file:///home/runner/work/shop/shop/"},
            "SRC": {"uri": "src/", "uriBaseId": "ROOT"},
        },
        artifacts=[{"location": {"uri": "lib/x.py", "uriBaseId": "SRC"}}],
    )
    assert to_repo_path(artifact_uri({"uri": "app.py", "uriBaseId": "SRC"}, ctx), ctx) == "src/app.py"
    assert to_repo_path(artifact_uri({"index": 0}, ctx), ctx) == "src/lib/x.py"
    # an undefined base id (semgrep's %SRCROOT%) is simply ignored
    assert to_repo_path(artifact_uri({"uri": "a.py", "uriBaseId": "%SRCROOT%"}, ctx), ctx) == "a.py"
    # a cycle does not hang
    loop = PathContext(original_uri_base_ids={"A": {"uri": "a/", "uriBaseId": "A"}})
    assert to_repo_path(artifact_uri({"uri": "x.py", "uriBaseId": "A"}, loop), loop).endswith("a/x.py")


@hypothesis.given(
    hypothesis.strategies.text(
        alphabet=hypothesis.strategies.sampled_from(list(" \t\n\r\x0b\x0c\x1c\x1f\x85\xa0\u2000\u2028\u3000ab1'\"é"))
    )
)
def test_whitespace_normalisation_is_the_spec_regex(text: str) -> None:
    """The split-based normalisers equal the regex definitions (``\\s+`` removed / collapsed)."""
    assert identity.normalise_snippet(text) == re.sub(r"\s+", "", text)
    stripped = identity._DIGITS_RE.sub("", identity._QUOTED_RE.sub("", text))
    assert identity.normalise_message(text) == re.sub(r"\s+", " ", stripped).strip()


def _leak(path: str, line: int, secret: str) -> dict[str, Any]:
    commit = {"commitSha": "9f3c2a1", "email": "ana@example.com", "author": "Ana", "date": "2026-03-02T10:00:00Z",
              "commitMessage": "add config"}  # fmt: skip
    region = {"startLine": line, "snippet": {"text": secret}}
    return result("generic-api-key", path, line, partialFingerprints=commit,
                  locations=[{"physicalLocation": {"artifactLocation": {"uri": path}, "region": region}}])  # fmt: skip


def test_gitleaks_sibling_leaks_keep_their_identity_when_one_is_fixed(tmp_path: Path) -> None:
    """gitleaks' partialFingerprints are the commit's metadata: two leaks of one commit share them.
    They must not decide identity, or the survivor's id flips when its sibling is fixed (its value
    stops repeating) and it looks fixed and new again."""
    both = occurrences(sarif_log([_leak("a.env", 3, "KEY=abc123"), _leak("b.env", 7, "KEY=zzz999")],
                                 tool="gitleaks"), tmp_path)  # fmt: skip
    one = occurrences(sarif_log([_leak("b.env", 7, "KEY=zzz999")], tool="gitleaks"), tmp_path)
    assert len({o.finding_id for o in both}) == 2
    assert one[0].finding_id == both[1].finding_id
    assert one[0].fingerprint_source is FingerprintSource.SNIPPET


# --- block-snippet scanners ---------------------------------------------------------------------
def block(rule: str, body: str, line: int, path: str = "main.tf", **extra: Any) -> dict[str, Any]:
    return with_snippet(result(rule, path, line, message=f"Ensure {rule}", **extra), body)


def scans_of(log: dict[str, Any], tmp_path: Path) -> list[Any]:
    path = tmp_path / "x.sarif"
    path.write_text("{}")
    return list(normalise(RawLog(path, "0" * 64, 2, log), ScanMeta(project="p")).scans)


def test_checkov_identity_is_the_block_address_not_its_body(tmp_path: Path) -> None:
    """A line added inside the flagged block, and every line moved: the same finding. Another
    resource in the same file with the same check: another finding."""
    before = block("CKV_AWS_18", 'resource "aws_s3_bucket" "logs" {\n  bucket = "x"\n}\n', 3)
    after = block("CKV_AWS_18", 'resource "aws_s3_bucket" "logs" {\n  region = var.region\n  bucket = "x"\n}\n', 9)
    other = block("CKV_AWS_18", 'resource "aws_s3_bucket" "data" {\n  bucket = "x"\n}\n', 20)
    one = occurrences(sarif_log([before, other], tool="Checkov"), tmp_path)
    two = occurrences(sarif_log([after, other], tool="Checkov"), tmp_path)
    assert one[0].finding_id == two[0].finding_id and one[1].finding_id == two[1].finding_id
    assert one[0].finding_id != one[1].finding_id
    assert {o.fingerprint_source for o in one + two} == {FingerprintSource.ADDRESS}
    # the same blocks from a tool without the hook: the body is the identity, as before
    generic = occurrences(sarif_log([before], tool="other"), tmp_path)
    changed = occurrences(sarif_log([after], tool="other"), tmp_path)
    assert generic[0].finding_id != changed[0].finding_id
    assert generic[0].fingerprint_source is FingerprintSource.SNIPPET


def test_checkov_without_an_address_keeps_the_snippet_and_tool_values_win(tmp_path: Path) -> None:
    docker = block("CKV_DOCKER_7", "FROM python:latest\n", 1, path="Dockerfile")
    tagged = block("CKV_AWS_18", 'resource "aws_s3_bucket" "logs" {\n}\n', 1, fingerprints={"id/v1": "abc"})
    occ = occurrences(sarif_log([docker, tagged], tool="Checkov"), tmp_path)
    assert [o.fingerprint_source for o in occ] == [FingerprintSource.SNIPPET, FingerprintSource.FINGERPRINTS]


def test_checkov_repeats_are_one_occurrence_other_tools_keep_theirs(tmp_path: Path) -> None:
    """Checkov writes a module's result once per module call, byte for byte: one occurrence, the
    copies skipped with the reason. A near copy (another line) is not a repeat. Other tools' exact
    repeats stay two occurrences (``#2``), as docs/definitions.md §4 says."""
    r = block("CKV_AWS_18", 'resource "aws_s3_bucket" "logs" {\n}\n', 3)
    moved = block("CKV_AWS_18", 'resource "aws_s3_bucket" "logs" {\n}\n', 4)
    (scan,) = scans_of(sarif_log([r, dict(r), r, moved], tool="Checkov"), tmp_path)
    assert scan.results_total == 4
    assert [o.result_index for o in scan.occurrences] == [0, 3]
    assert [(s.result_index, s.reason) for s in scan.skipped] == [
        (1, "repeats result 0 byte for byte"),
        (2, "repeats result 0 byte for byte"),
    ]
    assert scan.occurrences[1].fingerprint.endswith("#2")  # same address and rule, another result
    (generic,) = scans_of(sarif_log([r, dict(r)], tool="other"), tmp_path)
    assert [o.fingerprint.endswith("#2") for o in generic.occurrences] == [False, True]
    assert generic.skipped == ()


def test_kics_identity_survives_a_changed_value(tmp_path: Path) -> None:
    """KICS writes no snippet; its message names the resource and the value found."""
    one = result("q-uuid", "main.tf", 4, message="aws_s3_bucket[logs].acl is public-read")
    two = result("q-uuid", "main.tf", 7, message="aws_s3_bucket[logs].acl is authenticated-read")
    a, b = (occurrences(sarif_log([r], tool="KICS"), tmp_path)[0] for r in (one, two))
    assert a.finding_id == b.finding_id and a.fingerprint_source is FingerprintSource.ADDRESS
