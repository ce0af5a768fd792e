"""Adapter hooks against small dicts shaped like real scanner output.

Each fixture copies only the relevant keys from the corpus file named beside it (a corpus path;
tests/data/SOURCES.md says where each file came from) or from the tool's own SARIF writer where the
corpus has no file for it.
"""

from __future__ import annotations

import pytest

from core.severity import Severity
from ingest.adapters import (
    bandit,
    canonical_tool_key,
    checkmarx,
    checkov,
    codeql,
    dependency_check,
    devskim,
    eslint,
    fortify,
    gitleaks,
    grype,
    kics,
    ruff,
    semgrep,
    snyk,
    trivy,
)
from ingest.adapters.base import JSON, Adapter, slug

ALL_ADAPTERS: list[Adapter] = [
    bandit.ADAPTER,
    checkmarx.ADAPTER,
    checkov.ADAPTER,
    codeql.ADAPTER,
    dependency_check.ADAPTER,
    devskim.ADAPTER,
    eslint.ADAPTER,
    fortify.ADAPTER,
    gitleaks.ADAPTER,
    grype.ADAPTER,
    kics.ADAPTER,
    ruff.ADAPTER,
    semgrep.ADAPTER,
    snyk.ADAPTER,
    snyk.ADAPTER_CONTAINER,
    snyk.ADAPTER_OPEN_SOURCE,
    snyk.ADAPTER_IAC,
    trivy.ADAPTER,
]


# --- registry -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Grype", "grype"),
        ("grype", "grype"),
        ("Semgrep OSS", "semgrep"),
        ("semgrep", "semgrep"),
        ("Polyspace ", "polyspace"),
        ("Checkov", "checkov"),
        ("checkov", "checkov"),
        ("Micro Focus Fortify Static Code Analyzer", "fortify"),
        ("Fortify", "fortify"),
        ("CodeQL", "codeql"),
        ("CodeQL command-line toolchain", "codeql"),
        ("LGTM.com", "lgtm-com"),
        ("Checkmarx One", "checkmarx"),
        ("dependency-check", "dependency-check"),
        ("devskim", "devskim"),
        ("ESLint", "eslint"),
        ("SnykCode", "snyk-code"),
        ("", "unknown"),
        ("   ", "unknown"),
        (None, "unknown"),
    ],
)
def test_canonical_tool_key(name: str | None, key: str) -> None:
    assert canonical_tool_key(name) == key


@pytest.mark.parametrize("adapter", ALL_ADAPTERS, ids=lambda a: a.key)
def test_keys_aliases_and_tables_are_normalised(adapter: Adapter) -> None:
    assert adapter.key == slug(adapter.key)
    assert all(alias == slug(alias) for alias in adapter.aliases)
    assert all(word == word.lower() for word in adapter.severity_table)
    assert all(isinstance(sev, Severity) for sev in adapter.severity_table.values())


def test_snyk_products_are_separate_streams() -> None:
    keys = {
        a.key
        for a in (
            snyk.ADAPTER,
            snyk.ADAPTER_CONTAINER,
            snyk.ADAPTER_OPEN_SOURCE,
            snyk.ADAPTER_IAC,
        )
    }
    assert keys == {"snyk-code", "snyk-container", "snyk-open-source", "snyk-iac"}
    assert "snykcode" in snyk.ADAPTER.aliases
    assert "snyk-infrastructure-as-code" in snyk.ADAPTER_IAC.aliases


# --- bandit (bandit/formatters/sarif.py; ShiftLeft wrapper shape) ---------------------------


def test_bandit_issue_severity() -> None:
    result: JSON = {
        "ruleId": "B104",
        "properties": {"issue_confidence": "MEDIUM", "issue_severity": "MEDIUM"},
    }
    assert bandit.ADAPTER.tool_severity(result, None) == ("MEDIUM", Severity.MEDIUM)
    shiftleft: JSON = {"properties": {"issue_confidence": "HIGH", "issue_severity": "CRITICAL"}}
    assert bandit.ADAPTER.tool_severity(shiftleft, None) == (
        "CRITICAL",
        Severity.CRITICAL,
    )
    undefined: JSON = {"properties": {"issue_severity": "UNDEFINED"}}
    assert bandit.ADAPTER.tool_severity(undefined, None) == ("UNDEFINED", None)


