"""Finding identity (docs/definitions.md §4): fingerprints that survive unrelated line shifts.

The fingerprint is the tool's ``fingerprints`` (highest-versioned key), else its
``partialFingerprints`` (all keys), else computed from rule, path and a line-free context.
A tool-provided value is trusted only when it tells the results of a scan apart: placeholders,
and values shared by results at different locations or rules, are replaced by computed ones.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.models import FingerprintSource

# Values scanners write when they have no real fingerprint.
GLOBAL_PLACEHOLDERS = frozenset({"", "requires login", "null", "none", "n/a", "unknown", "placeholder"})
_VERSION_RE = re.compile(r"^(.*?)/v(\d+)$")
_QUOTED_RE = re.compile(r"\"[^\"]*\"|'[^']*'|`[^`]*`|“[^”]*”|‘[^’]*’")
_DIGITS_RE = re.compile(r"\d+")
SOURCE_CONTEXT_LINES = 1  # lines each side of the result's line used with --source-root


@dataclass(frozen=True, slots=True)
class ToolFingerprint:
    value: str
    source: FingerprintSource


def _version_key(key: str) -> tuple[int, str]:
    match = _VERSION_RE.match(key)
    return (int(match.group(2)), key) if match else (0, key)


def _scalar(value: Any) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None  # objects/lists are schema violations (Black Duck's sample): not usable


def tool_fingerprint(
    result: Mapping[str, Any], placeholders: frozenset[str], use_partial: bool = True
) -> ToolFingerprint | None:
    """The tool's own value for one result (the first two sources of docs/definitions.md §4),
    ignoring placeholder values (and ``partialFingerprints`` when the tool's adapter says they do
    not identify findings)."""
    fps = result.get("fingerprints")
    if fps is None and (not use_partial or "partialFingerprints" not in result):
        return None
    if isinstance(fps, dict):
        usable = {k: v for k, v in ((k, _scalar(v)) for k, v in fps.items()) if v is not None}
        usable = {k: v for k, v in usable.items() if not _is_placeholder(v, placeholders)}
        if usable:
            best = max(sorted(usable), key=_version_key)
            return ToolFingerprint(usable[best], FingerprintSource.FINGERPRINTS)
    partial = result.get("partialFingerprints") if use_partial else None
    if isinstance(partial, dict):
        pairs = [(k, v) for k, v in ((k, _scalar(v)) for k, v in sorted(partial.items())) if v is not None]
        # all keys joined (docs/definitions.md §4); the whole value is a placeholder only when every part is one
        if pairs and not all(_is_placeholder(v, placeholders) for _, v in pairs):
            return ToolFingerprint(",".join(f"{k}:{v}" for k, v in pairs), FingerprintSource.PARTIAL)
    return None


def _is_placeholder(value: str, placeholders: frozenset[str]) -> bool:
    return value.strip().lower() in GLOBAL_PLACEHOLDERS or value in placeholders


def untrusted_values(
    candidates: Sequence[ToolFingerprint | None], places: Sequence[tuple[str, str, int | None]]
) -> set[ToolFingerprint]:
    """Tool values that repeat across results at different (rule, path, line) in one scan: they do
    not tell results apart, so those results get a computed fingerprint (docs/definitions.md §4)."""
    seen: dict[ToolFingerprint, set[tuple[str, str, int | None]]] = defaultdict(set)
    for fp, place in zip(candidates, places, strict=True):
        if fp is not None:
            seen[fp].add(place)
    return {fp for fp, where in seen.items() if len(where) > 1}


def normalise_snippet(text: str) -> str:
    """All whitespace removed. ``str.split()`` splits on exactly the characters ``\\s`` matches
    (``str.isspace``; checked over every code point), without a regular expression's cost."""
    return "".join(text.split())


def normalise_message(text: str) -> str:
    """Quoted parts and digits removed, whitespace runs collapsed to one space, ends trimmed."""
    return " ".join(_DIGITS_RE.sub("", _QUOTED_RE.sub("", text)).split())


def computed_in_result(
    rule_id: str, path: str, address: str | None, snippet: str | None
) -> tuple[str, FingerprintSource] | None:
    """The computed fingerprint when the result itself holds its context: the adapter's address,
    else the whitespace-free snippet; None when neither (then the source lines or the message)."""
    if address:
        return computed_fingerprint(rule_id, path, address), FingerprintSource.ADDRESS
    context = normalise_snippet(snippet) if snippet else ""
    return (computed_fingerprint(rule_id, path, context), FingerprintSource.SNIPPET) if context else None


