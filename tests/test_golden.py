"""Golden tests: specific results of real scanner output, normalised by SPEC §3–§4.

Every expected value below was worked out by reading the raw SARIF (the result, its rule, the run)
and applying SPEC §3 (rule, level, severity, CWE, location, suppression) and §4 (fingerprint) by
hand — never by printing what the code produces. Where the code departs from SPEC the case is
marked ``xfail(strict=True)`` with the reason, so the suite stays green and the bug stays visible.

Files come from two places:
- ``tests/data/`` — permissively licensed corpus files copied byte for byte (see ``SOURCES.md``);
  these tests always run;
- ``../shared/sarif-corpus/`` via ``corpus_path()`` — everything else (GPL/LGPL, no declared
  licence, or too big to copy); these tests are skipped when the corpus is not beside the checkout.

Conventions: ``result`` is the index of the result inside its *scan* (runs of one stream in one file
form one scan, so the second run's first result of a two-run scan is index ``len(run0.results)``).
Partial fingerprints are expected as SPEC §4 rule 2 describes them: keys sorted, ``key:value``,
joined with ``,``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from ingest.models import Occurrence, ParsedFile, Scan, ScanMeta
from ingest.reader import load_log
from ingest.sarif import normalise
from tests.conftest import DATA, corpus_path

# Corpus files copied into tests/data (permissive licences; see tests/data/SOURCES.md).
COPIED = frozenset(
    {
        "codeql/codeql-action-valid-sarif-2runs.sarif",
        "codeql/codeql-action-fingerprinting-expected.sarif",
        "grype/grype-presenter-image-golden.sarif",
        "grype/grype-presenter-directory-golden.sarif",
        "eslint/sarif-tutorials-eslint-simple-example.sarif",
        "spec-samples/sarif-tutorials-originaluribaseids.sarif",
        "spec-samples/sarif-tutorials-message-with-arguments.sarif",
        "spec-samples/sarif-tutorials-standard-taxonomy-cwe.sarif",
        "spec-samples/sarif-tutorials-suppressions.sarif",
        "spec-samples/sarif-tutorials-baseline.sarif",
        "snyk/snyk-container-2runs.sarif",
        "snyk/snyk-iac-fib-go.sarif",
        "cppcheck/defectdojo-cppcheck-2.17.1-many.sarif",
        "flawfinder/defectdojo-flawfinder-2.0.20-many.sarif",
        "shiftleft-scan/defectdojo-scan-shell-script-analysis.sarif",
        "scorecard/scorecard-check8-3runs.sarif",
    }
)

CORPUS_MARK = pytest.mark.corpus


def sarif_file(rel: str) -> Path:
    """The copy in tests/data for copied files, else the corpus file (skips without the corpus)."""
    if rel in COPIED:
        path = DATA / Path(rel).name
        assert path.is_file(), f"tests/data/{path.name} is missing (see tests/data/SOURCES.md)"
        return path
    return corpus_path(rel)


@cache
def _parse(path: Path, source_root: str | None) -> ParsedFile:
    return normalise(load_log(path), ScanMeta(project="p", source_root=source_root))


def parse(rel: str, source_root: str | None = None) -> ParsedFile:
    return _parse(sarif_file(rel), source_root)


def scan_of(parsed: ParsedFile, tool: str, category: str = "") -> Scan:
    found = [s for s in parsed.scans if s.tool == tool and s.category == category]
    assert len(found) == 1, [(s.tool, s.category) for s in parsed.scans]
    return found[0]


def occurrence(scan: Scan, result: int) -> Occurrence:
    found = [o for o in scan.occurrences if o.result_index == result]
    assert len(found) == 1, f"no occurrence for result {result} in scan {scan.tool}"
    return found[0]


def partial(**pairs: str) -> str:
    """SPEC §4 rule 2: all keys sorted, ``key:value`` joined."""
    return ",".join(f"{k}:{pairs[k]}" for k in sorted(pairs))


# --------------------------------------------------------------------------------- golden table
@dataclass(frozen=True)
class Golden:
    file: str
    tool: str
    result: int
    rule_id: str
    severity: str
    severity_source: str
    tool_severity: str | None
    security_severity: float | None
    cwes: tuple[str, ...]
    path: str
    start_line: int | None
    fingerprint_source: str
    fingerprint: str | None = None  # the tool's value, for fingerprint_source fingerprints/partial
    category: str = ""
    source_root: str | None = None


def case(g: Golden, xfail: str | None = None) -> Any:
    marks: list[Any] = [] if g.file in COPIED else [CORPUS_MARK]
    if xfail:
        marks.append(pytest.mark.xfail(strict=True, reason=xfail))
    name = f"{g.tool}-{Path(g.file).stem}-{g.result}"
    return pytest.param(g, id=name, marks=marks)


CODEQL_ACTION = "codeql/codeql-action-valid-sarif-2runs.sarif"
CODEQL_254 = "codeql/defectdojo-codeql-2.5.4-output.sarif"
SEMGREP_OSS = "semgrep/defectdojo-semgrep-oss-1.69.0-issue10191.sarif"
SEMGREP_017 = "semgrep/defectdojo-semgrep-0.17.0-owasp-benchmark.sarif"
SEMGREP_E2E = "semgrep/semgrep-e2e-include-nosemgrep-suppressions.sarif"
SEMGREP_CI = "semgrep/semgrep-ci-autofix.sarif"
SHELL = "shiftleft-scan/defectdojo-scan-shell-script-analysis.sarif"
ANCHORE = "anchore/anchore-container-vulnerability-report-0.7.3.sarif"
SNYK_CODE = "snyk/snykcode-code-scan.sarif"
FLAWFINDER_19 = "flawfinder/defectdojo-flawfinder-2.0.19.sarif"

SEMGREP_RULES = "vulnerability-management-registry.semgrep-rules.gitlab-rules.sast-rules"

# Golden(file, tool, result, rule_id, severity, severity_source, tool_severity, security_severity, cwes,
#        path, start_line, fingerprint_source, fingerprint=None, category="", source_root=None)
GOLDEN = [
    # --- CodeQL / LGTM: codeql-action's valid-sarif fixture, two runs of two tools -------------
    # run 0 "LGTM.com": no adapter → problem.severity unread; level from rule default "note".
    case(
        Golden(
            CODEQL_ACTION,
            "lgtm-com",
            0,
            "js/unused-local-variable",
            "low",
            "level",
            None,
            None,
            (),
            "main.js",
            2,
            "partialFingerprints",
            partial(primaryLocationLineHash="39fa2ee980eb94b0:1", primaryLocationStartColumnFingerprint="4"),
        )
    ),
    # run 1 "CodeQL command-line toolchain" → codeql; problem.severity recommendation → low.
    case(
        Golden(
            CODEQL_ACTION,
            "codeql",
            0,
            "js/unused-local-variable",
            "low",
            "tool",
            "recommendation",
            None,
            (),
            "main.js",
            2,
            "partialFingerprints",
            partial(primaryLocationLineHash="39fa2ee980eb94b0:1", primaryLocationStartColumnFingerprint="4"),
        )
    ),
    # problem.severity "warning" (medium) beats the rule's default level "note" (rule 2 before 3).
    case(
        Golden(
            CODEQL_ACTION,
            "codeql",
            1,
            "js/inconsistent-use-of-new",
            "medium",
            "tool",
            "warning",
            None,
            (),
            "src/promiseUtils.js",
            2,
            "partialFingerprints",
            partial(primaryLocationLineHash="5061c3315a741b7d:1", primaryLocationStartColumnFingerprint="7"),
        )
    ),
    # artifactLocation by index only → artifacts[1] = testFile2.js; the driver has no rules at all.
    case(
        Golden(
            "codeql/codeql-action-fingerprinting-expected.sarif",
            "codeql",
            1,
            "js/unused-local-variable",
            "medium",
            "level",
            None,
            None,
            (),
            "testFile2.js",
            2,
            "partialFingerprints",
            partial(primaryLocationLineHash="f7592a95a9381ac0:1"),
        )
    ),
    # CodeQL 2.5.4: CWE tags external/cwe/cwe-079 → CWE-79. The partial fingerprint repeats at
    # bad/mod_user.py:33 and good/mod_user.py:34 (results 57, 58: near-identical copies) → ignored for these two,
    # computed from the message (the snippet is only in contextRegion, not in region).
    case(
        Golden(
            CODEQL_254,
            "codeql",
            57,
            "py/reflective-xss",
            "high",
            "tool",
            "error",
            None,
            ("CWE-79", "CWE-116"),
            "bad/mod_user.py",
            33,
            "computed:message",
        )
    ),
    # 56 and 59: the partial fingerprint occurs once in the scan → trusted, although others repeat.
    # primaryLocationStartColumnFingerprint "0" is a real value, not a placeholder (56 starts at the
    # line's first non-blank character, startColumn 5 after four spaces); SPEC §4 rule 2 joins all keys.
    case(
        Golden(
            CODEQL_254,
            "codeql",
            56,
            "py/path-injection",
            "high",
            "tool",
            "error",
            None,
            ("CWE-22", "CWE-23", "CWE-36", "CWE-73", "CWE-99"),
            "bad/libapi.py",
            22,
            "partialFingerprints",
            partial(primaryLocationLineHash="6e479c79e8d1316:1", primaryLocationStartColumnFingerprint="0"),
        )
    ),
    case(
        Golden(
            CODEQL_254,
            "codeql",
            59,
            "py/sql-injection",
            "high",
            "tool",
            "error",
            None,
            ("CWE-89",),
            "bad/libuser.py",
            12,
            "partialFingerprints",
            partial(primaryLocationLineHash="87f19d40ee7aefaf:1", primaryLocationStartColumnFingerprint="17"),
        )
    ),
    # --- Semgrep OSS 1.69: security-severity is a *word* (MEDIUM/HIGH/CRITICAL) → rule 2 ---------
    case(
        Golden(
            SEMGREP_OSS,
            "semgrep",
            0,
            f"{SEMGREP_RULES}.javascript.pathtraversal.javascript_pathtraversal_rule-non-literal-fs-filename",
            "medium",
            "tool",
            "MEDIUM",
            None,
            ("CWE-22",),
            "Gruntfile.js",
            75,
            "fingerprints",
            "e5aea7d033ad2f52b0c68a45048d8297e59597971eb74ca387ebdb598e9d2631c1de6945ffea9d9dc2fce6bb0f1e8f8e96"
            "6061e685f3f72c40459c30f9fe7235_0",
        )
    ),
    case(
        Golden(
            SEMGREP_OSS,
            "semgrep",
            19,
            f"{SEMGREP_RULES}.rules.lgpl.javascript.jwt.rules_lgpl_javascript_jwt_rule-hardcoded-jwt-secret",
            "high",
            "tool",
            "HIGH",
            None,
            ("CWE-798",),
            "lib/insecurity.ts",
            56,
            "fingerprints",
            "4a3e2ee59c608b0ad2e3ad574212e0b0ab7389f85eb224d1f99a6b1293502a57fecfc5ae3d123dcf44a478b361513002d7"
            "c033413f57da2b616614ece35fc48a_0",
        )
    ),
    case(
        Golden(
            SEMGREP_OSS,
            "semgrep",
            21,
            f"{SEMGREP_RULES}.rules.lgpl.javascript.database.rules_lgpl_javascript_database_rule-node-nosqli-injection",
            "critical",
            "tool",
            "CRITICAL",
            None,
            ("CWE-943",),
            "routes/address.ts",
            18,
            "fingerprints",
            "b791fb07e2b974ef6c94f59fcceb71ac7a979fd78002fe5989e865d07c6e072e3bd993c830fa00d80a426a9b8382ce8f40"
            "15ecefb1927667b662f1ed7919c767_0",
        )
    ),
    # --- semgrep 0.17 ("semgrep"): bare "cwe" tag carries no number; no snippet, no fingerprints --
    case(
        Golden(
            SEMGREP_017,
            "semgrep",
            0,
            "java.lang.security.audit.cbc-padding-oracle.cbc-padding-oracle",
            "medium",
            "level",
            None,
            None,
            (),
            "src/main/java/org/owasp/benchmark/testcode/BenchmarkTest02660.java",
            59,
            "computed:message",
        )
    ),
    # semgrep e2e (LGPL, corpus only): rule default "error", no security-severity.
    case(
        Golden(
            SEMGREP_E2E,
            "semgrep",
            1,
            "rules.regex.detected-aws-account-id",
            "high",
            "level",
            None,
            None,
            (),
            "targets/basic/regex-nosemgrep.txt",
            3,
            "fingerprints",
            "4440db758833756e8f31ad014849570b368174a5ce270a6fcea3a14c8d4259987169a5419ccf5f86b76cd4aae5375f57e7"
            "02b01b9a512793033238556aa0191b_1",
        )
    ),
    # --- Snyk Code: no "<Severity> severity -" prefix → level; properties.cwe; fingerprints "0"/"1" -
    # The highest key "1" is a fuzzy hash: results 3 and 4 (sander.es6.js:571, sander.es.js:519,
    # copies of one bundle) share it → ignored for them, computed from the message (no snippet).
    # Result 0: level "note" → low; its key "1" value occurs once in the scan → kept.
    case(
        Golden(
            SNYK_CODE,
            "snyk-code",
            0,
            "javascript/InsufficientPostmessageValidation",
            "low",
            "level",
            None,
            None,
            ("CWE-20",),
            "proxy-desktop/frontend/node_modules/vite/dist/client/client.mjs",
            250,
            "fingerprints",
            "3df95e84.4773f344.607187b5.c559ebce.8d22f254.10d85176.83265159.870b3dbe.cee1e251.4773f344.607187b5."
            "c559ebce.69920cab.8020cfdf.83265159.1db0a836",
        )
    ),
    case(
        Golden(
            SNYK_CODE,
            "snyk-code",
            3,
            "javascript/PT",
            "medium",
            "level",
            None,
            None,
            ("CWE-23",),
            "proxy-desktop/frontend/node_modules/sander/dist/sander.es6.js",
            571,
            "computed:message",
        )
    ),
    # --- Snyk Container: two runs, one stream → one scan; "High severity - ..." rule prefix ------
    case(
        Golden(
            "snyk/snyk-container-2runs.sarif",
            "snyk-container",
            0,
            "SNYK-ALPINE318-OPENSSL-6032386",
            "high",
            "tool",
            "High",
            None,
            (),
            "us-central1-docker.pkg.dev/qbank-266411/preproduction-oci-images/devsecops-mvp-peacock-simulator_"
            "bac2315/qbank-266411/preproduction-oci-images/devsecops-mvp-peacock-simulator",
            1,
            "computed:message",
        )
    ),
    case(
        Golden(
            "snyk/snyk-container-2runs.sarif",
            "snyk-container",
            1,
            "SNYK-GOLANG-GOLANGORGXSYSUNIX-3310442",
            "medium",
            "tool",
            "Medium",
            None,
            ("CWE-266",),
            "/app/node_modules/esbuild-linux-64/bin/esbuild",
            1,
            "computed:message",
        )
    ),
    # --- Snyk IaC: PROJECTROOT = file:///github/workspace/ (a CI workspace) is stripped ----------
    case(
        Golden(
            "snyk/snyk-iac-fib-go.sarif",
            "snyk-iac",
            0,
            "SNYK-CC-K8S-6",
            "medium",
            "tool",
            "Medium",
            None,
            (),
            "services/fib-go/deploy/deployment.yaml",
            18,
            "computed:message",
        )
    ),
    case(
        Golden(
            "snyk/snyk-iac-fib-go.sarif",
            "snyk-iac",
            3,
            "SNYK-CC-K8S-32",
            "low",
            "tool",
            "Low",
            None,
            (),
            "services/fib-go/deploy/deployment.yaml",
            3,
            "computed:message",
        )
    ),
    # --- Grype: numeric security-severity (rule 1) beats the "Severity: low" help line (rule 2) ---
    case(
        Golden(
            "grype/grype-presenter-image-golden.sarif",
            "grype",
            0,
            "CVE-1999-0001-package-1",
            "high",
            "security-severity",
            "low",
            8.2,
            (),
            "user-input/somefile-1.txt",
            1,
            "partialFingerprints",
            partial(primaryLocationLineHash="efe125c0a2b4bdafe476b69ba51a49734780c62b93803950319056acebe4323f:1"),
        )
    ),
    case(
        Golden(
            "grype/grype-presenter-image-golden.sarif",
            "grype",
            1,
            "CVE-1999-0002-package-2",
            "high",
            "security-severity",
            "critical",
            8.5,
            (),
            "user-input/somefile-2.txt",
            1,
            "partialFingerprints",
            partial(primaryLocationLineHash="bafe9890c7cda00bf4d1b1a57d1d20b08e27162e718235a3d38a9a8d2f449ed1:1"),
        )
    ),
    case(
        Golden(
            "grype/defectdojo-grype-0.34.7-cxf.sarif",
            "grype",
            0,
            "CVE-2008-0732-geronimo-j2ee-management_1.1_spec",
            "low",
            "security-severity",
            "low",
            2.1,
            (),
            "lib/geronimo-j2ee-management_1.1_spec-1.0.1.jar",
            1,
            "computed:message",
        )
    ),
    # --- Anchore (grype-based scan-action): every result suppressed "external" without status ----
    # No security-severity; the rule's "Severity: X" help line (grype's format) is the tool word and
    # beats the level: Low (level warning) → low, Medium (level error) → medium, Negligible → info.
    case(
        Golden(
            ANCHORE,
            "anchore",
            0,
            "ANCHOREVULN_CVE-2019-18276_dpkg_bash-4.3-14ubuntu1.4",
            "low",
            "tool",
            "Low",
            None,
            (),
            "Dockerfile",
            1,
            "computed:message",
        )
    ),
    case(
        Golden(
            ANCHORE,
            "anchore",
            129,
            "ANCHOREVULN_CVE-2019-14250_dpkg_binutils-2.26.1-1ubuntu1~16.04.8",
            "medium",
            "tool",
            "Medium",
            None,
            (),
            "Dockerfile",
            1,
            "computed:message",
        )
    ),
    case(
        Golden(
            ANCHORE,
            "anchore",
            139,
            "ANCHOREVULN_CVE-2017-8283_dpkg_dpkg-1.18.4ubuntu1.6",
            "info",
            "tool",
            "Negligible",
            None,
            (),
            "Dockerfile",
            1,
            "computed:message",
        )
    ),
    # --- Checkov: every failed check level error, no severity word, no snippet --------------------
    case(
        Golden(
            "checkov/sast-tool-testing-checkov-2.0.418.sarif",
            "checkov",
            0,
            "CKV_AWS_16",
            "high",
            "level",
            None,
            None,
            (),
            "aws/aws_db_instance.tf",
            5,
            "computed:message",
        )
    ),
    # --- Fortify FPR converter: rule by ruleIndex only; CWE via rule relationships ----------------
    case(
        Golden(
            "fortify/sarif-sdk-converter-fortify-fpr-fortifytest.sarif",
            "fortify",
            2,
            "6ED95DD1-4F81-44C6-A260-695DFD41B803",
            "medium",
            "level",
            None,
            None,
            ("CWE-22", "CWE-73"),
            "src/Controllers/ContentFileHandlingController.cs",
            38,
            "computed:snippet",
            category="CareerGuideAdminTool",
        )
    ),
    # Fortify XML converter: properties.priority; properties.cwe "134, 787"; InstanceId partial fp.
    case(
        Golden(
            "fortify/sarif-sdk-converter-fortify-xml-bannedapis.sarif",
            "fortify",
            0,
            "Null Dereference",
            "high",
            "tool",
            "High",
            None,
            ("CWE-476",),
            "bannedAPIs.m",
            172,
            "partialFingerprints",
            partial(InstanceId="30C5553B949CCCBFDA3AEF5D98E90CC4"),
        )
    ),
    case(
        Golden(
            "fortify/sarif-sdk-converter-fortify-xml-bannedapis.sarif",
            "fortify",
            1,
            "Dangerous Function",
            "critical",
            "tool",
            "Critical",
            None,
            ("CWE-242",),
            "bannedAPIs.m",
            243,
            "partialFingerprints",
            partial(InstanceId="23A9EC956EBD4DE3265979412C99C399"),
        )
    ),
    case(
        Golden(
            "fortify/sarif-sdk-converter-fortify-xml-bannedapis.sarif",
            "fortify",
            2,
            "Buffer Overflow: Format String",
            "high",
            "tool",
            "High",
            None,
            ("CWE-134", "CWE-787"),
            "bannedAPIs.m",
            240,
            "partialFingerprints",
            partial(InstanceId="BC721B0CA607643167C1FCF97A99049C"),
        )
    ),
    # --- OWASP Dependency-Check: result properties; no region --------------------------------------
    # file:////src/.venv/... (empty authority, then //src) is the path /src/.venv/...; /src/ is the
    # scanner container's mount of the checkout and is stripped.
    case(
        Golden(
            "dependency-check/defectdojo-dependency-check-6.1.2.sarif",
            "dependency-check",
            4,
            "CVE-2012-6708",
            "medium",
            "tool",
            "MEDIUM",
            None,
            (),
            ".venv/lib/python3.9/site-packages/tastypie_swagger/static/tastypie_swagger/js/lib/jquery-1.8.0.min.js",
            None,
            "computed:message",
        )
    ),
    # --- DevSkim: DevSkimSeverity on the result -------------------------------------------------
    case(
        Golden(
            "devskim/defectdojo-devskim-1.0.90-many.sarif",
            "devskim",
            1,
            "DS126858",
            "critical",
            "tool",
            "Critical",
            None,
            (),
            "crypto.py",
            10,
            "computed:snippet",
        )
    ),
    case(
        Golden(
            "devskim/defectdojo-devskim-1.0.90-many.sarif",
            "devskim",
            3,
            "DS154189",
            "medium",
            "tool",
            "Moderate",
            None,
            (),
            "legacy.c",
            12,
            "computed:snippet",
        )
    ),
    case(
        Golden(
            "devskim/defectdojo-devskim-1.0.90-many.sarif",
            "devskim",
            0,
            "DS189424",
            "low",
            "tool",
            "ManualReview",
            None,
            (),
            "render.js",
            6,
            "computed:snippet",
        )
    ),
    # --- Checkmarx One: rule security-severity 9.0 / 2.0; engine suffix kept in the rule id -----
    case(
        Golden(
            "checkmarx-one/sariftest-checkmarx-one-cx-result.sarif",
            "checkmarx",
            468,
            "SQL Injection (sast)",
            "critical",
            "security-severity",
            None,
            9.0,
            (),
            "webgoat-lessons/sql-injection/src/main/java/org/owasp/webgoat/sql_injection/introduction/"
            "SqlInjectionLesson5a.java",
            53,
            "computed:message",
        )
    ),
    case(
        Golden(
            "checkmarx-one/sariftest-checkmarx-one-cx-result.sarif",
            "checkmarx",
            3426,
            "Unpinned Actions Full Length Commit SHA (kics)",
            "low",
            "security-severity",
            None,
            2.0,
            (),
            ".github/workflows/codeql.yml",
            39,
            "computed:message",
        )
    ),
    # --- ESLint ---------------------------------------------------------------------------------
    case(
        Golden(
            "eslint/sarif-tutorials-eslint-simple-example.sarif",
            "eslint",
            0,
            "no-unused-vars",
            "high",
            "level",
            None,
            None,
            (),
            "C:/dev/sarif/sarif-tutorials/samples/Introduction/simple-example.js",
            1,
            "computed:message",
        )
    ),
    case(
        Golden(
            "eslint/iframe-resizer-eslint-8.56.0.sarif",
            "eslint",
            3,
            "no-console",
            "medium",
            "level",
            None,
            None,
            (),
            "/Users/davidbradshaw/dev/iframe-resizer/src/iframeResizer.contentWindow.js",
            175,
            "computed:message",
        )
    ),
    # --- gosec: CWE via rule relationships into the CWE taxonomy --------------------------------
    # gosec's own severity is the upper-case tag among rule properties.tags (also "Severity: X" in the
    # help text); it beats the level, which gosec does not derive from it (G304 MEDIUM is level error).
    case(
        Golden(
            "gosec/enumdns-gosec-results.sarif",
            "gosec",
            0,
            "G115",
            "high",
            "tool",
            "HIGH",
            None,
            ("CWE-190",),
            "internal/disk/disk_unix.go",
            69,
            "computed:snippet",
        )
    ),
    case(
        Golden(
            "gosec/enumdns-gosec-results.sarif",
            "gosec",
            1,
            "G304",
            "medium",
            "tool",
            "MEDIUM",
            None,
            ("CWE-22",),
            "pkg/writers/text.go",
            20,
            "computed:snippet",
        )
    ),
    case(
        Golden(
            "gosec/enumdns-gosec-results.sarif",
            "gosec",
            16,
            "G104",
            "low",
            "tool",
            "LOW",
            None,
            ("CWE-703",),
            "cmd/report_convert.go",
            133,
            "computed:snippet",
        )
    ),
    # --- SpotBugs: message from messageStrings + arguments -------------------------------------
    case(
        Golden(
            "spotbugs/defectdojo-spotbugs-4.4.0.sarif",
            "spotbugs",
            0,
            "DMI_HARDCODED_ABSOLUTE_FILENAME",
            "low",
            "level",
            None,
            None,
            (),
            "Boot.java",
            23,
            "computed:message",
        )
    ),
    # --- Flawfinder: CWE ids written as "CWE-119" in relationships; contextHash/v1 fingerprints --
    case(
        Golden(
            "flawfinder/defectdojo-flawfinder-2.0.20-many.sarif",
            "flawfinder",
            0,
            "FF1013",
            "low",
            "level",
            None,
            None,
            ("CWE-119", "CWE-120"),
            "vulnerable.c",
            4,
            "fingerprints",
            "f8bd72609fcf9e1123e74ed2ab5aa38f49593871255165d3086feea1a0957480",
        )
    ),
    case(
        Golden(
            "flawfinder/defectdojo-flawfinder-2.0.20-many.sarif",
            "flawfinder",
            3,
            "FF1014",
            "high",
            "level",
            None,
            None,
            ("CWE-120", "CWE-20"),
            "vulnerable.c",
            7,
            "fingerprints",
            "8681551908ef1699f55d6a2ebaaaf86b1ea2b769e66a0011ce774ac9fac1026c",
        )
    ),
    # --- Scorecard: three runs with three categories → three scans ------------------------------
    case(
        Golden(
            "scorecard/scorecard-check8-3runs.sarif",
            "scorecard",
            0,
            "CheckNameID",
            "high",
            "security-severity",
            None,
            7.0,
            (),
            "src/file1.cpp",
            5,
            "computed:snippet",
            category="supply-chain/local",
        )
    ),
    case(
        Golden(
            "scorecard/scorecard-check8-3runs.sarif",
            "scorecard",
            2,
            "CheckName5ID",
            "low",
            "security-severity",
            None,
            1.0,
            (),
            "src/file1.cpp",
            5,
            "computed:snippet",
            category="supply-chain/local",
        )
    ),
    # --- Cppcheck 2.17: numeric (not string) security-severity 9.9 ------------------------------
    case(
        Golden(
            "cppcheck/defectdojo-cppcheck-2.17.1-many.sarif",
            "cppcheck",
            0,
            "arrayIndexOutOfBounds",
            "critical",
            "security-severity",
            None,
            9.9,
            (),
            "cc_many.c",
            12,
            "computed:message",
        )
    ),
    case(
        Golden(
            "cppcheck/defectdojo-cppcheck-2.17.1-many.sarif",
            "cppcheck",
            2,
            "nullPointerOutOfMemory",
            "medium",
            "level",
            None,
            None,
            (),
            "cc_many.c",
            6,
            "computed:message",
        )
    ),
    # --- ShiftLeft scan (bandit-like issue_severity on results) ------------------------------------
    # The run's invocations[0].workingDirectory is file:///home/damien/dd: absolute paths under it are
    # made relative to it; result 0 also gives it as --source-root (same result, stripped once).
    case(
        Golden(
            "shiftleft-scan/defectdojo-scan-python-security-analysis.sarif",
            "python-security-analysis",
            0,
            "taint-xmli",
            "high",
            "tool",
            "HIGH",
            None,
            (),
            "dojo/tools/veracode/parser.py",
            35,
            "partialFingerprints",
            partial(
                scanPrimaryLocationHash="be794d27997ab3ce",
                scanTagsHash="53dc119db6d3af07",
                scanFileHash="933a05ac897cd017",
            ),
            source_root="/home/damien/dd",
        )
    ),
    case(
        Golden(
            "shiftleft-scan/defectdojo-scan-python-security-analysis.sarif",
            "python-security-analysis",
            8,
            "taint-idor",
            "low",
            "tool",
            "LOW",
            None,
            (),
            "dojo/cred/views.py",
            592,
            "partialFingerprints",
            partial(
                scanPrimaryLocationHash="37e2c634d137ad45",
                scanTagsHash="e3f3320ede2bce11",
                scanFileHash="5ad26a14ee412028",
            ),
        )
    ),
    # --- Mayhem Code Security: CWE via result taxa; "./" prefix stripped -------------------------
    case(
        Golden(
            "mayhem/defectdojo-mayhem-code-security-2.12.0-many.sarif",
            "mayhem-code-security",
            1,
            "MI103",
            "high",
            "level",
            None,
            None,
            ("CWE-415",),
            "stdio-common/vfscanf-internal.c",
            2320,
            "computed:message",
        )
    ),
    case(
        Golden(
            "mayhem/defectdojo-mayhem-code-security-2.12.0-many.sarif",
            "mayhem-code-security",
            7,
            "MI110",
            "high",
            "level",
            None,
            None,
            ("CWE-369",),
            "src/gps_uploader.c",
            11,
            "computed:message",
        )
    ),
    # Mayhem for API ("mAPI"): CWE rule tags.
    case(
        Golden(
            "mayhem/defectdojo-mapi-2.31.2-many.sarif",
            "mapi",
            0,
            "internal-server-error (io.swagger.oas.inflector.utils.ApiException)",
            "high",
            "level",
            None,
            None,
            ("CWE-20", "CWE-391", "CWE-550"),
            "io/swagger/oas/inflector/controllers/OpenAPIOperationController.java",
            497,
            "computed:message",
        )
    ),
    # --- NightVision: security-severity in *result* properties -----------------------------------
    case(
        Golden(
            "nightvision/nimbler-nightvision-0.1.0.sarif",
            "nightvision",
            0,
            "687f8879-bac7-4c77-a9e2-afbe35abb7c2-SQL Injection - PostgreSQL",
            "high",
            "security-severity",
            None,
            8.0,
            (),
            "src/main/java/hawk/controller/SearchController.java",
            36,
            "partialFingerprints",
            partial(**{"nightvisionIssueID/v1": "687f8879-bac7-4c77-a9e2-afbe35abb7c2"}),
        )
    ),
    case(
        Golden(
            "nightvision/nimbler-nightvision-0.1.0.sarif",
            "nightvision",
            2,
            "c5f54d9d-13ea-4583-bcb0-a0cb6608e56f-Parameter Tampering",
            "medium",
            "security-severity",
            None,
            5.0,
            (),
            "src/main/java/hawk/controller/SearchController.java",
            36,
            "partialFingerprints",
            partial(**{"nightvisionIssueID/v1": "c5f54d9d-13ea-4583-bcb0-a0cb6608e56f"}),
        )
    ),
    # --- Polyspace ("Polyspace " with a trailing space): location by artifact index only --------
    case(
        Golden(
            "polyspace/polyspace-r2022a.sarif",
            "polyspace",
            0,
            "FLOAT_ZERO_DIV",
            "high",
            "level",
            None,
            None,
            (),
            "/example/pi_task/pi_utils.c",
            27,
            "computed:message",
        )
    ),
    case(
        Golden(
            "polyspace/polyspace-r2022a.sarif",
            "polyspace",
            4,
            "NON_INIT_VAR",
            "high",
            "level",
            None,
            None,
            (),
            "/example/pi_app/pi_main.c",
            44,
            "computed:snippet",
        )
    ),
    # --- sarif-tutorials samples -------------------------------------------------------------------
    # uriBaseId chain: SRCROOT = "src/" relative to REPOROOT (which has no uri) → src/io/kb.c
    case(
        Golden(
            "spec-samples/sarif-tutorials-originaluribaseids.sarif",
            "sarifsamples",
            0,
            "TUT1001",
            "medium",
            "level",
            None,
            None,
            (),
            "README.md",
            None,
            "computed:message",
        )
    ),
    case(
        Golden(
            "spec-samples/sarif-tutorials-originaluribaseids.sarif",
            "sarifsamples",
            1,
            "TUT1002",
            "medium",
            "level",
            None,
            None,
            (),
            "src/io/kb.c",
            None,
            "computed:message",
        )
    ),
    case(
        Golden(
            "spec-samples/sarif-tutorials-originaluribaseids.sarif",
            "sarifsamples",
            2,
            "TUT1003",
            "medium",
            "level",
            None,
            None,
            (),
            "",
            None,
            "computed:message",
        )
    ),
    case(
        Golden(
            "spec-samples/sarif-tutorials-message-with-arguments.sarif",
            "codescanner",
            0,
            "CS0001",
            "medium",
            "level",
            None,
            None,
            (),
            "",
            None,
            "computed:message",
        )
    ),
    # CWE via taxonomies: rule relationship and result taxa both name CWE 401 (bare id).
    case(
        Golden(
            "spec-samples/sarif-tutorials-standard-taxonomy-cwe.sarif",
            "codescanner",
            0,
            "CA2101",
            "medium",
            "level",
            None,
            None,
            ("CWE-401",),
            "",
            None,
            "computed:message",
        )
    ),
]


@pytest.mark.parametrize("g", GOLDEN)
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
# (file, tool, category) → occurrences: every result is kind "fail" (default) unless noted.
SCAN_COUNTS = [
    (CODEQL_ACTION, "lgtm-com", "", 1),
    (CODEQL_ACTION, "codeql", "", 2),
    ("codeql/codeql-action-fingerprinting-expected.sarif", "codeql", "", 2),
    (CODEQL_254, "codeql", "", 72),
    (SEMGREP_OSS, "semgrep", "", 77),
    (SEMGREP_017, "semgrep", "", 1768),
    (SEMGREP_E2E, "semgrep", "", 2),
    (SEMGREP_CI, "semgrep", "", 11),
    (SNYK_CODE, "snyk-code", "", 16),
    ("snyk/snyk-container-2runs.sarif", "snyk-container", "", 2),  # 2 runs, 1 stream
    ("snyk/snyk-iac-fib-go.sarif", "snyk-iac", "", 4),
    ("grype/grype-presenter-image-golden.sarif", "grype", "", 2),
    ("grype/defectdojo-grype-0.34.7-cxf.sarif", "grype", "", 22),
    (ANCHORE, "anchore", "", 429),
    ("checkov/sast-tool-testing-checkov-2.0.418.sarif", "checkov", "", 20),
    ("fortify/sarif-sdk-converter-fortify-fpr-fortifytest.sarif", "fortify", "CareerGuideAdminTool", 3),
    ("fortify/sarif-sdk-converter-fortify-xml-bannedapis.sarif", "fortify", "", 114),
    ("dependency-check/defectdojo-dependency-check-6.1.2.sarif", "dependency-check", "", 13),
    ("devskim/defectdojo-devskim-1.0.90-many.sarif", "devskim", "", 7),
    ("checkmarx-one/sariftest-checkmarx-one-cx-result.sarif", "checkmarx", "", 3766),
    ("eslint/sarif-tutorials-eslint-simple-example.sarif", "eslint", "", 1),
    ("eslint/iframe-resizer-eslint-8.56.0.sarif", "eslint", "", 12),
    ("gosec/enumdns-gosec-results.sarif", "gosec", "", 17),
    ("spotbugs/defectdojo-spotbugs-4.4.0.sarif", "spotbugs", "", 56),
    ("flawfinder/defectdojo-flawfinder-2.0.20-many.sarif", "flawfinder", "", 4),
    (FLAWFINDER_19, "flawfinder", "", 53),  # 54 results, #52 is kind "pass"
    ("scorecard/scorecard-check8-3runs.sarif", "scorecard", "supply-chain/local", 4),
    ("scorecard/scorecard-check8-3runs.sarif", "scorecard", "supply-chain/local-scm", 1),
    ("scorecard/scorecard-check8-3runs.sarif", "scorecard", "supply-chain/online-scm", 1),
    ("cppcheck/defectdojo-cppcheck-2.17.1-many.sarif", "cppcheck", "", 7),
    ("shiftleft-scan/defectdojo-scan-python-security-analysis.sarif", "python-security-analysis", "", 11),
    (SHELL, "shell-script-analysis", "", 27),
    ("mayhem/defectdojo-mayhem-code-security-2.12.0-many.sarif", "mayhem-code-security", "", 8),
    ("mayhem/defectdojo-mapi-2.31.2-many.sarif", "mapi", "", 20),
    ("nightvision/nimbler-nightvision-0.1.0.sarif", "nightvision", "", 4),
    ("polyspace/polyspace-r2022a.sarif", "polyspace", "", 10),
    ("spec-samples/sarif-tutorials-originaluribaseids.sarif", "sarifsamples", "", 3),
    ("spec-samples/sarif-tutorials-message-with-arguments.sarif", "codescanner", "", 1),
    ("spec-samples/sarif-tutorials-standard-taxonomy-cwe.sarif", "codescanner", "", 1),
    ("spec-samples/sarif-tutorials-suppressions.sarif", "sarifsamples", "", 9),  # suppressed ones stay
    ("spec-samples/sarif-tutorials-baseline.sarif", "sarifsamples", "", 3),  # 4 results, 1 "absent"
]


@pytest.mark.parametrize(
    ("rel", "tool", "category", "count"),
    [
        pytest.param(
            *row,
            id=f"{row[1]}-{Path(row[0]).stem}-{row[2] or 'default'}",
            marks=[] if row[0] in COPIED else [CORPUS_MARK],
        )
        for row in SCAN_COUNTS
    ],
)
def test_occurrences_per_scan(rel: str, tool: str, category: str, count: int) -> None:
    parsed = parse(rel)
    scan = scan_of(parsed, tool, category)
    assert len(scan.occurrences) == count
    assert scan.results_total == count + len(scan.skipped)
    # every file of the table holds exactly the scans listed for it
    expected = {(t, c) for r, t, c, _ in SCAN_COUNTS if r == rel}
    assert {(s.tool, s.category) for s in parsed.scans} == expected


# ------------------------------------------------------------------------------ identity (§4)
def _finding_ids_distinct(scan: Scan) -> None:
    ids = [o.finding_id for o in scan.occurrences]
    assert len(set(ids)) == len(ids), Counter(ids).most_common(3)


def _spec_tool_value(result: dict[str, Any]) -> tuple[str, str] | None:
    """SPEC §4 rules 1–2 applied by hand to a raw result: (source, value), or None without either."""
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


# file, tool, the tool value's source, and the results whose tool value repeats at another
# (rule, path, line) of the scan — those alone get a computed fingerprint (SPEC §4), by snippet
# when the region has one, else by message; every other result keeps the tool's value.
TOOL_VALUE_SPLITS = [
    # CodeQL 2.5.4 (vulpy): bad/ and good/ hold near-identical copies, so the line hash repeats across
    # the pairs (0, 2) … (69, 70); 12 and 31 are two rules (unused-import, import-own-module) at
    # bad/libuser.py:2. The snippet is only in contextRegion → computed from the message.
    (
        CODEQL_254,
        "codeql",
        "partialFingerprints",
        "computed:message",
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
        },
    ),
    # SnykCode: the highest key "1" (of "0"/"1") is a fuzzy hash shared by copies of one bundle:
    # sander dist/es6 + dist/es (3, 4), es + es6 + src (6, 7, 8), vite-plugin-svelte dist + src (10, 11).
    (SNYK_CODE, "snyk-code", "fingerprints", "computed:message", {3, 4, 6, 7, 8, 10, 11}),
    # Flawfinder 2.0.19 hashes the line text: the same text twice in one file (param.cc:29/:75,
    # data.cc:1051/:1059, io.cc:31/:48, io.cc:61/:137).
    (FLAWFINDER_19, "flawfinder", "fingerprints", "computed:snippet", {0, 1, 5, 6, 20, 22, 24, 29}),
    # ShiftLeft's shell wrapper: one value for rules 2072 and 1035 at dojo-shared-resources.sh:143
    # (2, 9, 12, 15, 16, 21, 24), setup/…:142 (5, 6) and common-os.sh:130 (19, 20). Rule 2077's values
    # repeat too, but always at the same rule, file and line (3, 10, 13, …) → kept.
    (
        SHELL,
        "shell-script-analysis",
        "partialFingerprints",
        "computed:snippet",
        {2, 5, 6, 9, 12, 15, 16, 19, 20, 21, 24},
    ),
]


@pytest.mark.parametrize(
    ("rel", "tool", "kept_source", "computed_source", "computed"),
    [
        pytest.param(*row, id=f"{row[1]}-{Path(row[0]).stem}", marks=[] if row[0] in COPIED else [CORPUS_MARK])
        for row in TOOL_VALUE_SPLITS
    ],
)
def test_only_repeated_tool_values_are_replaced(
    rel: str, tool: str, kept_source: str, computed_source: str, computed: set[int]
) -> None:
    """SPEC §4: a tool value is ignored only for the results that share it at different places.

    Which results keep the tool's value is checked here; the exact kept values are in the golden
    table and the tests below."""
    raw = json.loads(sarif_file(rel).read_bytes())["runs"][0]["results"]
    # the raw file bears the split out: a computed result's value occurs at another place; a kept
    # result's value occurs nowhere else, or only at the same rule, file and line
    places: dict[tuple[str, str], set[tuple[str, str, int | None]]] = {}
    for result in raw:
        value = _spec_tool_value(result)
        if value is not None:  # flawfinder 2.0.19 #52, kind "pass", has neither location nor value
            places.setdefault(value, set()).add(_raw_place(result))
    scan = scan_of(parse(rel), tool)
    assert computed <= {o.result_index for o in scan.occurrences}
    for occ in scan.occurrences:
        value = _spec_tool_value(raw[occ.result_index])
        assert value is not None and value[0] == kept_source, occ.result_index
        if occ.result_index in computed:
            assert len(places[value]) > 1, occ.result_index
            assert occ.fingerprint_source.value == computed_source, occ.result_index
            assert value[1] not in occ.fingerprint
        else:
            assert len(places[value]) == 1, occ.result_index
            assert occ.fingerprint_source.value == kept_source, occ.result_index
    _finding_ids_distinct(scan)


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
    _finding_ids_distinct(scan)
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
    _finding_ids_distinct(scan)


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
    _finding_ids_distinct(scan)


@pytest.mark.corpus
def test_checkov_same_check_on_four_resources_is_four_findings() -> None:
    scan = scan_of(parse("checkov/sast-tool-testing-checkov-2.0.418.sarif"), "checkov")
    same = [occurrence(scan, i) for i in (0, 4, 9, 15)]
    assert {(o.rule_id, o.path, o.message) for o in same} == {
        ("CKV_AWS_16", "aws/aws_db_instance.tf", "Ensure all data stored in the RDS is securely encrypted at rest")
    }
    assert [o.start_line for o in same] == [5, 17, 27, 40]
    _finding_ids_distinct(scan)


@pytest.mark.corpus
def test_semgrep_requires_login_placeholder_is_not_used(tmp_path: Path) -> None:
    """No corpus file carries the placeholder; derive one from real Semgrep OSS output (SPEC §4)."""
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
    _finding_ids_distinct(scan)
    # the untouched file keeps Semgrep's own value
    original = occurrence(scan_of(parse(SEMGREP_E2E), "semgrep"), 0)
    assert original.fingerprint_source.value == "fingerprints"
    assert original.fingerprint.endswith("_0")


@pytest.mark.corpus
def test_semgrep_oss_real_fingerprints_all_kept() -> None:
    """Semgrep OSS 1.69 (logged in): 77 distinct matchBasedId/v1 values, all trusted."""
    scan = scan_of(parse(SEMGREP_OSS), "semgrep")
    assert {o.fingerprint_source.value for o in scan.occurrences} == {"fingerprints"}
    _finding_ids_distinct(scan)


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
    """SPEC §4: line numbers never enter the fingerprint — unrelated code moving a file down keeps ids."""
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


# index → (suppressed, kind) per SPEC §3: status "accepted" or absent suppresses; rejected and
# underReview do not (the tutorial hides #8 "under review", SPEC does not).
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
    _finding_ids_distinct(scan)


@pytest.mark.corpus
def test_anchore_external_suppressions_without_status_are_suppressed() -> None:
    scan = scan_of(parse(ANCHORE), "anchore")
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


# ------------------------------------------------------------------ through the CLI and the DB
Sql = Callable[..., list[tuple[Any, ...]]]


def test_cli_and_database(run_ingest: Callable[..., tuple[int, str, str]], sql: Sql) -> None:
    files = [
        DATA / "codeql-action-valid-sarif-2runs.sarif",
        DATA / "grype-presenter-image-golden.sarif",
        DATA / "sarif-tutorials-baseline.sarif",
    ]
    code, out, err = run_ingest(
        "sarif", *files, "--project", "acme/web", "--branch", "main", "--scanned-at", "2024-05-01T12:00:00Z"
    )
    assert code == 0, (out, err)
    scans = sql("select tool, tool_name, category, occurrences, skipped from scans order by tool")
    assert scans == [
        ("codeql", "CodeQL command-line toolchain", "", 2, 0),
        ("grype", "grype", "", 2, 0),
        ("lgtm-com", "LGTM.com", "", 1, 0),
        ("sarifsamples", "SarifSamples", "", 3, 1),
    ]
    rows = sql(
        "select s.tool, o.result_index, o.rule_id, o.severity, o.severity_source, o.tool_severity,"
        " o.security_severity, o.cwes, o.path, o.start_line, o.fingerprint_source, o.fingerprint"
        " from occurrences o join scans s using (scan_id) where s.tool in ('codeql', 'grype')"
        " order by s.tool, o.result_index"
    )
    assert rows == [
        (
            "codeql",
            0,
            "js/unused-local-variable",
            "low",
            "tool",
            "recommendation",
            None,
            [],
            "main.js",
            2,
            "partialFingerprints",
            partial(primaryLocationLineHash="39fa2ee980eb94b0:1", primaryLocationStartColumnFingerprint="4"),
        ),
        (
            "codeql",
            1,
            "js/inconsistent-use-of-new",
            "medium",
            "tool",
            "warning",
            None,
            [],
            "src/promiseUtils.js",
            2,
            "partialFingerprints",
            partial(primaryLocationLineHash="5061c3315a741b7d:1", primaryLocationStartColumnFingerprint="7"),
        ),
        (
            "grype",
            0,
            "CVE-1999-0001-package-1",
            "high",
            "security-severity",
            "low",
            8.2,
            [],
            "user-input/somefile-1.txt",
            1,
            "partialFingerprints",
            partial(primaryLocationLineHash="efe125c0a2b4bdafe476b69ba51a49734780c62b93803950319056acebe4323f:1"),
        ),
        (
            "grype",
            1,
            "CVE-1999-0002-package-2",
            "high",
            "security-severity",
            "critical",
            8.5,
            [],
            "user-input/somefile-2.txt",
            1,
            "partialFingerprints",
            partial(primaryLocationLineHash="bafe9890c7cda00bf4d1b1a57d1d20b08e27162e718235a3d38a9a8d2f449ed1:1"),
        ),
    ]
    # one finding per occurrence, all open, in the streams of the given project and branch
    findings = sql(
        "select tool, count(*), count(distinct finding_id) from findings"
        " where project = 'acme/web' and branch = 'main' and status = 'open' group by tool order by tool"
    )
    assert findings == [("codeql", 2, 2), ("grype", 2, 2), ("lgtm-com", 1, 1), ("sarifsamples", 3, 3)]
    # the same partial fingerprint in two tools' scans is two findings (streams differ by tool)
    lgtm = sql("select fingerprint from findings where tool = 'lgtm-com'")
    assert lgtm == [(partial(primaryLocationLineHash="39fa2ee980eb94b0:1", primaryLocationStartColumnFingerprint="4"),)]


@pytest.mark.corpus
def test_cli_and_database_corpus(run_ingest: Callable[..., tuple[int, str, str]], sql: Sql) -> None:
    files = [sarif_file("nightvision/nimbler-nightvision-0.1.0.sarif"), sarif_file("polyspace/polyspace-r2022a.sarif")]
    code, out, err = run_ingest("sarif", *files, "--project", "acme/api", "--scanned-at", "2024-05-01T12:00:00Z")
    assert code == 0, (out, err)
    rows = sql(
        "select s.tool, s.tool_name, o.result_index, o.severity, o.severity_source, o.security_severity, o.path,"
        " o.start_line, o.fingerprint_source from occurrences o join scans s using (scan_id)"
        " where o.result_index in (0, 2) order by s.tool, o.result_index"
    )
    assert rows == [
        (
            "nightvision",
            "NightVision",
            0,
            "high",
            "security-severity",
            8.0,
            "src/main/java/hawk/controller/SearchController.java",
            36,
            "partialFingerprints",
        ),
        (
            "nightvision",
            "NightVision",
            2,
            "medium",
            "security-severity",
            5.0,
            "src/main/java/hawk/controller/SearchController.java",
            36,
            "partialFingerprints",
        ),
        ("polyspace", "Polyspace", 0, "high", "level", None, "/example/pi_task/pi_utils.c", 27, "computed:message"),
        ("polyspace", "Polyspace", 2, "high", "level", None, "/example/pi_alg/pi_alg.c", 102, "computed:message"),
    ]
    assert sql("select tool, count(*) from findings group by tool order by tool") == [
        ("nightvision", 4),
        ("polyspace", 10),
    ]
