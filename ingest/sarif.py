"""Normalise a parsed SARIF 2.1.0 log into scans, rules and occurrences (SPEC §2–§4).

Generic rules do the work for every tool; the tool's adapter (``ingest.adapters``) answers only
the tool-specific questions. Malformed parts below the result level (a location that is a string,
a region with a negative line, a message that is a number…) are treated as absent, so a result is
never lost because one of its optional parts is broken.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import orjson

from core.settings import Settings
from core.severity import LEVELS, Severity
from core.times import TimeOutOfRange, read_time, shown
from ingest import identity
from ingest.adapters import Adapter, adapter_for, canonical_tool_key
from ingest.models import FingerprintSource, ParsedFile, Rule, Scan, ScanMeta, SeveritySource, Skipped
from ingest.paths import PathContext, artifact_uri, to_repo_path
from ingest.reader import RawLog

JSON = dict[str, Any]
MAX_MESSAGE_CHARS = 32_768
MAX_SNIPPET_CHARS = 4_096
MAX_TEXT_CHARS = 65_536
NO_RULE = "(no rule)"
# Identifiers and names from the SARIF are stored and shown everywhere: a hostile or broken file
# must not put megabytes into a rule id, a path or a stream key.
MAX_ID_CHARS = 512
MAX_PATH_CHARS = 4_096
MAX_TAGS = 64  # per rule (real rules have up to ~10)
MAX_CWES = 32  # per rule and per result (real ones have up to ~5)
MAX_WARNINGS = 20  # per file; the rest are counted in one more line
# A scan time in a SARIF before this is a placeholder (the Unix epoch, a zero value), not when a
# scanner ran: it falls back to the next source, with a warning.
EARLIEST_SCAN_TIME = datetime(1990, 1, 1)
_CWE_RE = re.compile(r"\bcwe[-_/: ]?0*(\d{1,6})\b", re.IGNORECASE)
_ARG_RE = re.compile(r"\{(\d+)\}")


@dataclass(frozen=True, slots=True)
class Options:
    """Settings that are not per file."""

    extra_prefixes: tuple[str, ...] = ()
    # (tool, rule_id or "*") → severity: user overrides (SPEC §3, config)
    severity_overrides: Mapping[tuple[str, str], Severity] = field(default_factory=dict)
    max_future_skew_s: float = 24 * 3600.0

    @classmethod
    def from_settings(cls, settings: Settings) -> Options:
        """The ingest-time settings: severity overrides and extra path prefixes (config.toml)."""
        return cls(extra_prefixes=settings.strip_prefixes, severity_overrides=dict(settings.severity_overrides))


def _obj(value: Any) -> JSON:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _text(value: Any, limit: int = MAX_TEXT_CHARS) -> str | None:
    """``{"text": …}`` message-like objects or plain strings, trimmed to a limit."""
    text = _obj(value).get("text") if isinstance(value, dict) else value
    if not isinstance(text, str) or not text.strip():
        return None
    return text if len(text) <= limit else text[:limit] + " … [truncated]"


def capped(text: str, limit: int = MAX_ID_CHARS) -> str:
    """``text``, or when longer than ``limit`` its start, ``…`` and 16 hex digits of its sha256:
    ``limit`` characters that still tell different long values apart (they are identity)."""
    if len(text) <= limit:
        return text
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return text[: limit - 17] + "…" + digest


def _int(value: Any) -> int | None:
    # bool is an int subclass: not a number here
    if value.__class__ is not int and (value is None or isinstance(value, bool) or not isinstance(value, int)):
        return None
    return value if 0 <= value < 2**31 else None


def security_severity(value: Any) -> float | None:
    """A finite 0–10 number from a number or numeric string; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if isinstance(value, (int, float)) and math.isfinite(value) and 0.0 <= value <= 10.0:
        return float(value)
    return None


def cwe_ids(values: Iterable[Any]) -> list[str]:
    """``CWE-n`` for every CWE mention in strings/numbers-with-prefix, in order, deduplicated; the
    first ``MAX_CWES``."""
    out: list[str] = []
    for value in values:
        texts = (
            [value]
            if isinstance(value, str)
            else [v for v in value if isinstance(v, str)]
            if isinstance(value, list)
            else []
        )
        for text in texts:
            for match in _CWE_RE.finditer(text):
                number = int(match.group(1))
                cwe = f"CWE-{number}"
                if number > 0 and cwe not in out:
                    out.append(cwe)
                    if len(out) >= MAX_CWES:
                        return out
    return out


