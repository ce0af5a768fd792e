"""SARIF 2.1.0 logs in the style of each scanner the demo models.

Each writer takes one scan (``ScanDoc``) and returns the log as a dict; ``dump`` turns it into
bytes deterministically (sorted keys, fixed indentation, no floats). The shapes follow what each
tool writes: CodeQL's rule metadata, ``%SRCROOT%`` locations and ``partialFingerprints``; Semgrep
OSS's placeholder ``matchBasedId/v1`` and snippets; Bandit's ``issue_severity``/
``issue_confidence`` properties, ``./`` paths and context regions; Trivy's CVE rules with tags and
``security-severity`` and its ``ROOTPATH`` base; gitleaks' commit ``partialFingerprints``;
Checkov's ``level: error`` results with in-source skips as suppressions. Every log also carries
the scan time (``invocations[].endTimeUtc``) and the commit scanned (``versionControlProvenance``).

Why one module: one small writer per scanner (~40 lines each) sharing the same few helpers; a
module per scanner would be a directory of near-identical files.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from demo.catalog import TOOL_VERSIONS, Advisory, RuleSpec

JSON = dict[str, Any]
SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


@dataclass(frozen=True, slots=True)
class ResultDoc:
    """One result of one scan: a finding as the scanner sees it at that commit."""

    rule: RuleSpec | Advisory
    path: str
    line: int
    column: int
    snippet: str
    context: tuple[str, str]  # the lines before and after (Bandit's contextRegion)
    suppressed: bool
    fingerprint_seed: str  # stable per finding: CodeQL's line hash is derived from it
    leak_commit: tuple[str, str, str, str, str] | None = None  # gitleaks: sha, author, email, date, message


@dataclass(frozen=True, slots=True)
class ScanDoc:
    project: str  # owner/name
    tool: str
    language: str
    scanned_at: datetime
    started_at: datetime
    commit: str
    workspace: str  # the CI checkout directory the scanner ran in
    rules: Sequence[RuleSpec | Advisory]  # rules the tool reports in its driver
    results: Sequence[ResultDoc]


def utc(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def dump(log: JSON, pretty: bool) -> bytes:
    option = orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE
    if pretty:
        option |= orjson.OPT_INDENT_2
    return orjson.dumps(log, option=option)


def _envelope(scan: ScanDoc, driver: JSON, results: list[JSON], **run_extra: Any) -> JSON:
    run: JSON = {
        "tool": {"driver": driver},
        "invocations": [
            {"executionSuccessful": True, "startTimeUtc": utc(scan.started_at), "endTimeUtc": utc(scan.scanned_at)}
        ],
        "versionControlProvenance": [
            {"repositoryUri": f"https://github.com/{scan.project}", "branch": "main", "revisionId": scan.commit}
        ],
        "results": results,
    }
    run.update(run_extra)
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def _suppressions(r: ResultDoc, justification: str | None = None) -> JSON:
    if not r.suppressed:
        return {}
    entry: JSON = {"kind": "inSource"}
    if justification:
        entry["justification"] = justification
    return {"suppressions": [entry]}


def _cwe_tags(rule: RuleSpec) -> list[str]:
    return [f"external/cwe/cwe-{n:03d}" for n in rule.cwes]


def _indented(r: ResultDoc) -> str:
    """The source line as the tool prints it: indented up to the result's column."""
    return " " * (r.column - 1) + r.snippet


def _line_hash(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:16]


# --- CodeQL -----------------------------------------------------------------------------------------


def codeql(scan: ScanDoc) -> JSON:
    rules = [r for r in scan.rules if isinstance(r, RuleSpec)]
    index = {r.rule_id: i for i, r in enumerate(rules)}
    driver = {
        "name": "CodeQL",
        "organization": "GitHub",
        "semanticVersion": TOOL_VERSIONS["codeql"],
        "rules": [
            {
                "id": r.rule_id,
                "name": r.rule_id,
                "shortDescription": {"text": r.title},
                "fullDescription": {"text": r.title + "."},
                "defaultConfiguration": {"enabled": True, "level": r.level},
                "properties": {
                    "tags": ["security", *_cwe_tags(r)],
                    "description": r.title + ".",
                    "id": r.rule_id,
                    "kind": "path-problem",
                    "name": r.title,
                    "precision": r.confidence,
                    "problem.severity": r.word,
                    "security-severity": r.score,
                },
            }
            for r in rules
        ],
    }
    paths = sorted({r.path for r in scan.results})
    artifact = {p: i for i, p in enumerate(paths)}
    results = []
    for r in scan.results:
        assert isinstance(r.rule, RuleSpec)
        results.append(
            {
                "ruleId": r.rule.rule_id,
                "ruleIndex": index[r.rule.rule_id],
                "rule": {"id": r.rule.rule_id, "index": index[r.rule.rule_id]},
                "message": {"text": r.rule.title + "."},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": r.path, "uriBaseId": "%SRCROOT%", "index": artifact[r.path]},
                            "region": {
                                "startLine": r.line,
                                "startColumn": r.column,
                                "endColumn": r.column + len(r.snippet.strip()),
                            },
                        }
                    }
                ],
                "partialFingerprints": {
                    "primaryLocationLineHash": _line_hash(r.fingerprint_seed) + ":1",
                    "primaryLocationStartColumnFingerprint": str(r.column - 1),
                },
                **_suppressions(r),
            }
        )
    return _envelope(
        scan,
        driver,
        results,
        artifacts=[{"location": {"uri": p, "uriBaseId": "%SRCROOT%", "index": i}} for i, p in enumerate(paths)],
        automationDetails={"id": f"/language:{scan.language}/"},
        columnKind="utf16CodeUnits",
        properties={"semmle.formatSpecifier": "sarifv2.1.0"},
    )


