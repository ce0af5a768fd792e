"""Checkov (Bridgecrew / Prisma Cloud) — IaC scanner.

Corpus: ``checkov/sast-tool-testing-checkov-2.0.418.sarif`` (driver ``checkov``) and
``checkov/prismacloud-checkov-3.2.32-empty.sarif`` (driver ``Checkov``). Checkov writes no
severity word: when a check has a severity (Prisma Cloud API key) its SARIF writer
(``checkov/common/output/sarif.py``) turns it into a numeric rule ``security-severity``
(critical 10.0, high 8.9, medium 6.9, low 3.9) which SPEC §3 rule 1 reads; without it every
failed check gets ``level: error`` (as in the corpus file) and rule 3 applies.

| word | severity |
|------|----------|
| (none — ``security-severity`` or the level decides) | |

Aliases: ``bridgecrew`` is the driver name the same writer uses when no tool name is given.
CWE: none emitted. Fingerprints: none emitted.
"""

from __future__ import annotations

from ingest.adapters.base import Adapter

ADAPTER = Adapter(key="checkov", aliases=frozenset({"bridgecrew"}))