# ---------------------------------------------------------------------------------------- rules
@dataclass(slots=True)
class RuleIndex:
    """The rules of a run's driver and extensions, by id and by index."""

    driver: list[JSON]
    extensions: list[list[JSON]]
    by_id: dict[str, JSON]
    taxonomy_names: list[str]
    cwe_cache: dict[int, tuple[str, ...]] = field(default_factory=dict)
    # (ruleId, ruleIndex) of results without a ``rule`` object → (rule id, rule): results repeat them
    lookup_cache: dict[tuple[Any, Any], tuple[str, JSON | None]] = field(default_factory=dict)
    # id(rule) → (default level, security-severity) of the rule
    facts_cache: dict[int, tuple[str | None, float | None]] = field(default_factory=dict)

    @classmethod
    def from_run(cls, run: JSON) -> RuleIndex:
        tool = _obj(run.get("tool"))
        driver = [r if isinstance(r, dict) else {} for r in _list(_obj(tool.get("driver")).get("rules"))]
        extensions = [
            [r if isinstance(r, dict) else {} for r in _list(_obj(ext).get("rules"))]
            for ext in _list(tool.get("extensions"))
        ]
        by_id: dict[str, JSON] = {}
        for rules in (*extensions, driver):  # driver wins on clashes
            for rule in rules:
                rid = _str(rule.get("id"))
                if rid:
                    by_id[rid] = rule
        names = [str(_obj(t).get("name", "")).upper() for t in _list(run.get("taxonomies"))]
        return cls(driver, extensions, by_id, names)

    def cwes_of(self, rule: JSON | None) -> tuple[str, ...]:
        """The rule's CWE ids, computed once per rule."""
        if rule is None:
            return ()
        key = id(rule)
        found = self.cwe_cache.get(key)
        if found is None:
            found = self.cwe_cache[key] = tuple(rule_cwes(rule, self.taxonomy_names))
        return found

    def facts(self, rule: JSON | None) -> tuple[str | None, float | None]:
        """The rule's default level and its ``security-severity``, computed once per rule."""
        if rule is None:
            return None, None
        found = self.facts_cache.get(id(rule))
        if found is None:
            found = self.facts_cache[id(rule)] = (
                _level(_obj(rule.get("defaultConfiguration")).get("level")),
                security_severity(_obj(rule.get("properties")).get("security-severity")),
            )
        return found

    def lookup(self, result: JSON) -> tuple[str, JSON | None]:
        """(rule id, rule object) by ``ruleId``, ``rule.id`` or ``ruleIndex``/``rule.index``."""
        if "rule" in result:
            return self._lookup(result)
        try:
            key = (result.get("ruleId"), result.get("ruleIndex"))
            found = self.lookup_cache.get(key)
        except TypeError:  # unhashable junk: no memo
            return self._lookup(result)
        if found is None:
            found = self.lookup_cache[key] = self._lookup(result)
        return found

    def _lookup(self, result: JSON) -> tuple[str, JSON | None]:
        ref = _obj(result.get("rule"))
        rule_id = _str(result.get("ruleId")) or _str(ref.get("id"))
        index = _int(result.get("ruleIndex"))
        if index is None:
            index = _int(ref.get("index"))
        component = _obj(ref.get("toolComponent"))
        ext_index = _int(component.get("index"))
        rules = (
            self.extensions[ext_index] if ext_index is not None and ext_index < len(self.extensions) else self.driver
        )
        rule: JSON | None = None
        if index is not None and index < len(rules):
            rule = rules[index]
            if rule_id and _str(rule.get("id")) not in (None, rule_id):
                rule = None  # index and id disagree: trust the id
        if rule is None and rule_id:
            rule = self.by_id.get(rule_id) or self.by_id.get(rule_id.split("/")[0])
        if rule_id is None and rule is not None:
            rule_id = _str(rule.get("id"))
        return capped(rule_id) if rule_id else NO_RULE, rule


