"""Snyk — four products, four tool keys (their scans must never close each other's findings).

Corpus (``snyk/``): ``defectdojo-snykcode-many-vulns.sarif`` and ``snykcode-code-scan.sarif``
(driver ``SnykCode``), ``snyk-container-2runs.sarif`` (``Snyk Container``),
``snyk-iac-fib-go.sarif`` (``Snyk Infrastructure as Code``), ``snyk-open-source-zero-results.sarif``
(``Snyk Open Source``).

Severity word: the prefix of the rule's ``shortDescription.text``, ``"High severity - ..."``
(Container, IaC, Open Source). Snyk Code rules have no such prefix: its ``level``
(error/warning/note = Snyk high/medium/low) decides; ``properties.priorityScore`` (0–1000) is a
fix-priority ranking, not a severity, and is not mapped.

| word     | severity |
|----------|----------|
| Critical | critical |
| High     | high     |
| Medium   | medium   |
| Low      | low      |

CWE: Snyk Code rule ``properties.cwe`` lists, Snyk Container ``CWE-266`` rule tags (generic
path). Fingerprints: Snyk Code's ``fingerprints`` ``"0"``/``"1"`` are real hashes, no placeholders.

``__init__.py`` must register ADAPTER, ADAPTER_CONTAINER, ADAPTER_OPEN_SOURCE and ADAPTER_IAC.
"""

from __future__ import annotations

import re

from core.severity import Severity
from ingest.adapters.base import JSON, Adapter

SEVERITY_TABLE = {
    "critical": Severity.CRITICAL,
    "high": Severity.HIGH,
    "medium": Severity.MEDIUM,
    "low": Severity.LOW,
}

_PREFIX_RE = re.compile(r"^\s*(critical|high|medium|low) severity\b", re.IGNORECASE)


def severity_word(result: JSON, rule: JSON | None) -> str | None:
    short = rule.get("shortDescription") if isinstance(rule, dict) else None
    text = short.get("text") if isinstance(short, dict) else None
    match = _PREFIX_RE.match(text) if isinstance(text, str) else None
    return match.group(1) if match else None


def _snyk(key: str, *aliases: str) -> Adapter:
    return Adapter(
        key=key,
        aliases=frozenset(aliases),
        severity_table=SEVERITY_TABLE,
        severity_word=severity_word,
    )


ADAPTER = _snyk("snyk-code", "snykcode")
ADAPTER_CONTAINER = _snyk("snyk-container")
ADAPTER_OPEN_SOURCE = _snyk("snyk-open-source")
ADAPTER_IAC = _snyk("snyk-iac", "snyk-infrastructure-as-code")