def test_bandit_issue_cwe_object() -> None:
    result: JSON = {
        "properties": {
            "issue_severity": "HIGH",
            "issue_cwe": {
                "id": 78,
                "link": "https://cwe.mitre.org/data/definitions/78.html",
            },
        }
    }
    assert list(bandit.ADAPTER.extra_cwes(result, None)) == ["CWE-78"]
    no_cwe: JSON = {"properties": {"issue_cwe": {"id": 0, "link": ""}}}
    assert list(bandit.ADAPTER.extra_cwes(no_cwe, None)) == []


# --- checkmarx (checkmarx-one/sariftest-checkmarx-one-cx-result.sarif) ----------------------


def test_checkmarx_has_no_word_security_severity_decides() -> None:
    rule: JSON = {
        "id": "SQL Injection (sast)",
        "properties": {
            "security-severity": "9.0",
            "tags": ["security", "checkmarx", "sast"],
        },
    }
    result: JSON = {"ruleId": "SQL Injection (sast)", "level": "error"}
    assert checkmarx.ADAPTER.tool_severity(result, rule) == (None, None)
    assert list(checkmarx.ADAPTER.extra_cwes(result, rule)) == []


# --- checkov (checkov/sast-tool-testing-checkov-2.0.418.sarif) ------------------------------


def test_checkov_has_no_word() -> None:
    rule: JSON = {"id": "CKV_AWS_16", "defaultConfiguration": {"level": "error"}}
    result: JSON = {"ruleId": "CKV_AWS_16", "ruleIndex": 0, "level": "error"}
    assert checkov.ADAPTER.tool_severity(result, rule) == (None, None)
    assert list(checkov.ADAPTER.extra_cwes(result, rule)) == []
    assert canonical_tool_key("Bridgecrew") == "checkov"


# --- codeql (codeql/defectdojo-codeql-2.5.4-output.sarif) -----------------------------------


@pytest.mark.parametrize(
    ("word", "severity"),
    [
        ("error", Severity.HIGH),
        ("warning", Severity.MEDIUM),
        ("recommendation", Severity.LOW),
    ],
)
def test_codeql_problem_severity(word: str, severity: Severity) -> None:
    rule: JSON = {
        "id": "py/weak-sensitive-data-hashing",
        "properties": {
            "tags": ["security", "external/cwe/cwe-327"],
            "kind": "path-problem",
            "precision": "high",
            "problem.severity": word,
        },
    }
    result: JSON = {"ruleId": "py/weak-sensitive-data-hashing", "ruleIndex": 3}
    assert codeql.ADAPTER.tool_severity(result, rule) == (word, severity)
    assert list(codeql.ADAPTER.extra_cwes(result, rule)) == []


def test_codeql_without_rule() -> None:
    assert codeql.ADAPTER.tool_severity({"ruleId": "js/unused-local-variable"}, None) == (None, None)


# --- dependency-check -----------------------------------------------------------------------


def test_dependency_check_cvss_on_result() -> None:
    # dependency-check/defectdojo-dependency-check-6.1.2.sarif
    result: JSON = {
        "ruleId": "CVE-2015-9251",
        "level": "error",
        "properties": {
            "cvssv2_score": 4.3,
            "cvssv2_severity": "MEDIUM",
            "cvssv3_baseScore": 6.1,
            "cvssv3_baseSeverity": "MEDIUM",
            "source": "NVD",
        },
    }
    assert dependency_check.ADAPTER.tool_severity(result, None) == (
        "MEDIUM",
        Severity.MEDIUM,
    )
    unscored: JSON = {
        "ruleId": "Prototype pollution",
        "properties": {"unscored": "true", "severity": "medium", "source": "RETIREJS"},
    }
    assert dependency_check.ADAPTER.tool_severity(unscored, None) == (
        "medium",
        Severity.MEDIUM,
    )