def computed_from_message(rule_id: str, path: str, message: str) -> tuple[str, FingerprintSource]:
    """The computed fingerprint whose context is the message without its quoted parts and digits."""
    return computed_fingerprint(rule_id, path, normalise_message(message)), FingerprintSource.MESSAGE


def computed_fingerprint(rule_id: str, path: str, context: str) -> str:
    digest = hashlib.sha256(f"{rule_id}|{path}|{context}".encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:32]


class SourceLines:
    """Reads source files under a checkout root, at most once each, never outside the root."""

    def __init__(self, root: str | None):
        if root and root.lower().startswith("file:"):
            from urllib.parse import unquote, urlsplit

            root = unquote(urlsplit(root).path)
        self.root = Path(root).resolve() if root and Path(root).is_dir() else None
        self._cache: dict[str, list[str] | None] = {}

    def context(self, path: str, line: int | None) -> str | None:
        if self.root is None or not path or line is None or line < 1:
            return None
        lines = self._lines(path)
        if lines is None or line > len(lines):
            return None
        lo, hi = max(0, line - 1 - SOURCE_CONTEXT_LINES), min(len(lines), line + SOURCE_CONTEXT_LINES)
        return normalise_snippet("\n".join(lines[lo:hi])) or None

    def _lines(self, path: str) -> list[str] | None:
        if path not in self._cache:
            self._cache[path] = self._read(path)
        return self._cache[path]

    def _read(self, path: str) -> list[str] | None:
        assert self.root is not None
        try:  # a hostile path (NUL byte, over-long name, loops) simply has no source context
            candidate = Path(path).resolve() if Path(path).is_absolute() else (self.root / path.lstrip("/")).resolve()
            if not candidate.is_relative_to(self.root) or not candidate.is_file():
                return None
            if candidate.stat().st_size > 16 * 1024 * 1024:
                return None
            return candidate.read_text(encoding="utf-8", errors="replace").splitlines()
        except (OSError, ValueError, RuntimeError):
            return None


def finding_id(project: str, branch: str, tool: str, category: str, rule_id: str, fingerprint: str) -> str:
    key = "\x1f".join((project, branch, tool, category, rule_id, fingerprint))
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]


# Finding ids already computed in this process, per stream: a stream's findings recur scan after
# scan, and a dict lookup costs a fraction of hashing the key again.
_FINDING_IDS: dict[bytes, dict[tuple[str, str], str]] = {}
_FINDING_IDS_LOCK = threading.Lock()
_FINDING_IDS_MAX = 200_000  # ids in all streams together (~150 bytes each); then start afresh


def finding_ids(project: str, branch: str, tool: str, category: str) -> Callable[[str, str], str]:
    """``finding_id`` for one stream, as a function of (rule id, fingerprint): the stream's part of
    the key is encoded once per scan instead of once per result, and ids already made are kept."""
    prefix = "\x1f".join((project, branch, tool, category, "")).encode("utf-8", "surrogatepass")
    with _FINDING_IDS_LOCK:  # the HTTP service normalises uploads in threads
        known = _FINDING_IDS.get(prefix)
        if known is None:
            if sum(len(ids) for ids in _FINDING_IDS.values()) > _FINDING_IDS_MAX:
                _FINDING_IDS.clear()
            known = _FINDING_IDS[prefix] = {}
    sha256 = hashlib.sha256

    def of(rule_id: str, fingerprint: str) -> str:
        found = known.get((rule_id, fingerprint))
        if found is None:
            digest = sha256(prefix)
            digest.update(f"{rule_id}\x1f{fingerprint}".encode("utf-8", "surrogatepass"))
            if len(known) >= _FINDING_IDS_MAX:
                known.clear()
            found = known[(rule_id, fingerprint)] = digest.hexdigest()[:32]
        return found

    return of


def disambiguate(keys: Iterable[tuple[str, str]]) -> list[str]:
    """Fingerprints made unique within a scan: the 2nd, 3rd… repeat of (rule, fp) get ``#2``, ``#3``."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    out = []
    for rule_id, fp in keys:
        counts[(rule_id, fp)] += 1
        n = counts[(rule_id, fp)]
        out.append(fp if n == 1 else f"{fp}#{n}")
    return out
