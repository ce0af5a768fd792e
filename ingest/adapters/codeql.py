"""GitHub CodeQL.

Corpus: ``codeql/defectdojo-codeql-2.5.4-output.sarif`` (driver ``CodeQL``) and the
codeql-action fixtures (driver ``CodeQL command-line toolchain``). LGTM.com and Semmle QL are
other products and deliberately not aliased.

Severity word: rule ``properties["problem.severity"]`` (result first, then rule). Security
queries also carry a numeric ``security-severity``, which comes first (docs/definitions.md §3).

| word           | severity |
|----------------|----------|
| error          | high     |
| warning        | medium   |
| recommendation | low      |

``sub-severity`` (low/high) is not used. CWE: ``external/cwe/cwe-079`` rule tags (generic path).
Fingerprints: ``primaryLocationLineHash`` etc. are real hashes, no placeholders.
"""

from __future__ import annotations

from core.severity import Severity
from ingest.adapters.base import JSON, Adapter, result_or_rule_prop

SEVERITY_TABLE = {
    "error": Severity.HIGH,
    "warning": Severity.MEDIUM,
    "recommendation": Severity.LOW,
}


def severity_word(result: JSON, rule: JSON | None) -> str | None:
    return result_or_rule_prop(result, rule, "problem.severity")


ADAPTER = Adapter(
    key="codeql",
    aliases=frozenset({"codeql-command-line-toolchain"}),
    severity_table=SEVERITY_TABLE,
    severity_word=severity_word,
)
