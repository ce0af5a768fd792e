"""Identity (docs/definitions.md §4) on real scanner output: which results keep the tool's fingerprint, which get a
computed one, and that line moves and repeated snippets never merge or split findings.

The files and helpers are in ``tests/golden_support.py``; what each result becomes field by field is
in ``test_golden.py``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ingest.models import ScanMeta
from ingest.normalise.scans import normalise
from ingest.reader import load_log
from tests.golden_support import (
    CODEQL_254,
    FLAWFINDER_19,
    SEMGREP_CI,
    SEMGREP_E2E,
    SEMGREP_OSS,
    SHELL,
    SNYK_CODE,
    assert_distinct_finding_ids,
    corpus_marks,
    occurrence,
    parse,
    partial,
    sarif_file,
    scan_of,
)


def _spec_tool_value(result: dict[str, Any]) -> tuple[str, str] | None:
    """The tool's own value (docs/definitions.md §4: fingerprints, then partialFingerprints) worked
    out by hand from a raw result: (source, value), or None without either."""
    fps = result.get("fingerprints")
    if fps:

        def version(key: str) -> tuple[int, str]:
            head, _, tail = key.rpartition("/v")
            return (int(tail), key) if head and tail.isdigit() else (0, key)

        return "fingerprints", fps[max(sorted(fps), key=version)]
    if result.get("partialFingerprints"):
        return "partialFingerprints", partial(**result["partialFingerprints"])
    return None


def _raw_place(result: dict[str, Any]) -> tuple[str, str, int | None]:
    physical = result["locations"][0]["physicalLocation"]
    return result["ruleId"], physical["artifactLocation"]["uri"], physical.get("region", {}).get("startLine")


@dataclass(frozen=True, kw_only=True)
class ToolValueSplit:
    """The results of one scan whose tool value repeats at another (rule, path, line) of the scan:
    those alone get a computed fingerprint (docs/definitions.md §4), by snippet when the region has one, else by
    message; every other result keeps the tool's value."""

    file: str
    tool: str
    kept_source: str  # where the kept tool values come from: "fingerprints" or "partialFingerprints"
    computed_source: str  # "computed:snippet" or "computed:message"
    computed: frozenset[int]  # the result indices that get a computed fingerprint


TOOL_VALUE_SPLITS = [
    # CodeQL 2.5.4 (vulpy): bad/ and good/ hold near-identical copies, so the line hash repeats across
    # the pairs (0, 2) … (69, 70); 12 and 31 are two rules (unused-import, import-own-module) at
    # bad/libuser.py:2. The snippet is only in contextRegion → computed from the message.
    ToolValueSplit(
        file=CODEQL_254,
        tool="codeql",
        kept_source="partialFingerprints",
        computed_source="computed:message",
        computed=frozenset(
            {
                0,
                2,
                1,
                3,
                12,
                31,
                17,
                18,
                25,
                26,
                27,
                28,
                33,
                36,
                34,
                37,
                35,
                38,
                39,
                40,
                41,
                47,
                45,
                46,
                53,
                54,
                57,
                58,
                61,
                62,
                66,
                67,
                69,
                70,
            }
        ),
    ),
    # SnykCode: the highest key "1" (of "0"/"1") is a fuzzy hash shared by copies of one bundle:
    # sander dist/es6 + dist/es (3, 4), es + es6 + src (6, 7, 8), vite-plugin-svelte dist + src (10, 11).
    ToolValueSplit(
        file=SNYK_CODE,
        tool="snyk-code",
        kept_source="fingerprints",
        computed_source="computed:message",
        computed=frozenset({3, 4, 6, 7, 8, 10, 11}),
    ),
    # Flawfinder 2.0.19 hashes the line text: the same text twice in one file (param.cc:29/:75,
    # data.cc:1051/:1059, io.cc:31/:48, io.cc:61/:137).
    ToolValueSplit(
        file=FLAWFINDER_19,
        tool="flawfinder",
        kept_source="fingerprints",
        computed_source="computed:snippet",
        computed=frozenset({0, 1, 5, 6, 20, 22, 24, 29}),
    ),
    # ShiftLeft's shell wrapper: one value for rules 2072 and 1035 at dojo-shared-resources.sh:143
    # (2, 9, 12, 15, 16, 21, 24), setup/…:142 (5, 6) and common-os.sh:130 (19, 20). Rule 2077's values
    # repeat too, but always at the same rule, file and line (3, 10, 13, …) → kept.
    ToolValueSplit(
        file=SHELL,
        tool="shell-script-analysis",
        kept_source="partialFingerprints",
        computed_source="computed:snippet",
        computed=frozenset({2, 5, 6, 9, 12, 15, 16, 19, 20, 21, 24}),
    ),
]


