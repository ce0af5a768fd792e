"""Anchore Grype — vulnerability scanner.

Corpus: ``grype/defectdojo-grype-0.34.7-cxf.sarif`` (driver ``Grype``) and
``grype/grype-presenter-{image,directory}-golden.sarif`` (driver ``grype``). Every rule has a
numeric ``security-severity`` (CVSS score, else 9.0/7.0/4.0/1.0 by severity, ``0.0`` without
metadata), so that number normally decides (docs/definitions.md §3) and the word is kept for display.

Severity word: the ``Severity: <word>`` line of the rule's ``help.text``, else the word in the
result message ``A <word> vulnerability in ...``. Grype's presenter writes only
critical/high/medium and writes ``low`` for everything else (low, negligible, unknown).

| word     | severity |
|----------|----------|
| critical | critical |
| high     | high     |
| medium   | medium   |
| low      | low      |

CWE: none emitted. Fingerprints: ``primaryLocationLineHash`` is a real hash (``<sha256>:1``).
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

_HELP_RE = re.compile(r"^Severity:[ \t]*(\w+)", re.MULTILINE)
_MESSAGE_RE = re.compile(r"^An? (\w+) vulnerability in ")


def _text(obj: JSON | None, key: str) -> str:
    value = obj.get(key) if isinstance(obj, dict) else None
    text = value.get("text") if isinstance(value, dict) else None
    return text if isinstance(text, str) else ""


def severity_word(result: JSON, rule: JSON | None) -> str | None:
    match = _HELP_RE.search(_text(rule, "help")) or _MESSAGE_RE.match(_text(result, "message"))
    return match.group(1) if match else None


ADAPTER = Adapter(
    key="grype",
    severity_table=SEVERITY_TABLE,
    severity_word=severity_word,
)


# Anchore's scan-action report ("Anchore Container Vulnerability Report", corpus
# ``anchore/anchore-container-vulnerability-report-0.7.3.sarif``) is Grype-based and writes the
# same ``Severity: X`` help line, with Anchore's words: Critical/High/Medium/Low/Negligible/Unknown.
ANCHORE_TABLE = {**SEVERITY_TABLE, "negligible": Severity.INFO}
ANCHORE = Adapter(
    key="anchore",
    aliases=frozenset({"anchore-container-vulnerability-report"}),
    severity_table=ANCHORE_TABLE,
    severity_word=severity_word,
)