def test_dependency_check_cvss_on_rule() -> None:
    # dependency-check/hmpps-dependency-check-8.4.3.sarif
    rule: JSON = {
        "id": "CVE-2025-41232",
        "properties": {
            "cvssv2_score": 9.3,
            "cvssv2_severity": "HIGH",
            "source": "OSSINDEX",
        },
    }
    result: JSON = {"ruleId": "CVE-2025-41232", "level": "warning"}
    assert dependency_check.ADAPTER.tool_severity(result, rule) == (
        "HIGH",
        Severity.HIGH,
    )
    assert list(dependency_check.ADAPTER.extra_cwes(result, rule)) == []


# --- devskim (devskim/defectdojo-devskim-1.0.90-many.sarif) ---------------------------------


@pytest.mark.parametrize(
    ("word", "severity"),
    [
        ("Critical", Severity.CRITICAL),
        ("Important", Severity.HIGH),
        ("Moderate", Severity.MEDIUM),
        ("BestPractice", Severity.LOW),
        ("ManualReview", Severity.LOW),
    ],
)
def test_devskim_severity(word: str, severity: Severity) -> None:
    result: JSON = {
        "ruleId": "DS126858",
        "level": "error",
        "properties": {
            "tags": ["Cryptography.BannedHashAlgorithm"],
            "DevSkimSeverity": word,
            "DevSkimConfidence": "High",
        },
    }
    rule: JSON = {
        "id": "DS126858",
        "properties": {"problem.severity": "error", "DevSkimSeverity": "Moderate"},
    }
    assert devskim.ADAPTER.tool_severity(result, rule) == (word, severity)
    assert list(devskim.ADAPTER.extra_cwes(result, rule)) == []


# --- eslint (eslint/sarif-tutorials-eslint-simple-example.sarif) ----------------------------


def test_eslint_level_only() -> None:
    rule: JSON = {"id": "no-unused-vars", "properties": {"category": "Variables"}}
    result: JSON = {"ruleId": "no-unused-vars", "ruleIndex": 0, "level": "error"}
    assert eslint.ADAPTER.tool_severity(result, rule) == (None, None)
    assert list(eslint.ADAPTER.extra_cwes(result, rule)) == []


# --- fortify --------------------------------------------------------------------------------


def test_fortify_xml_priority_and_bare_cwe_numbers() -> None:
    # fortify/sarif-sdk-converter-fortify-xml-bannedapis.sarif
    result: JSON = {
        "ruleId": "Buffer Overflow",
        "partialFingerprints": {"InstanceId": "30C5553B949CCCBFDA3AEF5D98E90CC4"},
        "properties": {
            "kingdom": "Input Validation and Representation",
            "priority": "Critical",
            "cwe": "120, 129, 131, 787",
            "fortifyRuleId": "FDE123D1-00F8-A0F5-E54C-B20080EE8025",
        },
    }
    assert fortify.ADAPTER.tool_severity(result, None) == (
        "Critical",
        Severity.CRITICAL,
    )
    assert list(fortify.ADAPTER.extra_cwes(result, None)) == [
        "CWE-120",
        "CWE-129",
        "CWE-131",
        "CWE-787",
    ]
    single: JSON = {"properties": {"priority": "High", "cwe": "476"}}
    assert fortify.ADAPTER.tool_severity(single, None) == ("High", Severity.HIGH)
    assert list(fortify.ADAPTER.extra_cwes(single, None)) == ["CWE-476"]


def test_fortify_fpr_instance_severity_is_kept_but_not_mapped() -> None:
    # fortify/sarif-sdk-converter-fortify-fpr-failure-level-matrices.sarif
    result: JSON = {
        "ruleIndex": 0,
        "properties": {"InstanceSeverity": "3.0", "Confidence": "5.0"},
    }
    rule: JSON = {
        "id": "370A25A9-2F65-4B79-B267-FC0A87D79DAC",
        "relationships": [
            {
                "target": {"id": "615", "toolComponent": {"name": "CWE"}},
                "kinds": ["relevant"],
            }
        ],
        "properties": {
            "Accuracy": "1.0",
            "Impact": "2.0",
            "Probability": "3.0",
            "Kingdom": "Security Features",
        },
    }
    assert fortify.ADAPTER.tool_severity(result, rule) == ("3.0", None)
    assert list(fortify.ADAPTER.extra_cwes(result, rule)) == []