# --- Semgrep OSS ------------------------------------------------------------------------------------


def semgrep(scan: ScanDoc) -> JSON:
    rules = [r for r in scan.rules if isinstance(r, RuleSpec)]
    driver = {
        "name": "Semgrep OSS",
        "semanticVersion": TOOL_VERSIONS["semgrep"],
        "rules": [
            {
                "id": r.rule_id,
                "name": r.rule_id,
                "shortDescription": {"text": f"Semgrep Finding: {r.rule_id}"},
                "fullDescription": {"text": r.title},
                "defaultConfiguration": {"level": r.level},
                "help": {"text": r.title, "markdown": r.title},
                "helpUri": f"https://semgrep.dev/r/{r.rule_id}",
                "properties": {
                    "precision": "very-high",
                    "tags": [*(f"CWE-{n}" for n in r.cwes), f"{r.confidence} CONFIDENCE", "security"],
                },
            }
            for r in rules
        ],
    }
    results = []
    for r in scan.results:
        assert isinstance(r.rule, RuleSpec)
        text = _indented(r)
        results.append(
            {
                "fingerprints": {"matchBasedId/v1": "requires login"},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": r.path, "uriBaseId": "%SRCROOT%"},
                            "region": {
                                "startLine": r.line,
                                "startColumn": r.column,
                                "endLine": r.line,
                                "endColumn": r.column + len(text.strip()),
                                "snippet": {"text": text},
                            },
                        }
                    }
                ],
                "message": {"text": r.rule.title},
                "properties": {},
                "ruleId": r.rule.rule_id,
                **_suppressions(r),
            }
        )
    return _envelope(scan, driver, results)


# --- Bandit -----------------------------------------------------------------------------------------


def bandit(scan: ScanDoc) -> JSON:
    rules = [r for r in scan.rules if isinstance(r, RuleSpec)]
    index = {r.rule_id: i for i, r in enumerate(rules)}
    version = TOOL_VERSIONS["bandit"]
    driver = {
        "name": "Bandit",
        "rules": [
            {
                "id": r.rule_id,
                "name": r.name,
                "helpUri": f"https://bandit.readthedocs.io/en/{version}/plugins/{r.rule_id.lower()}_{r.name}.html",
                "properties": {"tags": ["security", *_cwe_tags(r)], "precision": (r.confidence or "").lower()},
            }
            for r in rules
        ],
    }
    results = []
    for r in scan.results:
        assert isinstance(r.rule, RuleSpec)
        before, after = r.context
        line = _indented(r)
        results.append(
            {
                "message": {"text": r.rule.title + "."},
                "level": r.rule.level,
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": "./" + r.path},
                            "region": {
                                "startLine": r.line,
                                "endLine": r.line,
                                "startColumn": r.column,
                                "endColumn": r.column + len(r.snippet.strip()),
                                "snippet": {"text": line + "\n"},
                            },
                            "contextRegion": {
                                "startLine": max(1, r.line - 1),
                                "endLine": r.line + 1,
                                "snippet": {"text": f"{before}\n{line}\n{after}\n"},
                            },
                        }
                    }
                ],
                "properties": {"issue_confidence": r.rule.confidence, "issue_severity": r.rule.word},
                "ruleId": r.rule.rule_id,
                "ruleIndex": index[r.rule.rule_id],
                **_suppressions(r),
            }
        )
    return _envelope(scan, driver, results)


# --- Trivy ------------------------------------------------------------------------------------------

_TRIVY_LEVEL = {"CRITICAL": "error", "HIGH": "error", "MEDIUM": "warning", "LOW": "note"}


def _trivy_message(a: Advisory) -> str:
    return (
        f"Package: {a.package}\nInstalled Version: {a.installed}\nVulnerability {a.cve}\nSeverity: {a.severity}\n"
        f"Fixed Version: {a.fixed}\nLink: [{a.cve}](https://avd.aquasec.com/nvd/{a.cve.lower()})"
    )


