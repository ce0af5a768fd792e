"""Ruff — Python linter.

No ruff/ directory in the corpus (its ``.snap`` files are not plain SARIF); shape taken from
ruff's ``crates/ruff_linter/src/message/sarif.rs``: driver ``ruff``, every result ``level: error``
and every rule ``problem.severity: error``, so neither says anything. The rule's
``properties.kind`` names the linter the rule comes from (``flake8-bandit``, ``Pyflakes`` ...).

Ruff writes no severity, so the adapter returns a synthetic category word: ``security`` for
flake8-bandit rules (``kind`` ``flake8-bandit``, or a rule id ``S<digits>`` when the rule is
missing — not ``SIM``/``SLF``/``SLOT``), else ``lint``.

| word     | severity |
|----------|----------|
| security | medium   |
| lint     | low      |

CWE: none emitted. Fingerprints: none emitted (bare locations; the source-line context of
docs/definitions.md §4 applies).
"""

from __future__ import annotations

import re

from core.severity import Severity
from ingest.adapters.base import JSON, Adapter, prop

SEVERITY_TABLE = {
    "security": Severity.MEDIUM,
    "lint": Severity.LOW,
}

SECURITY_LINTER = "flake8-bandit"
_BANDIT_CODE = re.compile(r"^S\d+$")


def severity_word(result: JSON, rule: JSON | None) -> str | None:
    kind = prop(rule, "kind")
    if isinstance(kind, str) and kind.strip():
        return "security" if kind.strip().lower() == SECURITY_LINTER else "lint"
    rule_id = result.get("ruleId") or (rule or {}).get("id")
    if not isinstance(rule_id, str) or not rule_id.strip():
        return None
    return "security" if _BANDIT_CODE.match(rule_id.strip()) else "lint"


ADAPTER = Adapter(
    key="ruff",
    severity_table=SEVERITY_TABLE,
    severity_word=severity_word,
)
