"""Gitleaks — secret scanner.

No gitleaks/ directory in the corpus; shape taken from gitleaks' ``report/sarif.go`` (driver
``gitleaks``; results have no ``level``, rule tags from the user's config go to result
``properties.tags``; ``partialFingerprints`` hold commit metadata, not identity).

Gitleaks writes no severity. Every finding is a committed credential (CWE-798-like), which we rate
high by default, like DefectDojo's gitleaks parser. The word is therefore:
1. a result/rule tag that is itself a severity word (users can tag rules ``critical`` … ``info``);
2. otherwise the fixed, synthetic word ``secret`` (not written by the tool).

| word     | severity |
|----------|----------|
| critical | critical |
| high     | high     |
| medium   | medium   |
| low      | low      |
| info     | info     |
| secret   | high (synthetic default) |

CWE: none emitted. Fingerprints: gitleaks' ``partialFingerprints`` are the commit's sha, author,
e-mail, date and message — the same for every leak of one commit, and empty strings when it scans
a directory. They are not used for identity: were they, two leaks of one commit would repeat the
value and get computed fingerprints, and when one was fixed the other's value would stop repeating,
switch back to the tool value and make the leak look fixed and new again. Every gitleaks result
therefore gets the computed fingerprint (rule | path | the matched text).
"""

from __future__ import annotations

from core.severity import Severity
from ingest.adapters.base import JSON, Adapter, tags

SEVERITY_TABLE = {
    "critical": Severity.CRITICAL,
    "high": Severity.HIGH,
    "medium": Severity.MEDIUM,
    "low": Severity.LOW,
    "info": Severity.INFO,
    "secret": Severity.HIGH,
}

DEFAULT_WORD = "secret"


def severity_word(result: JSON, rule: JSON | None) -> str | None:
    for tag in tags(result) + tags(rule):
        if tag.strip().lower() in SEVERITY_TABLE:
            return tag
    return DEFAULT_WORD


ADAPTER = Adapter(
    key="gitleaks",
    severity_table=SEVERITY_TABLE,
    severity_word=severity_word,
    fingerprint_placeholders=frozenset({""}),
    partial_fingerprints_identify=False,
)
