"""Semgrep (OSS CLI).

Corpus: ``semgrep/defectdojo-semgrep-oss-1.69.0-issue10191.sarif`` (driver ``Semgrep OSS``),
``semgrep/defectdojo-semgrep-0.17.0-owasp-benchmark.sarif`` and ``semgrep/semgrep-ci-autofix.sarif``
(driver ``semgrep``). ``level`` is absent on results; the rule's ``defaultConfiguration.level``
comes from the rule's ERROR/WARNING/INFO.

Severity word: the rule's ``properties["security-severity"]`` when it is a *word* rather than a
number — Semgrep 1.69 writes ``"CRITICAL"``, ``"HIGH"``, ``"MEDIUM"`` there, which the first rule of
docs/definitions.md §3 (numeric only) skips. A numeric value is left to that rule.

| word     | severity |
|----------|----------|
| CRITICAL | critical |
| HIGH     | high     |
| MEDIUM   | medium   |
| LOW      | low      |
| INFO     | info     |

CWE: rule tags ``CWE-601`` / ``CWE-89: Improper ...`` (generic path); 0.17 writes only a bare
``cwe`` tag with no number. Fingerprints: ``matchBasedId/v1`` is ``"requires login"`` on every
result when the CLI runs logged out — a placeholder.
"""

from __future__ import annotations

from core.severity import Severity
from ingest.adapters.base import JSON, Adapter, result_or_rule_prop

SEVERITY_TABLE = {
    "critical": Severity.CRITICAL,
    "high": Severity.HIGH,
    "medium": Severity.MEDIUM,
    "low": Severity.LOW,
    "info": Severity.INFO,
}


def severity_word(result: JSON, rule: JSON | None) -> str | None:
    word = result_or_rule_prop(result, rule, "security-severity")
    if word is None:
        return None
    try:
        float(word)
    except ValueError:
        return word
    return None


ADAPTER = Adapter(
    key="semgrep",
    aliases=frozenset({"semgrep-oss"}),
    severity_table=SEVERITY_TABLE,
    severity_word=severity_word,
    fingerprint_placeholders=frozenset({"requires login"}),
)
