"""docs/definitions.md §3 on hand-written results, one rule per test."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.severity import Severity
from ingest.models import ScanMeta, SeveritySource
from ingest.normalise.scans import normalise
from ingest.reader import RawLog
from tests.conftest import result, sarif_log


def parse(log: dict[str, Any], tmp_path: Path, **meta: Any) -> Any:
    path = tmp_path / "x.sarif"
    path.write_text("{}")
    return normalise(RawLog(path, "0" * 64, 2, log), ScanMeta(**({"project": "p"} | meta)))


def occ(log: dict[str, Any], tmp_path: Path) -> list[Any]:
    return [o for s in parse(log, tmp_path).scans for o in s.occurrences]


def rule(rid: str, **extra: Any) -> dict[str, Any]:
    return {"id": rid, **extra}


def test_kind_and_baseline_filter(tmp_path: Path) -> None:
    log = sarif_log(
        [
            result("A"),
            result("B", kind="pass"),
            result("C", kind="notApplicable"),
            result("D", baselineState="absent"),
            result("E", baselineState="new", kind="fail"),
        ]
    )
    parsed = parse(log, tmp_path)
    assert [o.rule_id for o in parsed.scans[0].occurrences] == ["A", "E"]
    assert len(parsed.scans[0].skipped) == 3
    assert parsed.scans[0].results_total == 5


def test_rule_lookup_by_id_index_and_extension(tmp_path: Path) -> None:
    log = sarif_log([{"ruleIndex": 1, "message": {"text": "m"}}, {"rule": {"id": "X9"}, "message": {"text": "m"}}])
    log["runs"][0]["tool"]["driver"]["rules"] = [rule("R0"), rule("R1")]
    log["runs"][0]["results"].append({"rule": {"index": 0, "toolComponent": {"index": 0}}, "message": {"text": "m"}})
    log["runs"][0]["tool"]["extensions"] = [{"name": "pack", "rules": [rule("EXT0")]}]
    assert [o.rule_id for o in occ(log, tmp_path)] == ["R1", "X9", "EXT0"]


def test_level_resolution_order(tmp_path: Path) -> None:
    log = sarif_log(
        [
            result("A", level="note"),  # result level wins
            result("B"),  # run override → error
            result("C"),  # rule default → note
            result("D"),  # nothing → warning
        ],
        invocations=[
            {
                "executionSuccessful": True,
                "ruleConfigurationOverrides": [{"descriptor": {"id": "B"}, "configuration": {"level": "error"}}],
            }
        ],
    )
    log["runs"][0]["tool"]["driver"]["rules"] = [rule("C", defaultConfiguration={"level": "note"})]
    got = {o.rule_id: (o.level, o.severity) for o in occ(log, tmp_path)}
    assert got == {
        "A": ("note", Severity.LOW),
        "B": ("error", Severity.HIGH),
        "C": ("note", Severity.LOW),
        "D": ("warning", Severity.MEDIUM),
    }


def test_security_severity_thresholds_and_precedence(tmp_path: Path) -> None:
    scores = {"A": "9.0", "B": "8.99", "C": "7.0", "D": "4.0", "E": "3.9", "F": "0.1", "G": "0"}
    rs = [result(k, level="note", properties={"security-severity": v}) for k, v in scores.items()]
    rs.append(result("H", level="error", properties={"security-severity": "NaN"}))
    rs.append(result("I", level="error"))  # rule property used when the result has none
    log = sarif_log(rs)
    log["runs"][0]["tool"]["driver"]["rules"] = [rule("I", properties={"security-severity": "9.8"})]
    got = {o.rule_id: (o.severity.value, o.severity_source) for o in occ(log, tmp_path)}
    assert {k: v[0] for k, v in got.items()} == {
        "A": "critical",
        "B": "high",
        "C": "high",
        "D": "medium",
        "E": "low",
        "F": "low",
        "G": "info",
        "H": "high",
        "I": "critical",
    }
    assert got["H"][1] is SeveritySource.LEVEL and got["A"][1] is SeveritySource.SECURITY_SEVERITY


def test_tool_word_via_adapter(tmp_path: Path) -> None:
    r = result("B602", properties={"issue_severity": "LOW", "issue_confidence": "HIGH"})
    o = occ(sarif_log([r], tool="Bandit"), tmp_path)[0]
    assert (o.severity, o.severity_source, o.tool_severity) == (Severity.LOW, SeveritySource.TOOL, "LOW")


def test_cwe_from_every_source(tmp_path: Path) -> None:
    log = sarif_log(
        [
            result(
                "A",
                properties={"cwe": ["CWE-22"], "tags": ["external/cwe/cwe-079"]},
                taxa=[{"id": "89", "toolComponent": {"name": "CWE"}}],
            )
        ]
    )
    log["runs"][0]["tool"]["driver"]["rules"] = [
        rule(
            "A",
            properties={"tags": ["security", "CWE-78: OS command injection", "external/cwe/cwe-0"]},
            relationships=[{"target": {"id": "352", "toolComponent": {"name": "CWE"}}}],
        )
    ]
    o = occ(log, tmp_path)[0]
    assert o.cwes == ("CWE-352", "CWE-78", "CWE-22", "CWE-79", "CWE-89")
    assert o.cwe == "CWE-352"


def test_message_templates(tmp_path: Path) -> None:
    log = sarif_log(
        [
            {"ruleId": "A", "message": {"id": "default", "arguments": ["x", "42"]}},
            {"ruleId": "A", "message": {"text": "literal {0}", "arguments": ["y"]}},
            {"ruleId": "A"},
        ]
    )
    log["runs"][0]["tool"]["driver"]["rules"] = [
        rule("A", messageStrings={"default": {"text": "Variable '{0}' is {1} {2}"}}, shortDescription={"text": "Short"})
    ]
    assert [o.message for o in occ(log, tmp_path)] == ["Variable 'x' is 42 {2}", "literal y", "Short"]


def test_suppression_statuses(tmp_path: Path) -> None:
    rs = [
        result("A", suppressions=[{"kind": "inSource"}]),
        result("B", suppressions=[{"kind": "external", "status": "accepted"}]),
        result("C", suppressions=[{"kind": "external", "status": "underReview"}]),
        result("D", suppressions=[{"kind": "external", "status": "rejected"}]),
        result("E", suppressions=[]),
    ]
    assert [o.suppressed for o in occ(sarif_log(rs), tmp_path)] == [True, True, False, False, False]


def test_metadata_fallbacks_and_provenance(tmp_path: Path) -> None:
    log = sarif_log(
        [result("A")],
        versionControlProvenance=[
            {"repositoryUri": "https://github.com/acme/shop.git", "branch": "refs/heads/dev", "revisionId": "abc123"}
        ],
        invocations=[{"startTimeUtc": "2026-03-01T10:00:00Z", "endTimeUtc": "2026-03-01T10:05:00+02:00"}],
        automationDetails={"id": "codeql/analyze/run-42"},
    )
    scan = parse(log, tmp_path, project=None).scans[0]
    assert (scan.project, scan.branch, scan.commit, scan.category) == ("acme/shop", "dev", "abc123", "codeql/analyze")
    assert scan.scanned_at.isoformat() == "2026-03-01T08:05:00"
    assert scan.scanned_at_source == "sarif"
    bare = parse(sarif_log([result("A")]), tmp_path, project=None)
    assert bare.scans[0].project == tmp_path.name and bare.scans[0].branch == "default"
    assert bare.scans[0].scanned_at_source == "file-mtime"
    assert any("folder name" in w for w in bare.warnings) and any("modification time" in w for w in bare.warnings)


def test_run_without_results_is_not_a_scan(tmp_path: Path) -> None:
    log = sarif_log([])
    del log["runs"][0]["results"]
    parsed = parse(log, tmp_path)
    assert parsed.scans == () and "did not complete" in parsed.warnings[0]


def test_tool_name_drift_lands_on_one_key(tmp_path: Path) -> None:
    keys = {parse(sarif_log([], tool=name), tmp_path).scans[0].tool for name in ("Grype", "grype", " grype ")}
    assert keys == {"grype"}
    assert parse(sarif_log([], tool="Semgrep OSS"), tmp_path).scans[0].tool == "semgrep"


def test_huge_identifiers_are_capped(tmp_path: Path) -> None:
    """A 100k-character rule id, URI, tool name, branch or category is stored cut (and marked)."""
    big = "x" * 100_000
    log = sarif_log([result(big, f"src/{big}.py")], tool=f"tool-{big}")
    run = log["runs"][0]
    run["versionControlProvenance"] = [{"repositoryUri": f"https://example.com/o/{big}", "branch": big}]
    run["automationDetails"] = {"id": f"{big}/run-1"}
    path = tmp_path / "x.sarif"
    path.write_text("{}")
    parsed = normalise(RawLog(path, "0" * 64, 2, log), ScanMeta())
    scan = parsed.scans[0]
    o = scan.occurrences[0]
    assert len(o.rule_id) == 512 and o.rule_id[-17] == "…"
    assert len(o.path) == 4096 and len(o.uri or "") == 4096 and o.path[-17] == "…"
    for value in (scan.project, scan.branch, scan.tool, scan.tool_name, scan.category):
        assert len(value) <= 512, value[:40]
    assert scan.rules[0].rule_id == o.rule_id


def test_paths_resolve_afresh_when_base_ids_or_source_root_differ(tmp_path: Path) -> None:
    """Resolved paths are memoised across files of a process: the same URI and base id must still
    resolve by each run's own ``originalUriBaseIds`` and source root."""
    src = tmp_path / "two"
    src.mkdir()
    located = result("A", "lib/x.py")
    located["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"] = "SRC"

    def path_of(base_uri: str, **meta: Any) -> str:
        log = sarif_log([located], originalUriBaseIds={"SRC": {"uri": base_uri}})
        return str(parse(log, tmp_path, **meta).scans[0].occurrences[0].path)

    assert path_of("file:///opt/one/") == "/opt/one/lib/x.py"
    assert path_of(f"{src.as_uri()}/") == f"{src.as_posix()}/lib/x.py"
    assert path_of(f"{src.as_uri()}/", source_root=str(src)) == "lib/x.py"
    assert path_of("file:///opt/one/") == "/opt/one/lib/x.py"
