"""The adapter contract: named, pure hooks for a scanner's own conventions.

Generic SARIF handling (``ingest.normalise``) does the work for every tool. An adapter only answers the
questions where a scanner departs from the generic rules: which word in its output is its own
severity and how that word maps to ours, where else it hides CWE ids, which fingerprint values it
writes as placeholders, and what identifies a result when its snippet does not (the address of a
flagged infrastructure-as-code block). Adapters are pure: parsed JSON in, plain values out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from core.severity import Severity

JSON = dict[str, Any]
WordHook = Callable[[JSON, JSON | None], str | None]
CweHook = Callable[[JSON, JSON | None], Iterable[str]]
# (result, its snippet text or None) → the context that identifies it within its rule and path
ContextHook = Callable[[JSON, str | None], str | None]

_SLUG_RE = re.compile(r"[^a-z0-9]+")


def slug(name: str) -> str:
    """Lower-case, trimmed, runs of anything but letters and digits collapsed to ``-``."""
    return _SLUG_RE.sub("-", name.strip().lower()).strip("-")


def no_word(result: JSON, rule: JSON | None) -> str | None:
    return None


def no_cwes(result: JSON, rule: JSON | None) -> Iterable[str]:
    return ()


def no_context(result: JSON, snippet: str | None) -> str | None:
    return None


def prop(obj: JSON | None, *names: str) -> Any:
    """The first of ``properties[name]`` that is present and not empty, else None."""
    if obj.__class__ is not dict and not isinstance(obj, dict):
        return None
    props = obj.get("properties")
    if props.__class__ is not dict and not isinstance(props, dict):
        return None
    for name in names:
        value = props.get(name)
        if value not in (None, ""):
            return value
    return None


def result_or_rule_prop(result: JSON, rule: JSON | None, *names: str) -> str | None:
    """A string property looked up on the result first, then on its rule."""
    for obj in (result, rule):
        value = prop(obj, *names)
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
    return None


def tags(obj: JSON | None) -> list[str]:
    value = prop(obj, "tags")
    return [t for t in value if isinstance(t, str)] if isinstance(value, list) else []


@dataclass(frozen=True)
class Adapter:
    """One scanner's conventions.

    ``key`` is the canonical tool key; ``aliases`` are other slugs of driver names that mean the
    same tool. ``severity_table`` maps the lower-cased word returned by ``severity_word`` to a
    severity; a word missing from the table falls through to the level (docs/definitions.md §3, "Severity").
    """

    key: str
    aliases: frozenset[str] = frozenset()
    severity_table: Mapping[str, Severity] = field(default_factory=dict)
    severity_word: WordHook = no_word
    extra_cwes: CweHook = no_cwes
    fingerprint_placeholders: frozenset[str] = frozenset()
    # False when the tool's partialFingerprints describe something wider than one finding (gitleaks:
    # the commit), so they never identify a result (docs/definitions.md §4: a tool value that does not tell
    # results apart is ignored)
    partial_fingerprints_identify: bool = True
    # The computed fingerprint's context (docs/definitions.md §4) when the generic one (snippet, else
    # message) changes while the finding stays: block-snippet IaC scanners name the flagged
    # resource's address here. None = the generic context.
    identity_context: ContextHook = no_context
    # True when the tool writes one result several times, byte for byte, in one run (checkov: once
    # per module call of the examples): the copies are one occurrence, the rest are skipped.
    collapse_identical_results: bool = False

    def tool_severity(self, result: JSON, rule: JSON | None) -> tuple[str | None, Severity | None]:
        """The tool's raw severity word and its mapped severity (None when not in the table)."""
        word = self.severity_word(result, rule)
        if word is None:
            return None, None
        word = str(word).strip()
        if not word:
            return None, None
        return word, self.severity_table.get(word.lower())


def _issue_severity(result: JSON, rule: JSON | None) -> str | None:
    return result_or_rule_prop(result, rule, "issue_severity")


# Tools without an adapter: only the widespread bandit-style ``issue_severity`` word is read
# (ShiftLeft scan's wrappers and other bandit-derived tools write it under descriptive names).
GENERIC = Adapter(
    key="",
    severity_table={
        "critical": Severity.CRITICAL,
        "high": Severity.HIGH,
        "medium": Severity.MEDIUM,
        "low": Severity.LOW,
    },
    severity_word=_issue_severity,
)
