"""KICS (Checkmarx) — infrastructure-as-code scanner.

No KICS file in the corpus (``checkmarx-one/…cx-result.sarif`` holds KICS findings re-emitted by
Checkmarx One, with the query name as message: the checkmarx adapter's business). Shape taken from
KICS' SARIF writer (``pkg/report/model/sarif.go``): driver ``KICS``; rule id = the query's UUID;
``defaultConfiguration.level`` from the query severity (CRITICAL/HIGH → error, MEDIUM → warning,
LOW → note, INFO → none with ``kind: informational``); a result's region has ``startLine`` only —
**no snippet** — and its message is the query's ``keyActualValue``, which for Terraform queries
starts with the resource's search key: ``aws_s3_bucket[logs].versioning is undefined``,
``aws_s3_bucket[logs].acl is authenticated-read``.

Severity word: none in the SARIF (the level carries it). CWE: rule relationships (generic path).
Fingerprints: none emitted.

Identity: without a snippet the generic context is the message, which already names the resource
but also the value found (``acl is public-read`` → ``acl is authenticated-read`` would be a new
finding though the query still fails on the same resource). When the message starts with a
Terraform search key, the context is that key's resource address (``aws_s3_bucket[logs]``);
otherwise (other platforms, messages without a key) the generic message context is kept.
"""

from __future__ import annotations

import re

from ingest.adapters.base import JSON, Adapter

# A Terraform search key at the start of the message: type[name], the type with a provider prefix.
_ADDRESS_RE = re.compile(r"^['\"]?([a-z][a-z0-9]*_[a-z0-9_]+\[[^\]\s]+\])")


def identity_context(result: JSON, snippet: str | None) -> str | None:
    message = result.get("message")
    text = message.get("text") if isinstance(message, dict) else None
    match = _ADDRESS_RE.match(text.strip()) if isinstance(text, str) else None
    return match.group(1) if match else None


ADAPTER = Adapter(key="kics", identity_context=identity_context)