# --- gitleaks (gitleaks report/sarif.go) ----------------------------------------------------


def test_gitleaks_default_word_is_secret() -> None:
    result: JSON = {
        "ruleId": "aws-access-token",
        "message": {"text": "aws-access-token has detected secret for file config.py."},
        "partialFingerprints": {
            "commitSha": "",
            "email": "",
            "author": "",
            "date": "",
            "commitMessage": "",
        },
        "properties": {"tags": []},
    }
    rule: JSON = {
        "id": "aws-access-token",
        "shortDescription": {"text": "AWS Access Token"},
    }
    assert gitleaks.ADAPTER.tool_severity(result, rule) == ("secret", Severity.HIGH)
    assert list(gitleaks.ADAPTER.extra_cwes(result, rule)) == []
    assert "" in gitleaks.ADAPTER.fingerprint_placeholders


def test_gitleaks_severity_tag_wins() -> None:
    result: JSON = {"ruleId": "generic-api-key", "properties": {"tags": ["key", "Low"]}}
    assert gitleaks.ADAPTER.tool_severity(result, None) == ("Low", Severity.LOW)


# --- grype ----------------------------------------------------------------------------------


def test_grype_word_from_help_text() -> None:
    # grype/defectdojo-grype-0.34.7-cxf.sarif
    rule: JSON = {
        "id": "CVE-2008-0732-geronimo-j2ee-management_1.1_spec",
        "help": {
            "text": "Vulnerability CVE-2008-0732\nSeverity: low\nPackage: geronimo-j2ee-management_1.1_spec\n"
            "Version: 1.0.1\nFix Version: \nType: java-archive"
        },
        "properties": {"security-severity": "2.1"},
    }
    result: JSON = {"ruleId": "CVE-2008-0732-geronimo-j2ee-management_1.1_spec"}
    assert grype.ADAPTER.tool_severity(result, rule) == ("low", Severity.LOW)
    assert list(grype.ADAPTER.extra_cwes(result, rule)) == []


def test_grype_word_from_message_without_rule() -> None:
    # grype/grype-presenter-image-golden.sarif
    result: JSON = {
        "ruleId": "CVE-1999-0002-package-2",
        "level": "error",
        "message": {"text": "A critical vulnerability in deb package: package-2, version 2.2.2 was found in image"},
    }
    assert grype.ADAPTER.tool_severity(result, None) == ("critical", Severity.CRITICAL)


# --- ruff (crates/ruff_linter/src/message/sarif.rs) -----------------------------------------


def test_ruff_lint_rule() -> None:
    rule: JSON = {
        "id": "F401",
        "properties": {
            "id": "F401",
            "kind": "Pyflakes",
            "name": "unused-import",
            "problem.severity": "error",
        },
    }
    result: JSON = {"ruleId": "F401", "level": "error"}
    assert ruff.ADAPTER.tool_severity(result, rule) == ("lint", Severity.LOW)
    assert list(ruff.ADAPTER.extra_cwes(result, rule)) == []


def test_ruff_bandit_rule() -> None:
    rule: JSON = {
        "id": "S608",
        "properties": {
            "id": "S608",
            "kind": "flake8-bandit",
            "name": "hardcoded-sql-expression",
        },
    }
    assert ruff.ADAPTER.tool_severity({"ruleId": "S608", "level": "error"}, rule) == (
        "security",
        Severity.MEDIUM,
    )


@pytest.mark.parametrize(
    ("rule_id", "word"),
    [("S105", "security"), ("SIM108", "lint"), ("SLF001", "lint"), ("E501", "lint")],
)
def test_ruff_without_rule_uses_code_prefix(rule_id: str, word: str) -> None:
    assert ruff.ADAPTER.tool_severity({"ruleId": rule_id, "level": "error"}, None)[0] == word


# --- semgrep --------------------------------------------------------------------------------