def rule_cwes(rule: JSON | None, taxonomy_names: list[str]) -> list[str]:
    if not rule:
        return []
    found: list[Any] = []
    for rel in _list(rule.get("relationships")):
        target = _obj(_obj(rel).get("target"))
        comp = _obj(target.get("toolComponent"))
        comp_name = str(comp.get("name") or "").upper()
        comp_idx = _int(comp.get("index"))
        if comp_idx is not None and comp_idx < len(taxonomy_names):
            comp_name = comp_name or taxonomy_names[comp_idx]
        tid = target.get("id")
        if isinstance(tid, (str, int)) and not isinstance(tid, bool):
            found.append(f"CWE-{tid}" if comp_name == "CWE" and str(tid).isdigit() else str(tid))
    props = _obj(rule.get("properties"))
    found += [props.get("cwe"), props.get("CWE"), props.get("tags")]
    return cwe_ids(found)


# Rules already made in this process, by their content: most scans of a stream list the same rules,
# and making one costs ~35 µs (CWEs, texts, the properties' JSON) where serialising the key ~2 µs.
_RULE_MEMO: dict[tuple[str, str, tuple[str, ...], bytes], Rule] = {}
_RULE_MEMO_MAX = 4096


def make_rule(tool: str, rule_id: str, rule: JSON | None, taxonomy_names: list[str]) -> Rule:
    """The stored form of a rule (the same object for the same content, memoised per process)."""
    try:
        key = (tool, rule_id, tuple(taxonomy_names), orjson.dumps(rule))
    except (TypeError, ValueError):  # not serialisable by orjson (e.g. an integer beyond 64 bits)
        return _make_rule(tool, rule_id, rule, taxonomy_names)
    found = _RULE_MEMO.get(key)
    if found is None:
        if len(_RULE_MEMO) >= _RULE_MEMO_MAX:
            _RULE_MEMO.clear()
        found = _RULE_MEMO[key] = _make_rule(tool, rule_id, rule, taxonomy_names)
    return found


def _make_rule(tool: str, rule_id: str, rule: JSON | None, taxonomy_names: list[str]) -> Rule:
    rule = rule or {}
    props = _obj(rule.get("properties"))
    tags = tuple(capped(t) for t in [t for t in _list(props.get("tags")) if isinstance(t, str)][:MAX_TAGS])
    help_obj = _obj(rule.get("help"))
    name = _str(rule.get("name"))
    help_uri = _str(rule.get("helpUri"))
    return Rule(
        tool=tool,
        rule_id=rule_id,
        name=capped(name) if name else None,
        short_description=_text(rule.get("shortDescription")),
        full_description=_text(rule.get("fullDescription")),
        help_uri=capped(help_uri, MAX_PATH_CHARS) if help_uri else None,
        help_text=_text(help_obj.get("text")) or _text(help_obj.get("markdown")),
        tags=tags,
        cwes=tuple(rule_cwes(rule, taxonomy_names)),
        default_level=_level(_obj(rule.get("defaultConfiguration")).get("level")),
        security_severity=security_severity(props.get("security-severity")),
        properties_json=json.dumps(props, ensure_ascii=False, sort_keys=True, default=str)[:MAX_TEXT_CHARS]
        if props
        else None,
    )


def _level(value: Any) -> str | None:
    return value if isinstance(value, str) and value in LEVELS else None


def level_overrides(run: JSON) -> dict[str, str]:
    """``ruleConfigurationOverrides`` of the run's invocations: rule id (or #index) → level."""
    out: dict[str, str] = {}
    for inv in _list(run.get("invocations")):
        for ov in _list(_obj(inv).get("ruleConfigurationOverrides")):
            desc = _obj(_obj(ov).get("descriptor"))
            level = _level(_obj(_obj(ov).get("configuration")).get("level"))
            if level is None:
                continue
            if _str(desc.get("id")):
                out[desc["id"]] = level
            elif _int(desc.get("index")) is not None:
                out[f"#{desc['index']}"] = level
    return out


# -------------------------------------------------------------------------------------- results
def _substitute(template: str, args: list[str], limit: int) -> str:
    """``{n}`` → ``args[n]``, building at most ``limit`` characters (a hostile template that repeats
    a huge argument must not build gigabytes before the message is truncated)."""
    out: list[str] = []
    size = 0
    pos = 0
    for match in _ARG_RE.finditer(template):
        n = int(match.group(1))
        piece = template[pos : match.start()] + (args[n] if n < len(args) else match.group(0))
        out.append(piece[: limit - size])
        size += len(out[-1])
        pos = match.end()
        if size >= limit:
            return "".join(out)
    out.append(template[pos:][: limit - size])
    return "".join(out)


