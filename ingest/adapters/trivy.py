"""Aqua Trivy — vulnerability, misconfiguration, secret and license scanner.

No trivy/ directory in the corpus (``anchore/`` comes from the trivy-sarif-demo repository but is
Anchore output); shape taken from trivy's ``pkg/report/sarif.go``: driver ``Trivy``, rule
``properties.tags`` = ``[<class>, "security", <SEVERITY>]`` and a numeric ``security-severity``
(CVSS score, else CRITICAL 9.5 / HIGH 8.0 / MEDIUM 5.5 / LOW 2.0 / other 0.0), so that number
normally decides (docs/definitions.md §3) and the word is kept for display.

Severity word: the rule (or result) tag that is one of Trivy's severities.

| word     | severity |
|----------|----------|
| CRITICAL | critical |
| HIGH     | high     |
| MEDIUM   | medium   |
| LOW      | low      |
| UNKNOWN  | (not mapped: falls through to the level, ``note``) |

CWE: none emitted. Fingerprints: none emitted.

Identity of misconfiguration (``trivy config``) results: no snippet is written — the region is the
cause's start and end lines — and the message is ``Artifact: … Type: … Vulnerability <id> Severity:
… Message: <the check's message> Link: …``, so the generic message context does not change when
lines inside the flagged block change (no block-body churn as with checkov). It names no resource
either: two resources of one file failing one check are told apart only by order (``#2``), and
nothing in the SARIF could do better, so there is no ``identity_context`` hook.
"""

from __future__ import annotations

from core.severity import Severity
from ingest.adapters.base import JSON, Adapter, tags

SEVERITY_TABLE = {
    "critical": Severity.CRITICAL,
    "high": Severity.HIGH,
    "medium": Severity.MEDIUM,
    "low": Severity.LOW,
}

TRIVY_SEVERITIES = frozenset({"CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"})


def severity_word(result: JSON, rule: JSON | None) -> str | None:
    for tag in tags(result) + tags(rule):
        if tag.strip().upper() in TRIVY_SEVERITIES:
            return tag
    return None


ADAPTER = Adapter(
    key="trivy",
    severity_table=SEVERITY_TABLE,
    severity_word=severity_word,
)
