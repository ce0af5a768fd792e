"""One result → a draft occurrence (docs/definitions.md §3): kind and baseline state, rule, level,
severity, CWEs, message, location and suppression, and the tool's fingerprint if it has one. The
fingerprint decision is made later, over the whole scan (``ingest.normalise.scans``)."""

from __future__ import annotations

import json
import re
from typing import NamedTuple

from core.severity import Severity
from core.times import shown
from ingest import identity
from ingest.adapters import Adapter
from ingest.models import FingerprintSource, SeveritySource
from ingest.normalise.locations import Located, PathCache, primary_location
from ingest.normalise.options import Options
from ingest.normalise.rules import RuleIndex
from ingest.normalise.values import (
    JSON,
    MAX_CWES,
    MAX_ID_CHARS,
    MAX_MESSAGE_CHARS,
    as_int,
    as_list,
    as_obj,
    as_str,
    as_text,
    capped,
    cwe_ids,
    level_of,
    security_severity,
)
from ingest.paths import PathContext

_ARG_RE = re.compile(r"\{(\d+)\}")


class Draft(NamedTuple):
    """A result on its way to an Occurrence, waiting for the scan-wide fingerprint decision. It does
    not know its position in the scan: results with the same bytes in the same context share one
    (``ingest.normalise.memo``)."""

    rule_id: str
    level: str
    severity: Severity
    severity_source: SeveritySource
    security_severity: float | None
    tool_severity: str | None
    cwes: tuple[str, ...]
    message: str
    where: Located
    suppressed: bool
    suppression_kind: str | None
    baseline_state: str | None
    tool_fp: identity.ToolFingerprint | None
    address: str | None  # the adapter's identity context (an IaC block's address), if any
    # the computed fingerprint when the result alone decides it (an address, a snippet, or the
    # message when no source root is given); None when the tool has its own, or the source lines
    # may be its context (then ``identify`` chooses: the files can change between two scans)
    computed: tuple[str, FingerprintSource] | None


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
    """docs/definitions.md §3 "Message": text, else the rule's messageStrings[id], arguments
    substituted."""
    message = as_obj(result.get("message"))
    text = message.get("text")
    if text.__class__ is str and text and "arguments" not in message:  # the common shape
        return text if len(text) <= MAX_MESSAGE_CHARS else text[:MAX_MESSAGE_CHARS] + " … [truncated]"
    args = [a if isinstance(a, str) else json.dumps(a) for a in as_list(message.get("arguments"))]
    text = message.get("text") if isinstance(message.get("text"), str) else None
    if text is None and isinstance(message.get("id"), str) and rule:
        text = as_text(as_obj(rule.get("messageStrings")).get(message["id"]))
    if text is None and isinstance(result.get("message"), str):
        text = result["message"]  # pre-2.1 habit; harmless to accept
    if text is not None and args:
        text = _substitute(text, args, MAX_MESSAGE_CHARS + 1)
    if not text and rule:
        text = as_text(rule.get("shortDescription")) or as_text(rule.get("fullDescription")) or as_str(rule.get("name"))
    text = text or ""
    return text if len(text) <= MAX_MESSAGE_CHARS else text[:MAX_MESSAGE_CHARS] + " … [truncated]"


def suppression(result: JSON) -> tuple[bool, str | None]:
    """Suppressed when a ``suppressions[]`` entry has status ``accepted`` or no status."""
    entries = result.get("suppressions")
    if not entries:
        return False, None
    kinds = []
    for entry in as_list(entries):
        if not isinstance(entry, dict):
            continue  # null or junk is not a suppression
        status = entry.get("status")
        if status is None or status == "accepted":
            kind = as_str(entry.get("kind"))
            return True, capped(kind) if kind else "unspecified"
        kinds.append(str(status))
    return False, None


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
    """(severity, where it came from, the score, the tool's word): the user's override, else the
    score, else the tool's word through its adapter, else the level."""
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
    for taxon in as_list(result.get("taxa")):
        taxon = as_obj(taxon)
        comp = as_obj(taxon.get("toolComponent"))
        comp_idx = as_int(comp.get("index"))
        name = str(comp.get("name") or "").upper()
        if not name and comp_idx is not None and comp_idx < len(rules.taxonomy_names):
            name = rules.taxonomy_names[comp_idx]
        tid = taxon.get("id")
        if isinstance(tid, (str, int)) and not isinstance(tid, bool):
            taxa_ids.append(f"CWE-{tid}" if name == "CWE" and str(tid).isdigit() else str(tid))
    return taxa_ids


def draft_result(
    result: JSON,
    tool: str,
    adapter: Adapter,
    rules: RuleIndex,
    overrides: dict[str, str],
    ctx: PathContext,
    options: Options,
    path_cache: PathCache | None = None,
) -> Draft | str:
    """The result's draft, or why it is not a finding (``kind`` other than fail, ``baselineState``
    absent)."""
    kind = result.get("kind", "fail")
    if kind != "fail":
        return f"kind {shown(kind)} is not a finding"
    baseline = result.get("baselineState")
    if baseline is not None:
        baseline = as_str(baseline)
        if baseline == "absent":
            return "baselineState 'absent': already gone"
        baseline = capped(baseline) if baseline else None
    rule_id, rule = rules.lookup(result)
    default_level, rule_score = rules.facts(rule)
    level = level_of(result.get("level"))
    if level is None and overrides:
        rule_index = as_int(result.get("ruleIndex"))
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
    address = adapter.identity_context(result, where.snippet)
    message = message_text(result, rule)
    computed = None
    if tool_fp is None:
        computed = identity.computed_in_result(rule_id, where.path, address, where.snippet)
        if computed is None and not ctx.source_root:
            computed = identity.computed_from_message(rule_id, where.path, message)
    return Draft(
        rule_id=rule_id,
        level=level,
        severity=severity,
        severity_source=source,
        security_severity=score,
        tool_severity=word,
        cwes=tuple(cwes[:MAX_CWES]),
        message=message,
        where=where,
        suppressed=suppressed,
        suppression_kind=suppression_kind,
        baseline_state=baseline,
        tool_fp=tool_fp,
        address=address,
        computed=computed,
    )