def message_text(result: JSON, rule: JSON | None) -> str:
    """SPEC §3 "Message": text, else the rule's messageStrings[id], arguments substituted."""
    message = _obj(result.get("message"))
    text = message.get("text")
    if text.__class__ is str and text and "arguments" not in message:  # the common shape
        return text if len(text) <= MAX_MESSAGE_CHARS else text[:MAX_MESSAGE_CHARS] + " … [truncated]"
    args = [a if isinstance(a, str) else json.dumps(a) for a in _list(message.get("arguments"))]
    text = message.get("text") if isinstance(message.get("text"), str) else None
    if text is None and isinstance(message.get("id"), str) and rule:
        text = _text(_obj(rule.get("messageStrings")).get(message["id"]))
    if text is None and isinstance(result.get("message"), str):
        text = result["message"]  # pre-2.1 habit; harmless to accept
    if text is not None and args:
        text = _substitute(text, args, MAX_MESSAGE_CHARS + 1)
    if not text and rule:
        text = _text(rule.get("shortDescription")) or _text(rule.get("fullDescription")) or _str(rule.get("name"))
    text = text or ""
    return text if len(text) <= MAX_MESSAGE_CHARS else text[:MAX_MESSAGE_CHARS] + " … [truncated]"


class _Located(NamedTuple):  # internal and per result: a tuple is cheaper to build than a dataclass
    uri: str | None
    path: str
    start_line: int | None
    start_column: int | None
    end_line: int | None
    end_column: int | None
    snippet: str | None


PathCache = dict[tuple[Any, Any, Any], tuple[str | None, str]]

# Path caches shared by the runs of this process that resolve paths alike (same base ids, source
# root and prefixes): a stream's scans repeat the same paths day after day, and resolving one
# costs ~3 µs of a result's ~20. Only string URIs are cached (then ``artifacts`` play no part).
_PATH_CACHES: dict[tuple[Any, ...], PathCache] = {}
_PATH_CACHE_MAX = 200_000  # entries in all caches together, roughly (~50 MB); then start afresh


def path_cache_for(run: JSON, ctx: PathContext) -> PathCache:
    """The shared path cache for runs resolving like ``ctx`` (a fresh one if the key fails)."""
    try:
        bases = orjson.dumps(run.get("originalUriBaseIds"), option=orjson.OPT_SORT_KEYS)
    except (TypeError, ValueError):
        return {}
    key = (bases, ctx.source_root, ctx.extra_prefixes, ctx.working_dirs)
    cache = _PATH_CACHES.get(key)
    if cache is None:
        if sum(len(c) for c in _PATH_CACHES.values()) > _PATH_CACHE_MAX or len(_PATH_CACHES) > 1024:
            _PATH_CACHES.clear()
        cache = _PATH_CACHES[key] = {}
    return cache


def _resolve(location: Any, ctx: PathContext, cache: PathCache) -> tuple[str | None, str]:
    """(uri, repository path) of an artifactLocation, memoised (paths repeat a lot) when its URI
    is a string."""
    if not isinstance(location, dict):
        return None, ""
    uri, base, index = location.get("uri"), location.get("uriBaseId"), location.get("index")
    if uri.__class__ is not str:  # from artifacts[index]: not shared between runs
        return _capped_location(artifact_uri(location, ctx), ctx)
    try:
        key = (uri, base, index)
        hit = cache.get(key)
    except TypeError:  # unhashable junk in the JSON: resolve without the cache
        return _capped_location(artifact_uri(location, ctx), ctx)
    if hit is None:
        hit = cache[key] = _capped_location(artifact_uri(location, ctx), ctx)
    return hit


def _capped_location(uri: str | None, ctx: PathContext) -> tuple[str | None, str]:
    path = to_repo_path(uri, ctx)
    return (capped(uri, MAX_PATH_CHARS) if uri else uri), capped(path, MAX_PATH_CHARS)


def primary_location(result: JSON, ctx: PathContext, cache: PathCache | None = None) -> _Located:
    cache = {} if cache is None else cache
    locations = result.get("locations")
    first = locations[0] if locations.__class__ is list and locations else None
    physical = first.get("physicalLocation") if first.__class__ is dict else None
    if physical.__class__ is not dict:
        physical = {}
    uri, path = _resolve(physical.get("artifactLocation"), ctx, cache)
    region = physical.get("region")
    if region.__class__ is not dict:
        return _Located(uri, path, None, None, None, None, None)
    snippet = region.get("snippet")
    return _Located(
        uri=uri,
        path=path,
        start_line=_int(region.get("startLine")) or None,
        start_column=_int(region.get("startColumn")) or None,
        end_line=_int(region.get("endLine")) or None,
        end_column=_int(region.get("endColumn")) or None,
        snippet=_text(snippet, MAX_SNIPPET_CHARS) if snippet is not None else None,
    )


