"""Checkov (Bridgecrew / Prisma Cloud) — IaC scanner.

Corpus: ``checkov/sast-tool-testing-checkov-2.0.418.sarif`` (driver ``checkov``) and
``checkov/prismacloud-checkov-3.2.32-empty.sarif`` (driver ``Checkov``). Checkov writes no
severity word: when a check has a severity (Prisma Cloud API key) its SARIF writer
(``checkov/common/output/sarif.py``) turns it into a numeric rule ``security-severity``
(critical 10.0, high 8.9, medium 6.9, low 3.9) which decides first (docs/definitions.md §3); without
it every failed check gets ``level: error`` (as in the corpus file) and the level decides.

| word | severity |
|------|----------|
| (none — ``security-severity`` or the level decides) | |

Aliases: ``bridgecrew`` is the driver name the same writer uses when no tool name is given.
CWE: none emitted. Fingerprints: none emitted.

Identity (checked on checkov 3.3.30 output, ``tests/data/iac/``): the snippet is the whole flagged
block — a Terraform resource, a CloudFormation resource, a Kubernetes manifest — so it changes
whenever any line of the block does, though the finding stays. The context of the computed
fingerprint is therefore the block's address (``ingest.adapters.iac.block_address``: e.g.
``resource.aws_flow_log.this`` from ``resource "aws_flow_log" "this" {``); a snippet without one
(a Dockerfile instruction) keeps the generic snippet context. Renaming a block changes its address:
checkov's SARIF carries nothing else that could tell a rename from a removal and an addition.

Repeats: checkov reports a module's results once per module call it evaluates (each example of a
module repository calls it), byte for byte the same in SARIF (the calling module is not written),
so identical results of one scan are one occurrence; the copies are skipped with a reason.
"""

from __future__ import annotations

from ingest.adapters.base import JSON, Adapter
from ingest.adapters.iac import block_address


def identity_context(result: JSON, snippet: str | None) -> str | None:
    return block_address(snippet)


ADAPTER = Adapter(
    key="checkov",
    aliases=frozenset({"bridgecrew"}),
    identity_context=identity_context,
    collapse_identical_results=True,
)
