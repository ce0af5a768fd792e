"""Checkmarx One (AST CLI) — combined SAST / SCA / KICS report.

Corpus: ``checkmarx-one/sariftest-checkmarx-one-cx-result.sarif`` (driver ``Checkmarx One``,
3766 results). Every rule carries a numeric ``security-severity`` (9.0 / 7.0 / 4.0 / 2.0 / 1.0),
so it always decides (docs/definitions.md §3); Checkmarx writes no separate severity word, hence no table:

| word | severity |
|------|----------|
| (none — ``security-severity`` decides) | |

CWE: none in the corpus file (no ``cwe`` anywhere); the generic path covers tags if a future
version adds them. Fingerprints: the file has none, so no placeholders.
Rule ids carry an engine suffix (``CVE-2013-7285 (sca)``, ``SQL Injection (sast)``,
``... (kics)``); they are kept verbatim as rule ids.
"""

from __future__ import annotations

from ingest.adapters.base import Adapter

ADAPTER = Adapter(key="checkmarx", aliases=frozenset({"checkmarx-one"}))
