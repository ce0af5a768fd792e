"""Micro Focus / OpenText Fortify SCA, via the sarif-sdk converters.

Corpus: ``fortify/sarif-sdk-converter-fortify-xml-bannedapis.sarif`` (driver ``Fortify``, XML
report converter) and ``fortify/sarif-sdk-converter-fortify-fpr-*.sarif`` (driver
``Micro Focus Fortify Static Code Analyzer``, FPR converter).

Severity word: result ``properties.priority`` (Fortify Priority Order, XML converter), else
``properties.InstanceSeverity`` (FPR converter: a number ``1.0``–``5.0``). The number is kept as the
raw word but is not mapped (its relation to Priority is not documented and in the corpus it does
not track the level), so such results fall through to the level.

| word     | severity |
|----------|----------|
| Critical | critical |
| High     | high     |
| Medium   | medium   |
| Low      | low      |
| 1.0–5.0 (InstanceSeverity) | (not mapped) |

CWE: the FPR converter uses rule ``relationships`` into a CWE taxonomy (generic path); the XML
converter writes bare numbers in result ``properties.cwe`` (``"120, 129, 131, 787"``), which this
adapter turns into ``CWE-<n>``. Fingerprints: ``InstanceId`` is real, no placeholders.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from core.severity import Severity
from ingest.adapters.base import JSON, Adapter, prop, result_or_rule_prop

SEVERITY_TABLE = {
    "critical": Severity.CRITICAL,
    "high": Severity.HIGH,
    "medium": Severity.MEDIUM,
    "low": Severity.LOW,
}

_CWE_PART = re.compile(r"^(?:cwe-?)?\s*0*(\d+)$", re.IGNORECASE)


def severity_word(result: JSON, rule: JSON | None) -> str | None:
    return result_or_rule_prop(result, rule, "priority", "InstanceSeverity")


def extra_cwes(result: JSON, rule: JSON | None) -> Iterable[str]:
    found: list[str] = []
    for obj in (result, rule):
        value = prop(obj, "cwe")
        parts = value.split(",") if isinstance(value, str) else value
        if not isinstance(parts, list):
            continue
        for part in parts:
            match = _CWE_PART.match(str(part).strip())
            if match and int(match.group(1)) > 0 and f"CWE-{int(match.group(1))}" not in found:
                found.append(f"CWE-{int(match.group(1))}")
    return found


ADAPTER = Adapter(
    key="fortify",
    aliases=frozenset({"micro-focus-fortify-static-code-analyzer"}),
    severity_table=SEVERITY_TABLE,
    severity_word=severity_word,
    extra_cwes=extra_cwes,
)
