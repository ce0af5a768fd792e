"""gosec — Go security checker.

Corpus: ``gosec/enumdns-gosec-results.sarif``. gosec writes ``level`` from its *confidence*-ish
mapping (G115 integer overflow is ``error``), while its own severity is the upper-case word among
the rule's ``properties.tags`` (``["security", "LOW"]``) and the ``Severity: X`` line of
``help.text``. CWE comes through rule ``relationships`` (handled generically).

| word   | severity |
|--------|----------|
| HIGH   | high     |
| MEDIUM | medium   |
| LOW    | low      |
"""

from __future__ import annotations

import re

from core.severity import Severity
from ingest.adapters.base import JSON, Adapter, tags

SEVERITY_TABLE = {"high": Severity.HIGH, "medium": Severity.MEDIUM, "low": Severity.LOW}
_HELP_RE = re.compile(r"^Severity:[ \t]*(\w+)", re.MULTILINE)


def severity_word(result: JSON, rule: JSON | None) -> str | None:
    for tag in tags(rule):
        if tag.lower() in SEVERITY_TABLE:
            return tag
    help_obj = rule.get("help") if isinstance(rule, dict) else None
    text = help_obj.get("text") if isinstance(help_obj, dict) else None
    match = _HELP_RE.search(text) if isinstance(text, str) else None
    return match.group(1) if match else None


ADAPTER = Adapter(key="gosec", severity_table=SEVERITY_TABLE, severity_word=severity_word)
