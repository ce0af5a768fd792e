"""OWASP Dependency-Check.

Corpus: ``dependency-check/defectdojo-dependency-check-6.1.2.sarif`` (properties on results) and
``dependency-check/hmpps-dependency-check-8.4.3.sarif`` (properties on rules); driver
``dependency-check``. Every result has ``level`` error or warning regardless of the CVE.

Severity word, first present (result, then rule): ``cvssv3_baseSeverity``, ``cvssv2_severity``,
then plain ``severity`` (RetireJS/OSS Index findings marked ``unscored: "true"``).

| word     | severity |
|----------|----------|
| CRITICAL | critical |
| HIGH     | high     |
| MEDIUM   | medium   |
| moderate | medium (NPM-advisory wording of ``severity``) |
| LOW      | low      |
| (lower-case ``low``/``medium``/``high`` from ``severity`` map the same way) | |

Newer templates also write ``security-severity`` = CVSSv3 base score, which wins (rule 1).
CWE: the SARIF template emits none. Fingerprints: ``vulnerabilityHash`` is the MD5 of the CVE
name, so it repeats when one CVE hits several dependencies (the generic repeat check handles it).
"""

from __future__ import annotations

from core.severity import Severity
from ingest.adapters.base import JSON, Adapter, result_or_rule_prop

SEVERITY_TABLE = {
    "critical": Severity.CRITICAL,
    "high": Severity.HIGH,
    "moderate": Severity.MEDIUM,
    "medium": Severity.MEDIUM,
    "low": Severity.LOW,
}


def severity_word(result: JSON, rule: JSON | None) -> str | None:
    return result_or_rule_prop(result, rule, "cvssv3_baseSeverity", "cvssv2_severity", "severity")


ADAPTER = Adapter(
    key="dependency-check",
    severity_table=SEVERITY_TABLE,
    severity_word=severity_word,
)