@pytest.mark.parametrize(
    "split",
    [
        pytest.param(split, id=f"{split.tool}-{Path(split.file).stem}", marks=corpus_marks(split.file))
        for split in TOOL_VALUE_SPLITS
    ],
)
def test_only_repeated_tool_values_are_replaced(split: ToolValueSplit) -> None:
    """docs/definitions.md §4: a tool value is ignored only for the results that share it at different places.

    Which results keep the tool's value is checked here; the exact kept values are in the golden
    table and the tests below."""
    raw = json.loads(sarif_file(split.file).read_bytes())["runs"][0]["results"]
    # the raw file bears the split out: a computed result's value occurs at another place; a kept
    # result's value occurs nowhere else, or only at the same rule, file and line
    places: dict[tuple[str, str], set[tuple[str, str, int | None]]] = {}
    for result in raw:
        value = _spec_tool_value(result)
        if value is not None:  # flawfinder 2.0.19 #52, kind "pass", has neither location nor value
            places.setdefault(value, set()).add(_raw_place(result))
    scan = scan_of(parse(split.file), split.tool)
    assert split.computed <= {o.result_index for o in scan.occurrences}
    for occ in scan.occurrences:
        value = _spec_tool_value(raw[occ.result_index])
        assert value is not None and value[0] == split.kept_source, occ.result_index
        if occ.result_index in split.computed:
            assert len(places[value]) > 1, occ.result_index
            assert occ.fingerprint_source.value == split.computed_source, occ.result_index
            assert value[1] not in occ.fingerprint
        else:
            assert len(places[value]) == 1, occ.result_index
            assert occ.fingerprint_source.value == split.kept_source, occ.result_index
    assert_distinct_finding_ids(scan)


def test_shell_script_repeated_values_and_order_suffixes() -> None:
    """ShiftLeft's shell-script wrapper reports some lines several times, under one or two rules."""
    scan = scan_of(parse(SHELL), "shell-script-analysis")
    raw = json.loads(sarif_file(SHELL).read_bytes())["runs"][0]["results"]
    # result 5 (rule 1035) and 6 (rule 2072) share one value set at one place; results 2, 9, 12, …
    # (rule 2072) and 15 (rule 1035) share another → both sets are ignored
    assert raw[5]["partialFingerprints"] == raw[6]["partialFingerprints"]
    assert raw[5]["ruleId"] != raw[6]["ruleId"]
    assert raw[2]["partialFingerprints"] == raw[15]["partialFingerprints"]
    # same rule + path + snippet (2, 9, 12, 16, 21, 24: one line reported six times) → order suffixes
    same = [occurrence(scan, i) for i in (2, 9, 12, 16, 21, 24)]
    assert {o.fingerprint_source.value for o in same} == {"computed:snippet"}
    base = same[0].fingerprint
    assert [o.fingerprint for o in same] == [base, *(f"{base}#{n}" for n in range(2, 7))]
    # rule 2077 at dojo-shared-resources.sh:410 six times with one value set: trusted (it repeats at
    # one place only) and told apart by order, like the line :412 with its own value set
    for indices, line_hash, line in (
        ((3, 10, 13, 17, 22, 25), "e65e9fa644d89079", 410),
        ((4, 11, 14, 18, 23, 26), "8cc16cd3309ad473", 412),
    ):
        value = partial(scanFileHash="4ee28649c65c392d", scanPrimaryLocationHash=line_hash)
        occs = [occurrence(scan, i) for i in indices]
        assert {(o.rule_id, o.path, o.start_line, o.fingerprint_source.value) for o in occs} == {
            ("2077", "entrypoint_scripts/common/dojo-shared-resources.sh", line, "partialFingerprints")
        }
        assert [o.fingerprint for o in occs] == [value, *(f"{value}#{n}" for n in range(2, 7))]
    # the same rule's values in the setup/ copy (another scanFileHash) occur once each
    assert occurrence(scan, 7).fingerprint == partial(
        scanFileHash="5b05533780915bfc", scanPrimaryLocationHash="e65e9fa644d89079"
    )
    assert_distinct_finding_ids(scan)
    assert len(scan.occurrences) == 27