def test_semgrep_word_in_security_severity() -> None:
    # semgrep/defectdojo-semgrep-oss-1.69.0-issue10191.sarif
    rule: JSON = {
        "id": "rules_lgpl_javascript_headers_rule-generic-cors",
        "defaultConfiguration": {"level": "warning"},
        "properties": {
            "precision": "very-high",
            "security-severity": "MEDIUM",
            "tags": ["CWE-346", "OWASP-A05:2021-Security Misconfiguration", "security"],
        },
    }
    result: JSON = {
        "ruleId": "rules_lgpl_javascript_headers_rule-generic-cors",
        "properties": {},
    }
    assert semgrep.ADAPTER.tool_severity(result, rule) == ("MEDIUM", Severity.MEDIUM)
    assert list(semgrep.ADAPTER.extra_cwes(result, rule)) == []


def test_semgrep_numeric_security_severity_is_left_to_rule_one() -> None:
    rule: JSON = {"id": "x", "properties": {"security-severity": "7.5"}}
    assert semgrep.ADAPTER.tool_severity({"ruleId": "x"}, rule) == (None, None)
    old: JSON = {
        "id": "y",
        "properties": {"precision": "very-high", "tags": ["cwe", "owasp"]},
    }
    assert semgrep.ADAPTER.tool_severity({"ruleId": "y"}, old) == (None, None)


def test_semgrep_placeholder() -> None:
    assert "requires login" in semgrep.ADAPTER.fingerprint_placeholders


# --- snyk -----------------------------------------------------------------------------------


def test_snyk_container_word_from_short_description() -> None:
    # snyk/snyk-container-2runs.sarif
    rule: JSON = {
        "id": "SNYK-ALPINE318-OPENSSL-6032386",
        "shortDescription": {"text": "High severity - CVE-2023-5363 vulnerability in openssl"},
        "properties": {"tags": ["security", "apk"]},
    }
    result: JSON = {"ruleId": "SNYK-ALPINE318-OPENSSL-6032386", "level": "error"}
    assert snyk.ADAPTER_CONTAINER.tool_severity(result, rule) == ("High", Severity.HIGH)
    assert list(snyk.ADAPTER_CONTAINER.extra_cwes(result, rule)) == []


def test_snyk_iac_word_from_short_description() -> None:
    # snyk/snyk-iac-fib-go.sarif
    rule: JSON = {
        "id": "SNYK-CC-K8S-8",
        "shortDescription": {"text": "Low severity - Container is running with writable root filesystem"},
    }
    assert snyk.ADAPTER_IAC.tool_severity({"ruleId": "SNYK-CC-K8S-8"}, rule) == (
        "Low",
        Severity.LOW,
    )


def test_snyk_code_has_no_word() -> None:
    # snyk/snykcode-code-scan.sarif
    rule: JSON = {
        "id": "javascript/InsufficientPostmessageValidation",
        "shortDescription": {"text": "Insufficient postMessage Validation"},
        "defaultConfiguration": {"level": "note"},
        "properties": {"tags": ["javascript", "Security"], "cwe": ["CWE-20"]},
    }
    result: JSON = {
        "ruleId": "javascript/InsufficientPostmessageValidation",
        "level": "note",
        "properties": {"priorityScore": 413, "isAutofixable": False},
    }
    assert snyk.ADAPTER.tool_severity(result, rule) == (None, None)
    assert list(snyk.ADAPTER.extra_cwes(result, rule)) == []


# --- trivy (pkg/report/sarif.go) ------------------------------------------------------------


def test_trivy_word_from_rule_tags() -> None:
    rule: JSON = {
        "id": "CVE-2023-5363",
        "name": "OsPackageVulnerability",
        "properties": {
            "precision": "very-high",
            "security-severity": "7.5",
            "tags": ["vulnerability", "security", "HIGH"],
        },
    }
    result: JSON = {"ruleId": "CVE-2023-5363", "ruleIndex": 0, "level": "error"}
    assert trivy.ADAPTER.tool_severity(result, rule) == ("HIGH", Severity.HIGH)
    assert list(trivy.ADAPTER.extra_cwes(result, rule)) == []


def test_trivy_unknown_falls_through() -> None:
    rule: JSON = {
        "id": "CVE-0",
        "properties": {"tags": ["vulnerability", "security", "UNKNOWN"]},
    }
    assert trivy.ADAPTER.tool_severity({"ruleId": "CVE-0"}, rule) == ("UNKNOWN", None)
    misconfig: JSON = {
        "id": "AVD-AWS-0086",
        "properties": {"tags": ["misconfiguration", "security", "CRITICAL"]},
    }
    assert trivy.ADAPTER.tool_severity({"ruleId": "AVD-AWS-0086"}, misconfig) == (
        "CRITICAL",
        Severity.CRITICAL,
    )


