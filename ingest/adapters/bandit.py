"""Bandit (PyCQA) — Python security linter.

Severity word: result ``properties.issue_severity`` (then the rule's), as Bandit's own SARIF
formatter writes it (``bandit/formatters/sarif.py``); ShiftLeft scan wrappers use the same
property name (corpus: ``shiftleft-scan/defectdojo-scan-python-security-analysis.sarif``).
There is no bandit/ directory in the corpus; the driver name is ``Bandit``.

| word      | severity |
|-----------|----------|
| CRITICAL  | critical (ShiftLeft wrappers only) |
| HIGH      | high     |
| MEDIUM    | medium   |
| LOW       | low      |
| UNDEFINED | (not mapped: falls through to the level) |

CWE: Bandit writes ``external/cwe/cwe-<n>`` / ``CWE-<n>`` tags and ``properties.cwe`` (generic
path). This adapter also reads Bandit's JSON-shaped ``issue_cwe`` object
(``{"id": 78, "link": ...}``) from result or rule properties; id 0 means "no CWE" and is dropped.
Fingerprints: none are placeholders.
"""

from __future__ import annotations

from collections.abc import Iterable

from core.severity import Severity
from ingest.adapters.base import JSON, Adapter, prop, result_or_rule_prop

SEVERITY_TABLE = {
    "critical": Severity.CRITICAL,
    "high": Severity.HIGH,
    "medium": Severity.MEDIUM,
    "low": Severity.LOW,
}


def severity_word(result: JSON, rule: JSON | None) -> str | None:
    return result_or_rule_prop(result, rule, "issue_severity")


def extra_cwes(result: JSON, rule: JSON | None) -> Iterable[str]:
    found: list[str] = []
    for obj in (result, rule):
        issue_cwe = prop(obj, "issue_cwe")
        cwe_id = issue_cwe.get("id") if isinstance(issue_cwe, dict) else None
        text = str(cwe_id).strip() if isinstance(cwe_id, (int, str)) else ""
        if text.isdigit() and int(text) > 0 and f"CWE-{int(text)}" not in found:
            found.append(f"CWE-{int(text)}")
    return found


ADAPTER = Adapter(
    key="bandit",
    severity_table=SEVERITY_TABLE,
    severity_word=severity_word,
    extra_cwes=extra_cwes,
)