def test_unique_tool_fingerprint_kept_when_others_repeat() -> None:
    """Result 0's value set occurs once: it keeps it, although other value sets of the scan repeat."""
    scan = scan_of(parse(SHELL), "shell-script-analysis")
    occ = occurrence(scan, 0)
    assert occ.fingerprint_source.value == "partialFingerprints"
    assert occ.fingerprint == partial(scanFileHash="f196e70ba8d8dace", scanPrimaryLocationHash="47f57f9669991906")
    assert (occ.rule_id, occ.severity.value, occ.severity_source.value, occ.tool_severity) == (
        "2076",
        "low",
        "tool",
        "LOW",
    )
    # file:///home/damien/dd/docker/setEnv.sh under the run's workingDirectory file:///home/damien/dd
    assert (occ.path, occ.start_line, occ.cwes) == ("docker/setEnv.sh", 134, ())


@pytest.mark.corpus
def test_flawfinder_repeated_context_hash_gets_computed_fingerprints() -> None:
    """Flawfinder 2.0.19 hashes the line text: results 0/1 (param.cc:29 and :75, same text) share it."""
    scan = scan_of(parse(FLAWFINDER_19), "flawfinder")
    a, b = occurrence(scan, 0), occurrence(scan, 1)
    assert (a.rule_id, a.path, a.start_line) == ("FF1048", "src/tree/param.cc", 29)
    assert (b.rule_id, b.path, b.start_line) == ("FF1048", "src/tree/param.cc", 75)
    assert a.fingerprint_source.value == b.fingerprint_source.value == "computed:snippet"
    assert b.fingerprint == a.fingerprint + "#2"
    assert a.finding_id != b.finding_id
    assert_distinct_finding_ids(scan)


@pytest.mark.corpus
def test_semgrep_identical_snippets_stay_distinct_findings() -> None:
    """semgrep-ci-autofix: ``a == a`` at foo.py:4, :5 and :7 — one computed value, told apart by order."""
    scan = scan_of(parse(SEMGREP_CI), "semgrep")
    first, second, third = (occurrence(scan, i) for i in (0, 1, 3))
    assert {o.fingerprint_source.value for o in (first, second, third)} == {"computed:snippet"}
    assert (second.fingerprint, third.fingerprint) == (first.fingerprint + "#2", first.fingerprint + "#3")
    assert [o.start_line for o in (first, second, third)] == [4, 5, 7]
    # "a == a  # nosemgrep" is another snippet, and suppressed in source
    nosemgrep = occurrence(scan, 2)
    assert nosemgrep.fingerprint.split("#")[0] != first.fingerprint
    assert (nosemgrep.suppressed, nosemgrep.suppression_kind) == (True, "inSource")
    assert (first.severity.value, first.severity_source.value) == ("high", "level")
    assert_distinct_finding_ids(scan)


@pytest.mark.corpus
def test_checkov_same_check_on_four_resources_is_four_findings() -> None:
    scan = scan_of(parse("checkov/sast-tool-testing-checkov-2.0.418.sarif"), "checkov")
    same = [occurrence(scan, i) for i in (0, 4, 9, 15)]
    assert {(o.rule_id, o.path, o.message) for o in same} == {
        ("CKV_AWS_16", "aws/aws_db_instance.tf", "Ensure all data stored in the RDS is securely encrypted at rest")
    }
    assert [o.start_line for o in same] == [5, 17, 27, 40]
    assert_distinct_finding_ids(scan)