# --- identity on infrastructure-as-code --------------------------------------------------------
# Snippets exactly as checkov 3.3.30 wrote them for files written for this test (a CloudFormation
# template, a two-document Kubernetes manifest, a Dockerfile, a one-line JSON template).
CHECKOV_SNIPPETS = [
    ('resource "aws_cloudwatch_log_group" "flow" {\n  name = "/vpc/${var.name}/flow-logs"\n}\n',
     "resource.aws_cloudwatch_log_group.flow"),
    ("  LogsBucket:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: my-logs\n", "LogsBucket"),
    ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n    - name: web\n"
     "      image: nginx:latest\n", "Pod/-/web"),
    ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: api\nspec:\n  containers:\n    - name: api\n"
     "      image: nginx\n", "Pod/-/api"),
    ("FROM python:latest\n", None),
    ('{"Resources": {"JsonBucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "j"}}}}', None),
]  # fmt: skip


@pytest.mark.parametrize(("snippet", "address"), CHECKOV_SNIPPETS)
def test_checkov_context_is_the_block_address(snippet: str, address: str | None) -> None:
    assert checkov.ADAPTER.identity_context({}, snippet) == address


@pytest.mark.parametrize(
    ("snippet", "address"),
    [
        ('data "aws_iam_policy_document" "assume" {\n  statement {}\n}', "data.aws_iam_policy_document.assume"),
        ('module "vpc" {\n  source = "./vpc"\n}', "module.vpc"),
        ("# managed by platform\n\nresource aws_s3_bucket logs {\n}", "resource.aws_s3_bucket.logs"),
        ('  "LogsBucket": {\n    "Type": "AWS::S3::Bucket"\n  }', "LogsBucket"),
        # Kubernetes: only metadata's own name counts, not a label called name; namespace kept
        (
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  labels:\n    name: lbl\n  name: web\n"
            "  namespace: prod\nspec:\n  template:\n    metadata:\n      name: inner\n",
            "Deployment/prod/web",
        ),
        ("apiVersion: v1\nkind: Pod\nspec:\n  name: x\n", None),  # no metadata name: no address
        ("RUN pip install flask\n", None),
        ("", None),
        (None, None),
    ],
)
def test_block_address_shapes(snippet: str | None, address: str | None) -> None:
    from ingest.adapters.iac import block_address

    assert block_address(snippet) == address


def test_only_block_snippet_scanners_have_an_identity_context() -> None:
    """Generic tools keep the generic context; checkov collapses its repeats, nobody else does."""
    with_context = {a.key for a in ALL_ADAPTERS if a.identity_context({"message": {"text": "aws_x[y] z"}},
                                                                       'resource "a" "b" {') is not None}  # fmt: skip
    assert with_context == {"checkov", "kics"}
    assert {a.key for a in ALL_ADAPTERS if a.collapse_identical_results} == {"checkov"}


@pytest.mark.parametrize(
    ("message", "address"),
    [  # keyActualValue texts of KICS' own Terraform queries (assets/queries/terraform/aws/…)
        ("aws_s3_bucket[logs].versioning is undefined", "aws_s3_bucket[logs]"),
        ("aws_s3_bucket[logs].acl is authenticated-read", "aws_s3_bucket[logs]"),
        ("aws_s3_bucket[b] does not have 'logging' defined", "aws_s3_bucket[b]"),
        ("'aws_s3_bucket[logs].versioning' is undefined", "aws_s3_bucket[logs]"),
        ("'versioning' is undefined or null", None),
        ("metadata.name={{web}}.spec.containers.name={{web}}.securityContext.privileged is true", None),
    ],
)
def test_kics_context_is_the_terraform_search_key(message: str, address: str | None) -> None:
    assert kics.ADAPTER.identity_context({"message": {"text": message}}, None) == address
    assert kics.ADAPTER.identity_context({"message": "not an object"}, None) is None
