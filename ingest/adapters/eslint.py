"""ESLint via ``@microsoft/eslint-formatter-sarif``.

Corpus: ``eslint/iframe-resizer-eslint-8.56.0.sarif`` and
``eslint/sarif-tutorials-eslint-simple-example.sarif`` (driver ``ESLint``). ESLint has no
severity word: ``level`` is the configured rule severity (``"error"`` = 2, ``"warn"`` = 1), which
says how strictly a lint rule is enforced, not how dangerous the finding is. The level rule of
docs/definitions.md §3 maps it (error → high); use the per-tool severity override in the config to change that.

| word | severity |
|------|----------|
| (none — the level decides) | |

CWE: none emitted. Fingerprints: none emitted.
"""

from __future__ import annotations

from ingest.adapters.base import Adapter

ADAPTER = Adapter(key="eslint")
