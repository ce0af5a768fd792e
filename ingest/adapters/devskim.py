"""Microsoft DevSkim.

Corpus: ``devskim/defectdojo-devskim-1.0.90-many.sarif`` (driver ``devskim``). Severity word:
``properties.DevSkimSeverity`` on the result (then the rule). It is more specific than the rule's
``problem.severity`` (Important and Moderate rules both say ``warning`` there).

| word         | severity |
|--------------|----------|
| Critical     | critical |
| Important    | high     |
| Moderate     | medium   |
| BestPractice | low      |
| ManualReview | low      |

DevSkim itself writes ``note`` for both BestPractice and ManualReview, hence low for both.
CWE: none emitted (result tags are DevSkim categories such as ``Cryptography.PRNG.Weak``).
Fingerprints: none emitted.
"""

from __future__ import annotations

from core.severity import Severity
from ingest.adapters.base import JSON, Adapter, result_or_rule_prop

SEVERITY_TABLE = {
    "critical": Severity.CRITICAL,
    "important": Severity.HIGH,
    "moderate": Severity.MEDIUM,
    "bestpractice": Severity.LOW,
    "manualreview": Severity.LOW,
}


def severity_word(result: JSON, rule: JSON | None) -> str | None:
    return result_or_rule_prop(result, rule, "DevSkimSeverity")


ADAPTER = Adapter(
    key="devskim",
    severity_table=SEVERITY_TABLE,
    severity_word=severity_word,
)