@pytest.mark.corpus
def test_semgrep_requires_login_placeholder_is_not_used(tmp_path: Path) -> None:
    """No corpus file carries the placeholder; derive one from real Semgrep OSS output (docs/definitions.md §4)."""
    doc = json.loads(sarif_file(SEMGREP_E2E).read_bytes())
    for result in doc["runs"][0]["results"]:
        assert "matchBasedId/v1" in result["fingerprints"]
        result["fingerprints"]["matchBasedId/v1"] = "requires login"
    variant = tmp_path / "semgrep-logged-out.sarif"
    variant.write_text(json.dumps(doc), encoding="utf-8")
    scan = scan_of(normalise(load_log(variant), ScanMeta(project="p")), "semgrep")
    assert len(scan.occurrences) == 2
    for occ in scan.occurrences:
        assert occ.fingerprint_source.value == "computed:snippet"
        assert "requires login" not in occ.fingerprint
    assert_distinct_finding_ids(scan)
    # the untouched file keeps Semgrep's own value
    original = occurrence(scan_of(parse(SEMGREP_E2E), "semgrep"), 0)
    assert original.fingerprint_source.value == "fingerprints"
    assert original.fingerprint.endswith("_0")


@pytest.mark.corpus
def test_semgrep_oss_real_fingerprints_all_kept() -> None:
    """Semgrep OSS 1.69 (logged in): 77 distinct matchBasedId/v1 values, all trusted."""
    scan = scan_of(parse(SEMGREP_OSS), "semgrep")
    assert {o.fingerprint_source.value for o in scan.occurrences} == {"fingerprints"}
    assert_distinct_finding_ids(scan)


def test_codeql_fingerprinting_fixture_first_result() -> None:
    """codeql-action's fingerprinting fixture: a single-key partialFingerprints."""
    scan = scan_of(parse("codeql/codeql-action-fingerprinting-expected.sarif"), "codeql")
    first = occurrence(scan, 0)
    assert (first.path, first.start_line) == ("testFile1.js", 1)
    assert first.fingerprint == partial(primaryLocationLineHash="5e4d5a9cf1294ad9:1")


def _shift_lines(node: Any, by: int) -> None:
    """Move every region of a parsed SARIF document ``by`` lines down (in place)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("startLine", "endLine") and isinstance(value, int):
                node[key] = value + by
            else:
                _shift_lines(value, by)
    elif isinstance(node, list):
        for item in node:
            _shift_lines(item, by)


@pytest.mark.parametrize(
    ("rel", "tool"),
    [
        ("cppcheck/defectdojo-cppcheck-2.17.1-many.sarif", "cppcheck"),  # computed:message
        (SHELL, "shell-script-analysis"),  # partialFingerprints and computed:snippet, with order suffixes
        ("flawfinder/defectdojo-flawfinder-2.0.20-many.sarif", "flawfinder"),  # tool fingerprints
        ("codeql/codeql-action-valid-sarif-2runs.sarif", "codeql"),  # partialFingerprints
    ],
)
def test_line_shift_keeps_identity(rel: str, tool: str, tmp_path: Path) -> None:
    """docs/definitions.md §4: line numbers never enter the fingerprint — unrelated code moving a file
    down keeps ids."""
    doc = json.loads(sarif_file(rel).read_bytes())
    _shift_lines(doc, 10)
    moved = tmp_path / Path(rel).name
    moved.write_text(json.dumps(doc), encoding="utf-8")
    before = scan_of(parse(rel), tool)
    after = scan_of(normalise(load_log(moved), ScanMeta(project="p")), tool)
    assert [o.start_line + 10 for o in before.occurrences if o.start_line] == [
        o.start_line for o in after.occurrences if o.start_line
    ]
    assert [(o.finding_id, o.fingerprint) for o in after.occurrences] == [
        (o.finding_id, o.fingerprint) for o in before.occurrences
    ]