def suppression(result: JSON) -> tuple[bool, str | None]:
    """Suppressed when a ``suppressions[]`` entry has status ``accepted`` or no status."""
    entries = result.get("suppressions")
    if not entries:
        return False, None
    kinds = []
    for entry in _list(entries):
        if not isinstance(entry, dict):
            continue  # null or junk is not a suppression
        status = entry.get("status")
        if status is None or status == "accepted":
            kind = _str(entry.get("kind"))
            return True, capped(kind) if kind else "unspecified"
        kinds.append(str(status))
    return False, None


class _Draft(NamedTuple):
    """A result on its way to an Occurrence, waiting for the scan-wide fingerprint decision."""

    result_index: int
    rule_id: str
    level: str
    severity: Severity
    severity_source: SeveritySource
    security_severity: float | None
    tool_severity: str | None
    cwes: tuple[str, ...]
    message: str
    where: _Located
    suppressed: bool
    suppression_kind: str | None
    baseline_state: str | None
    tool_fp: identity.ToolFingerprint | None
    address: str | None  # the adapter's identity context (an IaC block's address), if any


def _severity(
    tool: str,
    adapter: Adapter,
    rule_id: str,
    result: JSON,
    rule: JSON | None,
    rule_score: float | None,
    level: str,
    options: Options,
) -> tuple[Severity, SeveritySource, float | None, str | None]:
    props = result.get("properties")
    score = security_severity(props.get("security-severity")) if props.__class__ is dict else None
    if score is None:
        score = rule_score
    word, mapped = adapter.tool_severity(result, rule)
    if word is not None and len(word) > MAX_ID_CHARS:
        word = capped(word)
    overrides = options.severity_overrides
    override = (overrides.get((tool, rule_id)) or overrides.get((tool, "*"))) if overrides else None
    if override is not None:
        return override, SeveritySource.OVERRIDE, score, word
    if score is not None:
        return Severity.from_security_severity(score), SeveritySource.SECURITY_SEVERITY, score, word
    if mapped is not None:
        return mapped, SeveritySource.TOOL, score, word
    return Severity.from_level(level), SeveritySource.LEVEL, score, word


def _taxa_ids(result: JSON, rules: RuleIndex) -> list[str]:
    taxa_ids = []
    for taxon in _list(result.get("taxa")):
        taxon = _obj(taxon)
        comp = _obj(taxon.get("toolComponent"))
        comp_idx = _int(comp.get("index"))
        name = str(comp.get("name") or "").upper()
        if not name and comp_idx is not None and comp_idx < len(rules.taxonomy_names):
            name = rules.taxonomy_names[comp_idx]
        tid = taxon.get("id")
        if isinstance(tid, (str, int)) and not isinstance(tid, bool):
            taxa_ids.append(f"CWE-{tid}" if name == "CWE" and str(tid).isdigit() else str(tid))
    return taxa_ids


