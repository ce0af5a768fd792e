"""The one explicit registry of scanner adapters, keyed by canonical tool key.

``canonical_tool_key`` turns any driver name into a key: it is slugged (lower case, trimmed,
punctuation and spaces collapsed to ``-``) and looked up in the aliases, so that "Grype"/"grype",
"Semgrep OSS"/"semgrep" and "Polyspace " each land on one key. A tool without an adapter keeps its
slug as key and is handled by the generic path. Adding a scanner = one module + one line below.
"""

from __future__ import annotations

# One import per adapter module; a broken module fails loudly at import, never silently.
from ingest.adapters import (
    bandit,
    checkmarx,
    checkov,
    codeql,
    dependency_check,
    devskim,
    eslint,
    fortify,
    gitleaks,
    gosec,
    grype,
    kics,
    ruff,
    semgrep,
    snyk,
    trivy,
)
from ingest.adapters.base import GENERIC, Adapter, slug

ADAPTERS: tuple[Adapter, ...] = (
    bandit.ADAPTER,
    checkmarx.ADAPTER,
    checkov.ADAPTER,
    codeql.ADAPTER,
    dependency_check.ADAPTER,
    devskim.ADAPTER,
    eslint.ADAPTER,
    fortify.ADAPTER,
    gitleaks.ADAPTER,
    gosec.ADAPTER,
    grype.ADAPTER,
    grype.ANCHORE,
    kics.ADAPTER,
    ruff.ADAPTER,
    semgrep.ADAPTER,
    snyk.ADAPTER,
    snyk.ADAPTER_CONTAINER,
    snyk.ADAPTER_OPEN_SOURCE,
    snyk.ADAPTER_IAC,
    trivy.ADAPTER,
)


def _build_registry() -> tuple[dict[str, Adapter], dict[str, str]]:
    by_key: dict[str, Adapter] = {}
    alias_to_key: dict[str, str] = {}
    for adapter in ADAPTERS:
        if adapter.key in by_key:
            raise RuntimeError(f"two adapters claim tool key {adapter.key!r}")
        by_key[adapter.key] = adapter
    for adapter in ADAPTERS:
        for alias in adapter.aliases | {adapter.key}:
            if alias_to_key.get(alias, adapter.key) != adapter.key:
                raise RuntimeError(f"alias {alias!r} claimed by two adapters")
            alias_to_key[alias] = adapter.key
    return by_key, alias_to_key


REGISTRY, _ALIASES = _build_registry()


def canonical_tool_key(name: str | None, full_name: str | None = None) -> str:
    """The canonical key for a driver name; ``unknown`` when there is no usable name."""
    for candidate in (name, full_name):
        if isinstance(candidate, str) and slug(candidate):
            key = slug(candidate)
            return _ALIASES.get(key, key)
    return "unknown"


def adapter_for(tool_key: str) -> Adapter:
    """The adapter registered for a canonical key, else the generic (no-op) adapter."""
    return REGISTRY.get(tool_key, GENERIC)


__all__ = ["ADAPTERS", "REGISTRY", "Adapter", "adapter_for", "canonical_tool_key", "slug"]