def trivy(scan: ScanDoc) -> JSON:
    rules = [r for r in scan.rules if isinstance(r, Advisory)]
    index = {r.cve: i for i, r in enumerate(rules)}
    driver = {
        "fullName": "Trivy Vulnerability Scanner",
        "informationUri": "https://github.com/aquasecurity/trivy",
        "name": "Trivy",
        "version": TOOL_VERSIONS["trivy"],
        "rules": [
            {
                "id": a.cve,
                "name": "LanguageSpecificPackageVulnerability",
                "shortDescription": {"text": f"{a.package}: {a.title}"},
                "fullDescription": {"text": f"{a.package}: {a.title}"},
                "defaultConfiguration": {"level": _TRIVY_LEVEL[a.severity]},
                "helpUri": f"https://avd.aquasec.com/nvd/{a.cve.lower()}",
                "help": {"text": _trivy_message(a), "markdown": _trivy_message(a)},
                "properties": {
                    "precision": "very-high",
                    "security-severity": a.score,
                    "tags": ["vulnerability", "security", a.severity],
                },
            }
            for a in rules
        ],
    }
    results = []
    for r in scan.results:
        a = r.rule
        assert isinstance(a, Advisory)
        results.append(
            {
                "ruleId": a.cve,
                "ruleIndex": index[a.cve],
                "level": _TRIVY_LEVEL[a.severity],
                "message": {"text": _trivy_message(a)},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": r.path, "uriBaseId": "ROOTPATH"},
                            "region": {"startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 1},
                        },
                        "message": {"text": f"{r.path}: {a.package}@{a.installed}"},
                    }
                ],
                **_suppressions(r),
            }
        )
    return _envelope(scan, driver, results, originalUriBaseIds={"ROOTPATH": {"uri": f"file://{scan.workspace}/"}})


# --- gitleaks ---------------------------------------------------------------------------------------


def gitleaks(scan: ScanDoc) -> JSON:
    rules = [r for r in scan.rules if isinstance(r, RuleSpec)]
    driver = {
        "name": "gitleaks",
        "semanticVersion": TOOL_VERSIONS["gitleaks"],
        "informationUri": "https://github.com/gitleaks/gitleaks",
        "rules": [{"id": r.rule_id, "shortDescription": {"text": r.title}} for r in rules],
    }
    results = []
    for r in scan.results:
        assert isinstance(r.rule, RuleSpec) and r.leak_commit is not None
        sha, author, email, date, message = r.leak_commit
        results.append(
            {
                "message": {"text": f"{r.rule.rule_id} has detected secret for file {r.path}."},
                "ruleId": r.rule.rule_id,
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": r.path},
                            "region": {
                                "startLine": r.line,
                                "startColumn": r.column,
                                "endLine": r.line,
                                "endColumn": r.column + 40,
                                "snippet": {"text": r.snippet},
                            },
                        }
                    }
                ],
                "partialFingerprints": {
                    "commitSha": sha,
                    "email": email,
                    "author": author,
                    "date": date,
                    "commitMessage": message,
                },
                "properties": {"tags": []},
                **_suppressions(r),
            }
        )
    return _envelope(scan, driver, results)


# --- Checkov ----------------------------------------------------------------------------------------


def checkov(scan: ScanDoc) -> JSON:
    rules = [r for r in scan.rules if isinstance(r, RuleSpec)]
    index = {r.rule_id: i for i, r in enumerate(rules)}
    driver = {
        "name": "Checkov",
        "version": TOOL_VERSIONS["checkov"],
        "informationUri": "https://checkov.io",
        "organization": "bridgecrew",
        "rules": [
            {
                "id": r.rule_id,
                "name": r.title,
                "shortDescription": {"text": r.title},
                "fullDescription": {"text": r.title},
                "help": {"text": f"{r.title}\nResource: see the result location"},
                "defaultConfiguration": {"level": "error"},
            }
            for r in rules
        ],
    }
    results = []
    for r in scan.results:
        assert isinstance(r.rule, RuleSpec)
        before, after = r.context
        block = f"{r.snippet}\n{before}\n{after}\n"
        results.append(
            {
                "ruleId": r.rule.rule_id,
                "ruleIndex": index[r.rule.rule_id],
                "level": "error",
                "attachments": [],
                "message": {"text": r.rule.title},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": r.path},
                            "region": {"startLine": r.line, "endLine": r.line + 2, "snippet": {"text": block}},
                        }
                    }
                ],
                **_suppressions(r, "accepted risk (demo)"),
            }
        )
    return _envelope(scan, driver, results)


WRITERS: dict[str, tuple[Callable[[ScanDoc], JSON], bool]] = {
    # tool key → (writer, pretty-printed like the tool's own output)
    "codeql": (codeql, True),
    "semgrep": (semgrep, False),
    "bandit": (bandit, True),
    "trivy": (trivy, True),
    "gitleaks": (gitleaks, True),
    "checkov": (checkov, True),
}


def render(scan: ScanDoc) -> bytes:
    writer, pretty = WRITERS[scan.tool]
    return dump(writer(scan), pretty)