def draft_result(
    index: int,
    result: JSON,
    tool: str,
    adapter: Adapter,
    rules: RuleIndex,
    overrides: dict[str, str],
    ctx: PathContext,
    options: Options,
    path_cache: PathCache | None = None,
) -> _Draft | Skipped:
    kind = result.get("kind", "fail")
    if kind != "fail":
        return Skipped(index, f"kind {shown(kind)} is not a finding")
    baseline = result.get("baselineState")
    if baseline is not None:
        baseline = _str(baseline)
        if baseline == "absent":
            return Skipped(index, "baselineState 'absent': already gone")
        baseline = capped(baseline) if baseline else None
    rule_id, rule = rules.lookup(result)
    default_level, rule_score = rules.facts(rule)
    level = _level(result.get("level"))
    if level is None and overrides:
        rule_index = _int(result.get("ruleIndex"))
        level = overrides.get(rule_id) or (overrides.get(f"#{rule_index}") if rule_index is not None else None)
    level = level or default_level or "warning"
    severity, source, score, word = _severity(tool, adapter, rule_id, result, rule, rule_score, level, options)
    cwes = list(rules.cwes_of(rule))
    props = result.get("properties")
    taxa_ids = _taxa_ids(result, rules) if result.get("taxa") else []
    result_parts = (
        [props.get("cwe"), props.get("CWE"), props.get("tags"), taxa_ids] if props.__class__ is dict else [taxa_ids]
    )
    if any(result_parts):
        for cwe in cwe_ids(result_parts):
            if cwe not in cwes:
                cwes.append(cwe)
    extra = adapter.extra_cwes(result, rule)
    if extra:
        for cwe in cwe_ids(list(extra)):
            if cwe not in cwes:
                cwes.append(cwe)
    suppressed, suppression_kind = suppression(result)
    where = primary_location(result, ctx, path_cache)
    tool_fp = identity.tool_fingerprint(result, adapter.fingerprint_placeholders, adapter.partial_fingerprints_identify)
    if tool_fp is not None and len(tool_fp.value) > MAX_ID_CHARS:
        tool_fp = identity.ToolFingerprint(capped(tool_fp.value), tool_fp.source)
    return _Draft(
        result_index=index,
        rule_id=rule_id,
        level=level,
        severity=severity,
        severity_source=source,
        security_severity=score,
        tool_severity=word,
        cwes=tuple(cwes[:MAX_CWES]),
        message=message_text(result, rule),
        where=where,
        suppressed=suppressed,
        suppression_kind=suppression_kind,
        baseline_state=baseline,
        tool_fp=tool_fp,
        address=adapter.identity_context(result, where.snippet),
    )


def identify(
    drafts: list[_Draft], project: str, branch: str, tool: str, category: str, sources: identity.SourceLines
) -> list[tuple[Any, ...]]:
    """SPEC §4 over one scan: pick each result's fingerprint, then make them unique. One row per
    draft, in ``Occurrence`` field order."""
    tool_fps = [d.tool_fp for d in drafts]
    distrusted = (
        identity.untrusted_values(tool_fps, [(d.rule_id, d.where.path, d.where.start_line) for d in drafts])
        if any(fp is not None for fp in tool_fps)
        else set()
    )
    chosen: list[tuple[str, FingerprintSource]] = []
    for d in drafts:
        if d.tool_fp is not None and d.tool_fp not in distrusted:
            chosen.append((d.tool_fp.value, d.tool_fp.source))
            continue
        snippet = identity.normalise_snippet(d.where.snippet) if d.where.snippet else ""
        if d.address:
            context, source = d.address, FingerprintSource.ADDRESS
        elif snippet:
            context, source = snippet, FingerprintSource.SNIPPET
        else:
            from_source = sources.context(d.where.path, d.where.start_line)
            if from_source:
                context, source = from_source, FingerprintSource.SOURCE
            else:
                context, source = identity.normalise_message(d.message), FingerprintSource.MESSAGE
        chosen.append((identity.computed_fingerprint(d.rule_id, d.where.path, context), source))
    unique = identity.disambiguate((d.rule_id, fp) for d, (fp, _) in zip(drafts, chosen, strict=True))
    finding_id = identity.finding_ids(project, branch, tool, category)
    out = []
    for d, (_, source), fp in zip(drafts, chosen, unique, strict=True):
        w = d.where
        row = (  # Occurrence field order (Scan.occurrence_rows)
            d.result_index, finding_id(d.rule_id, fp), d.rule_id, fp, source, d.level, d.severity, d.severity_source,
            d.security_severity, d.tool_severity, d.cwes, d.message, w.path, w.uri, w.start_line, w.start_column,
            w.end_line, w.end_column, w.snippet, d.suppressed, d.suppression_kind, d.baseline_state,
        )  # fmt: skip
        out.append(row)
    return out


# ----------------------------------------------------------------------------------- scan level
def repo_name(uri: Any) -> str | None:
    """``https://github.com/owner/name.git`` → ``owner/name`` (last two path segments)."""
    if not isinstance(uri, str) or not uri.strip():
        return None
    text = uri.strip()
    if re.match(r"^[\w.-]+@[\w.-]+:", text):  # git@host:owner/name.git
        text = text.split(":", 1)[1]
    else:
        text = urlsplit(text).path if "://" in text else text
    parts = [p for p in text.replace("\\", "/").split("/") if p]
    if not parts:
        return None
    if parts[-1].endswith(".git"):
        parts[-1] = parts[-1][:-4]
    return "/".join(parts[-2:]) or None


