"""Golden tests: specific results of real scanner output, normalised by docs/definitions.md §3–§4.

Every expected value below was worked out by reading the raw SARIF (the result, its rule, the run)
and applying §3 (rule, level, severity, CWE, location, suppression) and §4 (fingerprint) by
hand — never by printing what the code produces. Where the code departs from them a row says so in
``xfail``; the case is then marked ``xfail(strict=True)`` with that reason, so the suite stays green
and the bug stays visible.

One table per scanner of ``Golden`` rows, in keyword form: a field left out has its default (no
tool severity word, no numeric security-severity, no CWE, a computed fingerprint). Where the files
come from and how results are numbered: ``tests/golden_support.py``. Which results keep the tool's
fingerprint: ``test_golden_identity.py``; the same files through the CLI: ``test_golden_cli.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.golden_support import (
    ANCHORE_073,
    CODEQL_254,
    CODEQL_ACTION,
    FLAWFINDER_19,
    SEMGREP_017,
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
    scan_of,
)


@dataclass(frozen=True, kw_only=True)
class Golden:
    """What one result of a real scanner file must become (an ``Occurrence``), worked out by hand."""

    # which result: the file (a corpus path), the scan in it, and the result's index in that scan
    file: str
    tool: str
    category: str = ""
    source_root: str | None = None  # as given with --source-root
    result: int
    # what it becomes
    rule_id: str
    severity: str
    severity_source: str  # "security-severity", "tool" or "level" (the three rules of docs/definitions.md §3, in order)
    tool_severity: str | None = None  # the tool's own severity word, when it has one
    security_severity: float | None = None  # the numeric security-severity, when there is one
    cwes: tuple[str, ...] = ()
    path: str
    start_line: int | None
    fingerprint_source: str  # "fingerprints", "partialFingerprints", "computed:snippet" or "computed:message"
    fingerprint: str | None = None  # the tool's value, for fingerprint_source fingerprints/partialFingerprints
    xfail: str | None = None  # where the code departs from docs/definitions.md: why (the case is expected to fail)


SEMGREP_RULES = "vulnerability-management-registry.semgrep-rules.gitlab-rules.sast-rules"

# CodeQL (and LGTM.com, which ran it)
CODEQL = [
    # codeql-action's valid-sarif fixture: two runs of two tools.
    # run 0 "LGTM.com": no adapter → problem.severity unread; level from rule default "note".
    Golden(
        file=CODEQL_ACTION,
        tool="lgtm-com",
        result=0,
        rule_id="js/unused-local-variable",
        severity="low",
        severity_source="level",
        path="main.js",
        start_line=2,
        fingerprint_source="partialFingerprints",
        fingerprint=partial(primaryLocationLineHash="39fa2ee980eb94b0:1", primaryLocationStartColumnFingerprint="4"),
    ),
    # run 1 "CodeQL command-line toolchain" → codeql; problem.severity recommendation → low.
    Golden(
        file=CODEQL_ACTION,
        tool="codeql",
        result=0,
        rule_id="js/unused-local-variable",
        severity="low",
        severity_source="tool",
        tool_severity="recommendation",
        path="main.js",
        start_line=2,
        fingerprint_source="partialFingerprints",
        fingerprint=partial(primaryLocationLineHash="39fa2ee980eb94b0:1", primaryLocationStartColumnFingerprint="4"),
    ),
    # problem.severity "warning" (medium) beats the rule's default level "note" (rule 2 before 3).
    Golden(
        file=CODEQL_ACTION,
        tool="codeql",
        result=1,
        rule_id="js/inconsistent-use-of-new",
        severity="medium",
        severity_source="tool",
        tool_severity="warning",
        path="src/promiseUtils.js",
        start_line=2,
        fingerprint_source="partialFingerprints",
        fingerprint=partial(primaryLocationLineHash="5061c3315a741b7d:1", primaryLocationStartColumnFingerprint="7"),
    ),
    # artifactLocation by index only → artifacts[1] = testFile2.js; the driver has no rules at all.
    Golden(
        file="codeql/codeql-action-fingerprinting-expected.sarif",
        tool="codeql",
        result=1,
        rule_id="js/unused-local-variable",
        severity="medium",
        severity_source="level",
        path="testFile2.js",
        start_line=2,
        fingerprint_source="partialFingerprints",
        fingerprint=partial(primaryLocationLineHash="f7592a95a9381ac0:1"),
    ),
    # CodeQL 2.5.4: CWE tags external/cwe/cwe-079 → CWE-79. The partial fingerprint repeats at
    # bad/mod_user.py:33 and good/mod_user.py:34 (results 57, 58: near-identical copies) → ignored for these two,
    # computed from the message (the snippet is only in contextRegion, not in region).
    Golden(
        file=CODEQL_254,
        tool="codeql",
        result=57,
        rule_id="py/reflective-xss",
        severity="high",
        severity_source="tool",
        tool_severity="error",
        cwes=("CWE-79", "CWE-116"),
        path="bad/mod_user.py",
        start_line=33,
        fingerprint_source="computed:message",
    ),
    # 56 and 59: the partial fingerprint occurs once in the scan → trusted, although others repeat.
    # primaryLocationStartColumnFingerprint "0" is a real value, not a placeholder (56 starts at the
    # line's first non-blank character, startColumn 5 after four spaces); docs/definitions.md §4 joins all keys.
    Golden(
        file=CODEQL_254,
        tool="codeql",
        result=56,
        rule_id="py/path-injection",
        severity="high",
        severity_source="tool",
        tool_severity="error",
        cwes=("CWE-22", "CWE-23", "CWE-36", "CWE-73", "CWE-99"),
        path="bad/libapi.py",
        start_line=22,
        fingerprint_source="partialFingerprints",
        fingerprint=partial(primaryLocationLineHash="6e479c79e8d1316:1", primaryLocationStartColumnFingerprint="0"),
    ),
    Golden(
        file=CODEQL_254,
        tool="codeql",
        result=59,
        rule_id="py/sql-injection",
        severity="high",
        severity_source="tool",
        tool_severity="error",
        cwes=("CWE-89",),
        path="bad/libuser.py",
        start_line=12,
        fingerprint_source="partialFingerprints",
        fingerprint=partial(primaryLocationLineHash="87f19d40ee7aefaf:1", primaryLocationStartColumnFingerprint="17"),
    ),
]

# Semgrep: OSS 1.69, 0.17 and Semgrep's own end-to-end fixture
SEMGREP = [
    # Semgrep OSS 1.69: security-severity is a *word* (MEDIUM/HIGH/CRITICAL) → rule 2
    Golden(
        file=SEMGREP_OSS,
        tool="semgrep",
        result=0,
        rule_id=f"{SEMGREP_RULES}.javascript.pathtraversal.javascript_pathtraversal_rule-non-literal-fs-filename",
        severity="medium",
        severity_source="tool",
        tool_severity="MEDIUM",
        cwes=("CWE-22",),
        path="Gruntfile.js",
        start_line=75,
        fingerprint_source="fingerprints",
        fingerprint=(
            "e5aea7d033ad2f52b0c68a45048d8297e59597971eb74ca387ebdb598e9d2631c1de6945ffea9d9dc2fce6bb0f1e8f8e96"
            "6061e685f3f72c40459c30f9fe7235_0"
        ),
    ),
    Golden(
        file=SEMGREP_OSS,
        tool="semgrep",
        result=19,
        rule_id=f"{SEMGREP_RULES}.rules.lgpl.javascript.jwt.rules_lgpl_javascript_jwt_rule-hardcoded-jwt-secret",
        severity="high",
        severity_source="tool",
        tool_severity="HIGH",
        cwes=("CWE-798",),
        path="lib/insecurity.ts",
        start_line=56,
        fingerprint_source="fingerprints",
        fingerprint=(
            "4a3e2ee59c608b0ad2e3ad574212e0b0ab7389f85eb224d1f99a6b1293502a57fecfc5ae3d123dcf44a478b361513002d7"
            "c033413f57da2b616614ece35fc48a_0"
        ),
    ),
    Golden(
        file=SEMGREP_OSS,
        tool="semgrep",
        result=21,
        rule_id=f"{SEMGREP_RULES}.rules.lgpl.javascript.database.rules_lgpl_javascript_database_rule-node-nosqli-injection",
        severity="critical",
        severity_source="tool",
        tool_severity="CRITICAL",
        cwes=("CWE-943",),
        path="routes/address.ts",
        start_line=18,
        fingerprint_source="fingerprints",
        fingerprint=(
            "b791fb07e2b974ef6c94f59fcceb71ac7a979fd78002fe5989e865d07c6e072e3bd993c830fa00d80a426a9b8382ce8f40"
            "15ecefb1927667b662f1ed7919c767_0"
        ),
    ),
    # semgrep 0.17 ("semgrep"): bare "cwe" tag carries no number; no snippet, no fingerprints
    Golden(
        file=SEMGREP_017,
        tool="semgrep",
        result=0,
        rule_id="java.lang.security.audit.cbc-padding-oracle.cbc-padding-oracle",
        severity="medium",
        severity_source="level",
        path="src/main/java/org/owasp/benchmark/testcode/BenchmarkTest02660.java",
        start_line=59,
        fingerprint_source="computed:message",
    ),
    # semgrep e2e (LGPL, corpus only): rule default "error", no security-severity.
    Golden(
        file=SEMGREP_E2E,
        tool="semgrep",
        result=1,
        rule_id="rules.regex.detected-aws-account-id",
        severity="high",
        severity_source="level",
        path="targets/basic/regex-nosemgrep.txt",
        start_line=3,
        fingerprint_source="fingerprints",
        fingerprint=(
            "4440db758833756e8f31ad014849570b368174a5ce270a6fcea3a14c8d4259987169a5419ccf5f86b76cd4aae5375f57e7"
            "02b01b9a512793033238556aa0191b_1"
        ),
    ),
]

# Snyk: Code, Container and IaC write three different SARIF dialects (three tools)
SNYK = [
    # Snyk Code: no "<Severity> severity -" prefix → level; properties.cwe; fingerprints "0"/"1"
    # The highest key "1" is a fuzzy hash: results 3 and 4 (sander.es6.js:571, sander.es.js:519,
    # copies of one bundle) share it → ignored for them, computed from the message (no snippet).
    # Result 0: level "note" → low; its key "1" value occurs once in the scan → kept.
    Golden(
        file=SNYK_CODE,
        tool="snyk-code",
        result=0,
        rule_id="javascript/InsufficientPostmessageValidation",
        severity="low",
        severity_source="level",
        cwes=("CWE-20",),
        path="proxy-desktop/frontend/node_modules/vite/dist/client/client.mjs",
        start_line=250,
        fingerprint_source="fingerprints",
        fingerprint=(
            "3df95e84.4773f344.607187b5.c559ebce.8d22f254.10d85176.83265159.870b3dbe.cee1e251.4773f344.607187b5."
            "c559ebce.69920cab.8020cfdf.83265159.1db0a836"
        ),
    ),
    Golden(
        file=SNYK_CODE,
        tool="snyk-code",
        result=3,
        rule_id="javascript/PT",
        severity="medium",
        severity_source="level",
        cwes=("CWE-23",),
        path="proxy-desktop/frontend/node_modules/sander/dist/sander.es6.js",
        start_line=571,
        fingerprint_source="computed:message",
    ),
    # Snyk Container: two runs, one stream → one scan; "High severity - ..." rule prefix
    Golden(
        file="snyk/snyk-container-2runs.sarif",
        tool="snyk-container",
        result=0,
        rule_id="SNYK-ALPINE318-OPENSSL-6032386",
        severity="high",
        severity_source="tool",
        tool_severity="High",
        path=(
            "us-central1-docker.pkg.dev/qbank-266411/preproduction-oci-images/devsecops-mvp-peacock-simulator_"
            "bac2315/qbank-266411/preproduction-oci-images/devsecops-mvp-peacock-simulator"
        ),
        start_line=1,
        fingerprint_source="computed:message",
    ),
    Golden(
        file="snyk/snyk-container-2runs.sarif",
        tool="snyk-container",
        result=1,
        rule_id="SNYK-GOLANG-GOLANGORGXSYSUNIX-3310442",
        severity="medium",
        severity_source="tool",
        tool_severity="Medium",
        cwes=("CWE-266",),
        path="/app/node_modules/esbuild-linux-64/bin/esbuild",
        start_line=1,
        fingerprint_source="computed:message",
    ),
    # Snyk IaC: PROJECTROOT = file:///github/workspace/ (a CI workspace) is stripped
    Golden(
        file="snyk/snyk-iac-fib-go.sarif",
        tool="snyk-iac",
        result=0,
        rule_id="SNYK-CC-K8S-6",
        severity="medium",
        severity_source="tool",
        tool_severity="Medium",
        path="services/fib-go/deploy/deployment.yaml",
        start_line=18,
        fingerprint_source="computed:message",
    ),
    Golden(
        file="snyk/snyk-iac-fib-go.sarif",
        tool="snyk-iac",
        result=3,
        rule_id="SNYK-CC-K8S-32",
        severity="low",
        severity_source="tool",
        tool_severity="Low",
        path="services/fib-go/deploy/deployment.yaml",
        start_line=3,
        fingerprint_source="computed:message",
    ),
]

# Grype: numeric security-severity (rule 1) beats the "Severity: low" help line (rule 2)
GRYPE = [
    Golden(
        file="grype/grype-presenter-image-golden.sarif",
        tool="grype",
        result=0,
        rule_id="CVE-1999-0001-package-1",
        severity="high",
        severity_source="security-severity",
        tool_severity="low",
        security_severity=8.2,
        path="user-input/somefile-1.txt",
        start_line=1,
        fingerprint_source="partialFingerprints",
        fingerprint=partial(
            primaryLocationLineHash="efe125c0a2b4bdafe476b69ba51a49734780c62b93803950319056acebe4323f:1"
        ),
    ),
    Golden(
        file="grype/grype-presenter-image-golden.sarif",
        tool="grype",
        result=1,
        rule_id="CVE-1999-0002-package-2",
        severity="high",
        severity_source="security-severity",
        tool_severity="critical",
        security_severity=8.5,
        path="user-input/somefile-2.txt",
        start_line=1,
        fingerprint_source="partialFingerprints",
        fingerprint=partial(
            primaryLocationLineHash="bafe9890c7cda00bf4d1b1a57d1d20b08e27162e718235a3d38a9a8d2f449ed1:1"
        ),
    ),
    Golden(
        file="grype/defectdojo-grype-0.34.7-cxf.sarif",
        tool="grype",
        result=0,
        rule_id="CVE-2008-0732-geronimo-j2ee-management_1.1_spec",
        severity="low",
        severity_source="security-severity",
        tool_severity="low",
        security_severity=2.1,
        path="lib/geronimo-j2ee-management_1.1_spec-1.0.1.jar",
        start_line=1,
        fingerprint_source="computed:message",
    ),
]

# Anchore (grype-based scan-action): every result suppressed "external" without status
ANCHORE = [
    # No security-severity; the rule's "Severity: X" help line (grype's format) is the tool word and
    # beats the level: Low (level warning) → low, Medium (level error) → medium, Negligible → info.
    Golden(
        file=ANCHORE_073,
        tool="anchore",
        result=0,
        rule_id="ANCHOREVULN_CVE-2019-18276_dpkg_bash-4.3-14ubuntu1.4",
        severity="low",
        severity_source="tool",
        tool_severity="Low",
        path="Dockerfile",
        start_line=1,
        fingerprint_source="computed:message",
    ),
    Golden(
        file=ANCHORE_073,
        tool="anchore",
        result=129,
        rule_id="ANCHOREVULN_CVE-2019-14250_dpkg_binutils-2.26.1-1ubuntu1~16.04.8",
        severity="medium",
        severity_source="tool",
        tool_severity="Medium",
        path="Dockerfile",
        start_line=1,
        fingerprint_source="computed:message",
    ),
    Golden(
        file=ANCHORE_073,
        tool="anchore",
        result=139,
        rule_id="ANCHOREVULN_CVE-2017-8283_dpkg_dpkg-1.18.4ubuntu1.6",
        severity="info",
        severity_source="tool",
        tool_severity="Negligible",
        path="Dockerfile",
        start_line=1,
        fingerprint_source="computed:message",
    ),
]

# Checkov: every failed check level error, no severity word, no snippet
CHECKOV = [
    Golden(
        file="checkov/sast-tool-testing-checkov-2.0.418.sarif",
        tool="checkov",
        result=0,
        rule_id="CKV_AWS_16",
        severity="high",
        severity_source="level",
        path="aws/aws_db_instance.tf",
        start_line=5,
        fingerprint_source="computed:message",
    ),
]

# Fortify, through the SARIF SDK's two converters (FPR and XML)
FORTIFY = [
    # FPR converter: rule by ruleIndex only; CWE via rule relationships
    Golden(
        file="fortify/sarif-sdk-converter-fortify-fpr-fortifytest.sarif",
        tool="fortify",
        category="CareerGuideAdminTool",
        result=2,
        rule_id="6ED95DD1-4F81-44C6-A260-695DFD41B803",
        severity="medium",
        severity_source="level",
        cwes=("CWE-22", "CWE-73"),
        path="src/Controllers/ContentFileHandlingController.cs",
        start_line=38,
        fingerprint_source="computed:snippet",
    ),
    # Fortify XML converter: properties.priority; properties.cwe "134, 787"; InstanceId partial fp.
    Golden(
        file="fortify/sarif-sdk-converter-fortify-xml-bannedapis.sarif",
        tool="fortify",
        result=0,
        rule_id="Null Dereference",
        severity="high",
        severity_source="tool",
        tool_severity="High",
        cwes=("CWE-476",),
        path="bannedAPIs.m",
        start_line=172,
        fingerprint_source="partialFingerprints",
        fingerprint=partial(InstanceId="30C5553B949CCCBFDA3AEF5D98E90CC4"),
    ),
    Golden(
        file="fortify/sarif-sdk-converter-fortify-xml-bannedapis.sarif",
        tool="fortify",
        result=1,
        rule_id="Dangerous Function",
        severity="critical",
        severity_source="tool",
        tool_severity="Critical",
        cwes=("CWE-242",),
        path="bannedAPIs.m",
        start_line=243,
        fingerprint_source="partialFingerprints",
        fingerprint=partial(InstanceId="23A9EC956EBD4DE3265979412C99C399"),
    ),
    Golden(
        file="fortify/sarif-sdk-converter-fortify-xml-bannedapis.sarif",
        tool="fortify",
        result=2,
        rule_id="Buffer Overflow: Format String",
        severity="high",
        severity_source="tool",
        tool_severity="High",
        cwes=("CWE-134", "CWE-787"),
        path="bannedAPIs.m",
        start_line=240,
        fingerprint_source="partialFingerprints",
        fingerprint=partial(InstanceId="BC721B0CA607643167C1FCF97A99049C"),
    ),
]

# OWASP Dependency-Check: result properties; no region
DEPENDENCY_CHECK = [
    # file:////src/.venv/... (empty authority, then //src) is the path /src/.venv/...; /src/ is the
    # scanner container's mount of the checkout and is stripped.
    Golden(
        file="dependency-check/defectdojo-dependency-check-6.1.2.sarif",
        tool="dependency-check",
        result=4,
        rule_id="CVE-2012-6708",
        severity="medium",
        severity_source="tool",
        tool_severity="MEDIUM",
        path=".venv/lib/python3.9/site-packages/tastypie_swagger/static/tastypie_swagger/js/lib/jquery-1.8.0.min.js",
        start_line=None,
        fingerprint_source="computed:message",
    ),
]

# DevSkim: DevSkimSeverity on the result
DEVSKIM = [
    Golden(
        file="devskim/defectdojo-devskim-1.0.90-many.sarif",
        tool="devskim",
        result=1,
        rule_id="DS126858",
        severity="critical",
        severity_source="tool",
        tool_severity="Critical",
        path="crypto.py",
        start_line=10,
        fingerprint_source="computed:snippet",
    ),
    Golden(
        file="devskim/defectdojo-devskim-1.0.90-many.sarif",
        tool="devskim",
        result=3,
        rule_id="DS154189",
        severity="medium",
        severity_source="tool",
        tool_severity="Moderate",
        path="legacy.c",
        start_line=12,
        fingerprint_source="computed:snippet",
    ),
    Golden(
        file="devskim/defectdojo-devskim-1.0.90-many.sarif",
        tool="devskim",
        result=0,
        rule_id="DS189424",
        severity="low",
        severity_source="tool",
        tool_severity="ManualReview",
        path="render.js",
        start_line=6,
        fingerprint_source="computed:snippet",
    ),
]

# Checkmarx One: rule security-severity 9.0 / 2.0; engine suffix kept in the rule id
CHECKMARX = [
    Golden(
        file="checkmarx-one/sariftest-checkmarx-one-cx-result.sarif",
        tool="checkmarx",
        result=468,
        rule_id="SQL Injection (sast)",
        severity="critical",
        severity_source="security-severity",
        security_severity=9.0,
        path=(
            "webgoat-lessons/sql-injection/src/main/java/org/owasp/webgoat/sql_injection/introduction/"
            "SqlInjectionLesson5a.java"
        ),
        start_line=53,
        fingerprint_source="computed:message",
    ),
    Golden(
        file="checkmarx-one/sariftest-checkmarx-one-cx-result.sarif",
        tool="checkmarx",
        result=3426,
        rule_id="Unpinned Actions Full Length Commit SHA (kics)",
        severity="low",
        severity_source="security-severity",
        security_severity=2.0,
        path=".github/workflows/codeql.yml",
        start_line=39,
        fingerprint_source="computed:message",
    ),
]

# ESLint
ESLINT = [
    Golden(
        file="eslint/sarif-tutorials-eslint-simple-example.sarif",
        tool="eslint",
        result=0,
        rule_id="no-unused-vars",
        severity="high",
        severity_source="level",
        path="C:/dev/sarif/sarif-tutorials/samples/Introduction/simple-example.js",
        start_line=1,
        fingerprint_source="computed:message",
    ),
    Golden(
        file="eslint/iframe-resizer-eslint-8.56.0.sarif",
        tool="eslint",
        result=3,
        rule_id="no-console",
        severity="medium",
        severity_source="level",
        path="/Users/davidbradshaw/dev/iframe-resizer/src/iframeResizer.contentWindow.js",
        start_line=175,
        fingerprint_source="computed:message",
    ),
]

# gosec: CWE via rule relationships into the CWE taxonomy
GOSEC = [
    # gosec's own severity is the upper-case tag among rule properties.tags (also "Severity: X" in the
    # help text); it beats the level, which gosec does not derive from it (G304 MEDIUM is level error).
    Golden(
        file="gosec/enumdns-gosec-results.sarif",
        tool="gosec",
        result=0,
        rule_id="G115",
        severity="high",
        severity_source="tool",
        tool_severity="HIGH",
        cwes=("CWE-190",),
        path="internal/disk/disk_unix.go",
        start_line=69,
        fingerprint_source="computed:snippet",
    ),
    Golden(
        file="gosec/enumdns-gosec-results.sarif",
        tool="gosec",
        result=1,
        rule_id="G304",
        severity="medium",
        severity_source="tool",
        tool_severity="MEDIUM",
        cwes=("CWE-22",),
        path="pkg/writers/text.go",
        start_line=20,
        fingerprint_source="computed:snippet",
    ),
    Golden(
        file="gosec/enumdns-gosec-results.sarif",
        tool="gosec",
        result=16,
        rule_id="G104",
        severity="low",
        severity_source="tool",
        tool_severity="LOW",
        cwes=("CWE-703",),
        path="cmd/report_convert.go",
        start_line=133,
        fingerprint_source="computed:snippet",
    ),
]

# SpotBugs: message from messageStrings + arguments
SPOTBUGS = [
    Golden(
        file="spotbugs/defectdojo-spotbugs-4.4.0.sarif",
        tool="spotbugs",
        result=0,
        rule_id="DMI_HARDCODED_ABSOLUTE_FILENAME",
        severity="low",
        severity_source="level",
        path="Boot.java",
        start_line=23,
        fingerprint_source="computed:message",
    ),
]

# Flawfinder: CWE ids written as "CWE-119" in relationships; contextHash/v1 fingerprints
FLAWFINDER = [
    Golden(
        file="flawfinder/defectdojo-flawfinder-2.0.20-many.sarif",
        tool="flawfinder",
        result=0,
        rule_id="FF1013",
        severity="low",
        severity_source="level",
        cwes=("CWE-119", "CWE-120"),
        path="vulnerable.c",
        start_line=4,
        fingerprint_source="fingerprints",
        fingerprint="f8bd72609fcf9e1123e74ed2ab5aa38f49593871255165d3086feea1a0957480",
    ),
    Golden(
        file="flawfinder/defectdojo-flawfinder-2.0.20-many.sarif",
        tool="flawfinder",
        result=3,
        rule_id="FF1014",
        severity="high",
        severity_source="level",
        cwes=("CWE-120", "CWE-20"),
        path="vulnerable.c",
        start_line=7,
        fingerprint_source="fingerprints",
        fingerprint="8681551908ef1699f55d6a2ebaaaf86b1ea2b769e66a0011ce774ac9fac1026c",
    ),
]

# Scorecard: three runs with three categories → three scans
SCORECARD = [
    Golden(
        file="scorecard/scorecard-check8-3runs.sarif",
        tool="scorecard",
        category="supply-chain/local",
        result=0,
        rule_id="CheckNameID",
        severity="high",
        severity_source="security-severity",
        security_severity=7.0,
        path="src/file1.cpp",
        start_line=5,
        fingerprint_source="computed:snippet",
    ),
    Golden(
        file="scorecard/scorecard-check8-3runs.sarif",
        tool="scorecard",
        category="supply-chain/local",
        result=2,
        rule_id="CheckName5ID",
        severity="low",
        severity_source="security-severity",
        security_severity=1.0,
        path="src/file1.cpp",
        start_line=5,
        fingerprint_source="computed:snippet",
    ),
]

# Cppcheck 2.17: numeric (not string) security-severity 9.9
CPPCHECK = [
    Golden(
        file="cppcheck/defectdojo-cppcheck-2.17.1-many.sarif",
        tool="cppcheck",
        result=0,
        rule_id="arrayIndexOutOfBounds",
        severity="critical",
        severity_source="security-severity",
        security_severity=9.9,
        path="cc_many.c",
        start_line=12,
        fingerprint_source="computed:message",
    ),
    Golden(
        file="cppcheck/defectdojo-cppcheck-2.17.1-many.sarif",
        tool="cppcheck",
        result=2,
        rule_id="nullPointerOutOfMemory",
        severity="medium",
        severity_source="level",
        path="cc_many.c",
        start_line=6,
        fingerprint_source="computed:message",
    ),
]

# ShiftLeft scan (bandit-like issue_severity on results)
SHIFTLEFT = [
    # The run's invocations[0].workingDirectory is file:///home/damien/dd: absolute paths under it are
    # made relative to it; result 0 also gives it as --source-root (same result, stripped once).
    Golden(
        file="shiftleft-scan/defectdojo-scan-python-security-analysis.sarif",
        tool="python-security-analysis",
        source_root="/home/damien/dd",
        result=0,
        rule_id="taint-xmli",
        severity="high",
        severity_source="tool",
        tool_severity="HIGH",
        path="dojo/tools/veracode/parser.py",
        start_line=35,
        fingerprint_source="partialFingerprints",
        fingerprint=partial(
            scanPrimaryLocationHash="be794d27997ab3ce",
            scanTagsHash="53dc119db6d3af07",
            scanFileHash="933a05ac897cd017",
        ),
    ),
    Golden(
        file="shiftleft-scan/defectdojo-scan-python-security-analysis.sarif",
        tool="python-security-analysis",
        result=8,
        rule_id="taint-idor",
        severity="low",
        severity_source="tool",
        tool_severity="LOW",
        path="dojo/cred/views.py",
        start_line=592,
        fingerprint_source="partialFingerprints",
        fingerprint=partial(
            scanPrimaryLocationHash="37e2c634d137ad45",
            scanTagsHash="e3f3320ede2bce11",
            scanFileHash="5ad26a14ee412028",
        ),
    ),
]

# Mayhem: Code Security and Mayhem for API
MAYHEM = [
    # Mayhem Code Security: CWE via result taxa; "./" prefix stripped
    Golden(
        file="mayhem/defectdojo-mayhem-code-security-2.12.0-many.sarif",
        tool="mayhem-code-security",
        result=1,
        rule_id="MI103",
        severity="high",
        severity_source="level",
        cwes=("CWE-415",),
        path="stdio-common/vfscanf-internal.c",
        start_line=2320,
        fingerprint_source="computed:message",
    ),
    Golden(
        file="mayhem/defectdojo-mayhem-code-security-2.12.0-many.sarif",
        tool="mayhem-code-security",
        result=7,
        rule_id="MI110",
        severity="high",
        severity_source="level",
        cwes=("CWE-369",),
        path="src/gps_uploader.c",
        start_line=11,
        fingerprint_source="computed:message",
    ),
    # Mayhem for API ("mAPI"): CWE rule tags.
    Golden(
        file="mayhem/defectdojo-mapi-2.31.2-many.sarif",
        tool="mapi",
        result=0,
        rule_id="internal-server-error (io.swagger.oas.inflector.utils.ApiException)",
        severity="high",
        severity_source="level",
        cwes=("CWE-20", "CWE-391", "CWE-550"),
        path="io/swagger/oas/inflector/controllers/OpenAPIOperationController.java",
        start_line=497,
        fingerprint_source="computed:message",
    ),
]

# NightVision: security-severity in *result* properties
NIGHTVISION = [
    Golden(
        file="nightvision/nimbler-nightvision-0.1.0.sarif",
        tool="nightvision",
        result=0,
        rule_id="687f8879-bac7-4c77-a9e2-afbe35abb7c2-SQL Injection - PostgreSQL",
        severity="high",
        severity_source="security-severity",
        security_severity=8.0,
        path="src/main/java/hawk/controller/SearchController.java",
        start_line=36,
        fingerprint_source="partialFingerprints",
        fingerprint=partial(**{"nightvisionIssueID/v1": "687f8879-bac7-4c77-a9e2-afbe35abb7c2"}),
    ),
    Golden(
        file="nightvision/nimbler-nightvision-0.1.0.sarif",
        tool="nightvision",
        result=2,
        rule_id="c5f54d9d-13ea-4583-bcb0-a0cb6608e56f-Parameter Tampering",
        severity="medium",
        severity_source="security-severity",
        security_severity=5.0,
        path="src/main/java/hawk/controller/SearchController.java",
        start_line=36,
        fingerprint_source="partialFingerprints",
        fingerprint=partial(**{"nightvisionIssueID/v1": "c5f54d9d-13ea-4583-bcb0-a0cb6608e56f"}),
    ),
]

# Polyspace ("Polyspace " with a trailing space): location by artifact index only
POLYSPACE = [
    Golden(
        file="polyspace/polyspace-r2022a.sarif",
        tool="polyspace",
        result=0,
        rule_id="FLOAT_ZERO_DIV",
        severity="high",
        severity_source="level",
        path="/example/pi_task/pi_utils.c",
        start_line=27,
        fingerprint_source="computed:message",
    ),
    Golden(
        file="polyspace/polyspace-r2022a.sarif",
        tool="polyspace",
        result=4,
        rule_id="NON_INIT_VAR",
        severity="high",
        severity_source="level",
        path="/example/pi_app/pi_main.c",
        start_line=44,
        fingerprint_source="computed:snippet",
    ),
]

# sarif-tutorials samples
SARIF_TUTORIALS = [
    # uriBaseId chain: SRCROOT = "src/" relative to REPOROOT (which has no uri) → src/io/kb.c
    Golden(
        file="spec-samples/sarif-tutorials-originaluribaseids.sarif",
        tool="sarifsamples",
        result=0,
        rule_id="TUT1001",
        severity="medium",
        severity_source="level",
        path="README.md",
        start_line=None,
        fingerprint_source="computed:message",
    ),
    Golden(
        file="spec-samples/sarif-tutorials-originaluribaseids.sarif",
        tool="sarifsamples",
        result=1,
        rule_id="TUT1002",
        severity="medium",
        severity_source="level",
        path="src/io/kb.c",
        start_line=None,
        fingerprint_source="computed:message",
    ),
    Golden(
        file="spec-samples/sarif-tutorials-originaluribaseids.sarif",
        tool="sarifsamples",
        result=2,
        rule_id="TUT1003",
        severity="medium",
        severity_source="level",
        path="",
        start_line=None,
        fingerprint_source="computed:message",
    ),
    Golden(
        file="spec-samples/sarif-tutorials-message-with-arguments.sarif",
        tool="codescanner",
        result=0,
        rule_id="CS0001",
        severity="medium",
        severity_source="level",
        path="",
        start_line=None,
        fingerprint_source="computed:message",
    ),
    # CWE via taxonomies: rule relationship and result taxa both name CWE 401 (bare id).
    Golden(
        file="spec-samples/sarif-tutorials-standard-taxonomy-cwe.sarif",
        tool="codescanner",
        result=0,
        rule_id="CA2101",
        severity="medium",
        severity_source="level",
        cwes=("CWE-401",),
        path="",
        start_line=None,
        fingerprint_source="computed:message",
    ),
]

GOLDEN = [
    *CODEQL,
    *SEMGREP,
    *SNYK,
    *GRYPE,
    *ANCHORE,
    *CHECKOV,
    *FORTIFY,
    *DEPENDENCY_CHECK,
    *DEVSKIM,
    *CHECKMARX,
    *ESLINT,
    *GOSEC,
    *SPOTBUGS,
    *FLAWFINDER,
    *SCORECARD,
    *CPPCHECK,
    *SHIFTLEFT,
    *MAYHEM,
    *NIGHTVISION,
    *POLYSPACE,
    *SARIF_TUTORIALS,
]


def _case(g: Golden) -> Any:
    marks = corpus_marks(g.file)
    if g.xfail:
        marks.append(pytest.mark.xfail(strict=True, reason=g.xfail))
    return pytest.param(g, id=f"{g.tool}-{Path(g.file).stem}-{g.result}", marks=marks)


@pytest.mark.parametrize("g", [_case(g) for g in GOLDEN])
def test_golden_result(g: Golden) -> None:
    parsed = parse(g.file, g.source_root)
    scan = scan_of(parsed, g.tool, g.category)
    occ = occurrence(scan, g.result)
    got = {
        "rule_id": occ.rule_id,
        "severity": occ.severity.value,
        "severity_source": occ.severity_source.value,
        "tool_severity": occ.tool_severity,
        "security_severity": occ.security_severity,
        "cwes": occ.cwes,
        "path": occ.path,
        "start_line": occ.start_line,
        "fingerprint_source": occ.fingerprint_source.value,
    }
    want = {
        "rule_id": g.rule_id,
        "severity": g.severity,
        "severity_source": g.severity_source,
        "tool_severity": g.tool_severity,
        "security_severity": g.security_severity,
        "cwes": g.cwes,
        "path": g.path,
        "start_line": g.start_line,
        "fingerprint_source": g.fingerprint_source,
    }
    assert got == want
    assert occ.cwe == (g.cwes[0] if g.cwes else None)
    if g.fingerprint is not None:
        assert occ.fingerprint == g.fingerprint
    else:
        # computed: never the line number, and not any tool value
        assert occ.fingerprint_source.value.startswith("computed:")


# ----------------------------------------------------------------------- occurrences per scan
@dataclass(frozen=True, kw_only=True)
class ScanCount:
    """How many occurrences one scan of a file holds: every result of kind "fail" (the default)."""

    file: str
    tool: str
    category: str = ""
    occurrences: int


# Every file of this table holds exactly the scans listed for it.
SCAN_COUNTS = [
    ScanCount(file=CODEQL_ACTION, tool="lgtm-com", occurrences=1),
    ScanCount(file=CODEQL_ACTION, tool="codeql", occurrences=2),
    ScanCount(file="codeql/codeql-action-fingerprinting-expected.sarif", tool="codeql", occurrences=2),
    ScanCount(file=CODEQL_254, tool="codeql", occurrences=72),
    ScanCount(file=SEMGREP_OSS, tool="semgrep", occurrences=77),
    ScanCount(file=SEMGREP_017, tool="semgrep", occurrences=1768),
    ScanCount(file=SEMGREP_E2E, tool="semgrep", occurrences=2),
    ScanCount(file=SEMGREP_CI, tool="semgrep", occurrences=11),
    ScanCount(file=SNYK_CODE, tool="snyk-code", occurrences=16),
    ScanCount(file="snyk/snyk-container-2runs.sarif", tool="snyk-container", occurrences=2),  # 2 runs, 1 stream
    ScanCount(file="snyk/snyk-iac-fib-go.sarif", tool="snyk-iac", occurrences=4),
    ScanCount(file="grype/grype-presenter-image-golden.sarif", tool="grype", occurrences=2),
    ScanCount(file="grype/defectdojo-grype-0.34.7-cxf.sarif", tool="grype", occurrences=22),
    ScanCount(file=ANCHORE_073, tool="anchore", occurrences=429),
    ScanCount(file="checkov/sast-tool-testing-checkov-2.0.418.sarif", tool="checkov", occurrences=20),
    ScanCount(
        file="fortify/sarif-sdk-converter-fortify-fpr-fortifytest.sarif",
        tool="fortify",
        category="CareerGuideAdminTool",
        occurrences=3,
    ),
    ScanCount(file="fortify/sarif-sdk-converter-fortify-xml-bannedapis.sarif", tool="fortify", occurrences=114),
    ScanCount(file="dependency-check/defectdojo-dependency-check-6.1.2.sarif", tool="dependency-check", occurrences=13),
    ScanCount(file="devskim/defectdojo-devskim-1.0.90-many.sarif", tool="devskim", occurrences=7),
    ScanCount(file="checkmarx-one/sariftest-checkmarx-one-cx-result.sarif", tool="checkmarx", occurrences=3766),
    ScanCount(file="eslint/sarif-tutorials-eslint-simple-example.sarif", tool="eslint", occurrences=1),
    ScanCount(file="eslint/iframe-resizer-eslint-8.56.0.sarif", tool="eslint", occurrences=12),
    ScanCount(file="gosec/enumdns-gosec-results.sarif", tool="gosec", occurrences=17),
    ScanCount(file="spotbugs/defectdojo-spotbugs-4.4.0.sarif", tool="spotbugs", occurrences=56),
    ScanCount(file="flawfinder/defectdojo-flawfinder-2.0.20-many.sarif", tool="flawfinder", occurrences=4),
    ScanCount(file=FLAWFINDER_19, tool="flawfinder", occurrences=53),  # 54 results, #52 is kind "pass"
    ScanCount(
        file="scorecard/scorecard-check8-3runs.sarif", tool="scorecard", category="supply-chain/local", occurrences=4
    ),
    ScanCount(
        file="scorecard/scorecard-check8-3runs.sarif",
        tool="scorecard",
        category="supply-chain/local-scm",
        occurrences=1,
    ),
    ScanCount(
        file="scorecard/scorecard-check8-3runs.sarif",
        tool="scorecard",
        category="supply-chain/online-scm",
        occurrences=1,
    ),
    ScanCount(file="cppcheck/defectdojo-cppcheck-2.17.1-many.sarif", tool="cppcheck", occurrences=7),
    ScanCount(
        file="shiftleft-scan/defectdojo-scan-python-security-analysis.sarif",
        tool="python-security-analysis",
        occurrences=11,
    ),
    ScanCount(file=SHELL, tool="shell-script-analysis", occurrences=27),
    ScanCount(
        file="mayhem/defectdojo-mayhem-code-security-2.12.0-many.sarif", tool="mayhem-code-security", occurrences=8
    ),
    ScanCount(file="mayhem/defectdojo-mapi-2.31.2-many.sarif", tool="mapi", occurrences=20),
    ScanCount(file="nightvision/nimbler-nightvision-0.1.0.sarif", tool="nightvision", occurrences=4),
    ScanCount(file="polyspace/polyspace-r2022a.sarif", tool="polyspace", occurrences=10),
    ScanCount(file="spec-samples/sarif-tutorials-originaluribaseids.sarif", tool="sarifsamples", occurrences=3),
    ScanCount(file="spec-samples/sarif-tutorials-message-with-arguments.sarif", tool="codescanner", occurrences=1),
    ScanCount(file="spec-samples/sarif-tutorials-standard-taxonomy-cwe.sarif", tool="codescanner", occurrences=1),
    ScanCount(
        file="spec-samples/sarif-tutorials-suppressions.sarif", tool="sarifsamples", occurrences=9
    ),  # suppressed ones stay
    ScanCount(
        file="spec-samples/sarif-tutorials-baseline.sarif", tool="sarifsamples", occurrences=3
    ),  # 4 results, 1 "absent"
]


@pytest.mark.parametrize(
    "s",
    [
        pytest.param(s, id=f"{s.tool}-{Path(s.file).stem}-{s.category or 'default'}", marks=corpus_marks(s.file))
        for s in SCAN_COUNTS
    ],
)
def test_occurrences_per_scan(s: ScanCount) -> None:
    parsed = parse(s.file)
    scan = scan_of(parsed, s.tool, s.category)
    assert len(scan.occurrences) == s.occurrences
    assert scan.results_total == s.occurrences + len(scan.skipped)
    # every file of the table holds exactly the scans listed for it
    expected = {(c.tool, c.category) for c in SCAN_COUNTS if c.file == s.file}
    assert {(x.tool, x.category) for x in parsed.scans} == expected


# ------------------------------------------------------------------------- §3 odds and ends
@pytest.mark.corpus
def test_dependency_check_severity_words() -> None:
    """Result properties: RetireJS ``severity: low`` (unscored) and NVD ``cvssv3_baseSeverity``; no region."""
    scan = scan_of(parse("dependency-check/defectdojo-dependency-check-6.1.2.sarif"), "dependency-check")
    retire, nvd = occurrence(scan, 0), occurrence(scan, 4)
    got = (retire.rule_id, retire.level, retire.severity.value, retire.severity_source.value, retire.tool_severity)
    assert got == (
        "Disallow calling helperMissing and blockHelperMissing directly",
        "error",
        "low",
        "tool",
        "low",
    )
    assert (nvd.rule_id, nvd.severity.value, nvd.tool_severity, nvd.start_line) == (
        "CVE-2012-6708",
        "medium",
        "MEDIUM",
        None,
    )
    # file:////src/.venv/... → /src/.venv/... → the scanner container's /src/ mount stripped
    lib = ".venv/lib/python3.9/site-packages/tastypie_swagger/static/tastypie_swagger/js/lib/"
    assert (retire.path, nvd.path) == (lib + "handlebars-1.0.0.js", lib + "jquery-1.8.0.min.js")
    # the same with --source-root /src: stripped once, not twice
    rooted = scan_of(parse("dependency-check/defectdojo-dependency-check-6.1.2.sarif", "/src"), "dependency-check")
    assert occurrence(rooted, 4).path == lib + "jquery-1.8.0.min.js"


def test_message_template_with_arguments() -> None:
    scan = scan_of(parse("spec-samples/sarif-tutorials-message-with-arguments.sarif"), "codescanner")
    assert occurrence(scan, 0).message == "Variable 'x' was used without being initialized."


@pytest.mark.corpus
def test_spotbugs_message_from_message_strings() -> None:
    scan = scan_of(parse("spotbugs/defectdojo-spotbugs-4.4.0.sarif"), "spotbugs")
    assert occurrence(scan, 0).message == "Hard coded reference to an absolute pathname in Boot.main(String[])."


# index → (suppressed, kind) per docs/definitions.md §3: status "accepted" or absent suppresses; rejected and
# underReview do not (the tutorial hides #8 "under review", §3 does not).
SUPPRESSIONS = {
    0: (False, None),
    1: (True, "inSource"),
    2: (True, "external"),
    3: (False, None),
    4: (True, "external"),
    5: (False, None),
    6: (True, "external"),
    7: (True, "external"),
    8: (False, None),
}


def test_suppressions_sample() -> None:
    scan = scan_of(parse("spec-samples/sarif-tutorials-suppressions.sarif"), "sarifsamples")
    got = {o.result_index: (o.suppressed, o.suppression_kind) for o in scan.occurrences}
    assert got == SUPPRESSIONS
    assert_distinct_finding_ids(scan)


@pytest.mark.corpus
def test_anchore_external_suppressions_without_status_are_suppressed() -> None:
    scan = scan_of(parse(ANCHORE_073), "anchore")
    assert {(o.suppressed, o.suppression_kind, o.baseline_state) for o in scan.occurrences} == {
        (True, "external", "unchanged")
    }


@pytest.mark.corpus
def test_eslint_in_source_suppressions() -> None:
    scan = scan_of(parse("eslint/iframe-resizer-eslint-8.56.0.sarif"), "eslint")
    assert {(o.suppressed, o.suppression_kind) for o in scan.occurrences} == {(True, "inSource")}


def test_baseline_sample() -> None:
    scan = scan_of(parse("spec-samples/sarif-tutorials-baseline.sarif"), "sarifsamples")
    assert {o.result_index: o.baseline_state for o in scan.occurrences} == {1: "unchanged", 2: "updated", 3: "new"}
    assert [s.result_index for s in scan.skipped] == [0]
    assert [o.message for o in scan.occurrences] == ["Unchanged result.", "Updated result.", "New result."]


def test_grype_directory_paths_with_and_without_source_root() -> None:
    rel = "grype/grype-presenter-directory-golden.sarif"
    bare = scan_of(parse(rel), "grype")
    assert [o.path for o in bare.occurrences] == ["/some/path/somefile-1.txt", "/some/path/somefile-2.txt"]
    rooted = scan_of(parse(rel, source_root="/some/path"), "grype")
    assert [o.path for o in rooted.occurrences] == ["somefile-1.txt", "somefile-2.txt"]
    # the identity follows the repository-relative path
    assert [o.fingerprint_source.value for o in rooted.occurrences] == ["partialFingerprints"] * 2


def test_eslint_windows_file_uri_with_source_root() -> None:
    rel = "eslint/sarif-tutorials-eslint-simple-example.sarif"
    scan = scan_of(parse(rel, source_root="file:///C:/dev/sarif/sarif-tutorials"), "eslint")
    assert occurrence(scan, 0).path == "samples/Introduction/simple-example.js"