def _invocation_time(value: Any, where: str, warnings: list[str]) -> datetime | None:
    """A SARIF time, or None: unreadable silently, out of range or a placeholder with a warning."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        when = read_time(value)
    except TimeOutOfRange as e:
        warnings.append(f"{where} {e}; ignored")
        return None
    except ValueError:
        return None
    if when < EARLIEST_SCAN_TIME:
        warnings.append(f"{where} {when.isoformat()} is before 1990, not when a scanner ran; ignored")
        return None
    return when


def scan_time(run: JSON, warnings: list[str] | None = None, run_index: int = 0) -> datetime | None:
    """The last invocation's ``endTimeUtc``, else its ``startTimeUtc`` (SPEC §2); a time outside
    1970–2100 or before 1990 falls back to the next, with a warning added to ``warnings``."""
    notes: list[str] = [] if warnings is None else warnings
    found: datetime | None = None
    for i, inv in enumerate(_list(run.get("invocations"))):
        inv = _obj(inv)
        where = f"run {run_index}: invocations[{i}]"
        t = _invocation_time(inv.get("endTimeUtc"), f"{where}.endTimeUtc", notes) or _invocation_time(
            inv.get("startTimeUtc"), f"{where}.startTimeUtc", notes
        )
        if t is not None:
            found = t
    return found


def category_of(run: JSON) -> str:
    run_id = _str(_obj(run.get("automationDetails")).get("id"))
    if not run_id or "/" not in run_id:
        return ""
    return run_id.rsplit("/", 1)[0]


@dataclass(slots=True)
class _RunHeader:
    run_index: int
    project: str
    branch: str
    commit: str | None
    tool: str
    tool_name: str
    tool_version: str | None
    category: str
    scanned_at: datetime
    scanned_at_source: str


def run_header(
    run: JSON, run_index: int, meta: ScanMeta, path: Path, mtime: datetime, warnings: list[str], options: Options
) -> _RunHeader:
    driver = _obj(_obj(run.get("tool")).get("driver"))
    vcp = _obj(_list(run.get("versionControlProvenance"))[0]) if _list(run.get("versionControlProvenance")) else {}
    project = meta.project or repo_name(vcp.get("repositoryUri"))
    project = capped(project) if project else project
    if not project:
        project = path.resolve().parent.name or "default"
        warnings.append(f"run {run_index}: no project given or in the SARIF; using the folder name {project!r}")
    branch = meta.branch or _str(vcp.get("branch")) or "default"
    branch = capped(branch.removeprefix("refs/heads/"))
    commit = meta.commit or _str(vcp.get("revisionId"))
    commit = capped(commit) if commit else commit
    scanned_at, source = meta.scanned_at, "given"
    if scanned_at is None:
        scanned_at, source = scan_time(run, warnings, run_index), "sarif"
        now = datetime.now(UTC).replace(tzinfo=None)
        if scanned_at is not None and (scanned_at - now).total_seconds() > options.max_future_skew_s:
            warnings.append(f"run {run_index}: scan time {scanned_at.isoformat()} is in the future; ignored")
            scanned_at = None
    if scanned_at is None:
        scanned_at, source = mtime, "file-mtime"
        warnings.append(
            f"run {run_index}: no usable scan time given or in the SARIF; using the file's modification time "
            f"{mtime.isoformat(timespec='seconds')}Z"
        )
    name = capped(driver["name"]) if isinstance(driver.get("name"), str) else ""
    full_name = capped(driver["fullName"]) if isinstance(driver.get("fullName"), str) else None
    version = _str(driver.get("semanticVersion")) or _str(driver.get("version"))
    return _RunHeader(
        run_index=run_index,
        project=project,
        branch=branch,
        commit=commit,
        tool=capped(canonical_tool_key(name, full_name)),
        tool_name=name.strip() or _str(full_name) or "unknown",
        tool_version=capped(version) if version else None,
        category=capped(meta.category) if meta.category is not None else capped(category_of(run)),
        scanned_at=scanned_at,
        scanned_at_source=source,
    )


def file_key(sha256: str, meta: ScanMeta, fallback_project: str | None) -> str:
    """SPEC §1: the same bytes with the same given metadata are the same file."""
    parts = (
        sha256,
        meta.project or fallback_project or "",
        meta.branch or "",
        meta.commit or "",
        meta.scanned_at.isoformat() if meta.scanned_at else "",
        meta.category if meta.category is not None else "",
    )
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def normalise(raw: RawLog, meta: ScanMeta, options: Options | None = None) -> ParsedFile:
    """Every run of a log → scans (runs of one stream in one file are one scan)."""
    options = options or Options()
    warnings: list[str] = []
    try:
        mtime = datetime.fromtimestamp(raw.path.stat().st_mtime, UTC).replace(tzinfo=None)
    except OSError:
        mtime = datetime.now(UTC).replace(tzinfo=None)
    sources = identity.SourceLines(meta.source_root)
    groups: dict[tuple[str, str, str, str], list[tuple[_RunHeader, JSON]]] = {}
    for i, run in enumerate(raw.document["runs"]):
        if "results" not in run:
            warnings.append(f'run {i}: no "results" array (the tool did not complete); not recorded as a scan')
            continue
        header = run_header(run, i, meta, raw.path, mtime, warnings, options)
        groups.setdefault((header.project, header.branch, header.tool, header.category), []).append((header, run))
    scans = tuple(_scan(members, sources, meta.source_root, options) for members in groups.values())
    used_fallback = any("using the folder name" in w for w in warnings)
    fallback_project = raw.path.resolve().parent.name if used_fallback else None
    return ParsedFile(
        path=str(raw.path),
        sha256=raw.sha256,
        size_bytes=raw.size_bytes,
        file_key=file_key(raw.sha256, meta, fallback_project),
        sarif_version=str(raw.document.get("version")),
        scans=scans,
        warnings=capped_warnings(warnings),
    )


def _repeat_of(seen: dict[bytes, int], result: Any, index: int) -> int | None:
    """The index of an earlier result of the scan equal to this one (an adapter's
    ``collapse_identical_results``), else None; ``index`` is recorded as the first of its kind."""
    try:
        key = orjson.dumps(result, option=orjson.OPT_SORT_KEYS)
    except (TypeError, ValueError):  # not serialisable (an integer beyond 64 bits): never a repeat
        return None
    first = seen.setdefault(key, index)
    return first if first != index else None


def capped_warnings(warnings: list[str]) -> tuple[str, ...]:
    """The first ``MAX_WARNINGS`` warnings, and one line counting the rest."""
    if len(warnings) <= MAX_WARNINGS:
        return tuple(warnings)
    rest = len(warnings) - MAX_WARNINGS
    return (*warnings[:MAX_WARNINGS], f"… and {rest:,} more warning(s), not shown")


def _scan(
    members: list[tuple[_RunHeader, JSON]],
    sources: identity.SourceLines,
    source_root: str | None,
    options: Options,
) -> Scan:
    first = members[0][0]
    drafts: list[_Draft] = []
    skipped: list[Skipped] = []
    rules: dict[str, Rule] = {}
    total = 0
    # the first index of each result seen, for tools that repeat results byte for byte
    seen: dict[bytes, int] | None = {} if adapter_for(first.tool).collapse_identical_results else None
    for header, run in members:
        adapter = adapter_for(header.tool)
        index = RuleIndex.from_run(run)
        overrides = level_overrides(run)
        ctx = PathContext.from_run(run, source_root, options.extra_prefixes)
        path_cache = path_cache_for(run, ctx)
        for result in run["results"]:
            copy_of = _repeat_of(seen, result, total) if seen is not None else None
            outcome = (
                Skipped(total, f"repeats result {copy_of} byte for byte")
                if copy_of is not None
                else draft_result(total, result, header.tool, adapter, index, overrides, ctx, options, path_cache)
            )
            total += 1
            if isinstance(outcome, Skipped):
                skipped.append(outcome)
                continue
            drafts.append(outcome)
            if outcome.rule_id not in rules:
                _, rule_obj = index.lookup(result)
                rules[outcome.rule_id] = make_rule(header.tool, outcome.rule_id, rule_obj, index.taxonomy_names)
    rows = identify(drafts, first.project, first.branch, first.tool, first.category, sources)
    return Scan(
        run_indexes=tuple(h.run_index for h, _ in members),
        project=first.project,
        branch=first.branch,
        commit=next((h.commit for h, _ in members if h.commit), None),
        tool=first.tool,
        tool_name=first.tool_name,
        tool_version=first.tool_version,
        category=first.category,
        scanned_at=max(h.scanned_at for h, _ in members),
        scanned_at_source=first.scanned_at_source,
        results_total=total,
        rules=tuple(rules.values()),
        occurrence_rows=tuple(rows),
        skipped=tuple(skipped),
    )
