"""A parsed SARIF log → its scans (``normalise``, the entry of this package): the runs of one
stream in one file are one scan; each result is drafted (``results``), then the scan's
fingerprints are chosen and made unique together (docs/definitions.md §1, §4)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import orjson

from ingest import identity
from ingest.adapters import Adapter, adapter_for
from ingest.models import FingerprintSource, ParsedFile, Rule, Scan, ScanMeta, Skipped
from ingest.normalise import memo
from ingest.normalise.locations import PathCache, path_cache_for
from ingest.normalise.options import Options
from ingest.normalise.results import Draft, draft_result
from ingest.normalise.rules import RuleIndex, level_overrides, make_rule
from ingest.normalise.runs import RunHeader, run_header
from ingest.normalise.values import JSON, capped_warnings
from ingest.paths import PathContext
from ingest.reader import RawLog


def normalise(raw: RawLog, meta: ScanMeta, options: Options | None = None) -> ParsedFile:
    """Every run of a log → scans (runs of one stream in one file are one scan)."""
    options = options or Options()
    warnings: list[str] = []
    try:
        mtime = datetime.fromtimestamp(raw.path.stat().st_mtime, UTC).replace(tzinfo=None)
    except OSError:
        mtime = datetime.now(UTC).replace(tzinfo=None)
    sources = identity.SourceLines(meta.source_root)
    groups: dict[tuple[str, str, str, str], list[tuple[RunHeader, JSON]]] = {}
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


def file_key(sha256: str, meta: ScanMeta, fallback_project: str | None) -> str:
    """docs/definitions.md §1 "file": the same bytes with the same given metadata are the same file."""
    parts = (
        sha256,
        meta.project or fallback_project or "",
        meta.branch or "",
        meta.commit or "",
        meta.scanned_at.isoformat() if meta.scanned_at else "",
        meta.category if meta.category is not None else "",
    )
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def _scan(
    members: list[tuple[RunHeader, JSON]],
    sources: identity.SourceLines,
    source_root: str | None,
    options: Options,
) -> Scan:
    first = members[0][0]
    drafts: list[Draft] = []
    positions: list[int] = []  # each draft's result index in the scan
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
        drafted = memo.RunMemo.of(header.tool, run.get("taxonomies"), index, overrides, ctx, options)
        for result in run["results"]:
            copy_of = _repeat_of(seen, result, total) if seen is not None else None
            if copy_of is not None:
                outcome: memo.Drafted = f"repeats result {copy_of} byte for byte"
            else:
                key = drafted.key(result) if drafted is not None else None
                earlier = drafted.get(key) if drafted is not None and key is not None else None
                if earlier is not None:
                    outcome = earlier
                else:
                    outcome = _draft(result, header.tool, adapter, index, overrides, ctx, options, path_cache)
                    if drafted is not None and key is not None:
                        drafted.remember(key, outcome)
            total += 1
            if isinstance(outcome, str):
                skipped.append(Skipped(total - 1, outcome))
                continue
            draft, rule = outcome
            drafts.append(draft)
            positions.append(total - 1)
            if draft.rule_id not in rules:  # the first result citing a rule in the scan gives its form
                rules[draft.rule_id] = rule
    rows = identify(drafts, positions, first.project, first.branch, first.tool, first.category, sources)
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


def _draft(
    result: JSON,
    tool: str,
    adapter: Adapter,
    index: RuleIndex,
    overrides: dict[str, str],
    ctx: PathContext,
    options: Options,
    path_cache: PathCache,
) -> memo.Drafted:
    """The result's draft and the stored form of its rule, or why it is not a finding."""
    draft = draft_result(result, tool, adapter, index, overrides, ctx, options, path_cache)
    if isinstance(draft, str):
        return draft
    _, rule_obj = index.lookup(result)
    return draft, make_rule(tool, draft.rule_id, rule_obj, index.taxonomy_names)


def _repeat_of(seen: dict[bytes, int], result: Any, index: int) -> int | None:
    """The index of an earlier result of the scan equal to this one (an adapter's
    ``collapse_identical_results``), else None; ``index`` is recorded as the first of its kind."""
    try:
        key = orjson.dumps(result, option=orjson.OPT_SORT_KEYS)
    except (TypeError, ValueError):  # not serialisable (an integer beyond 64 bits): never a repeat
        return None
    first = seen.setdefault(key, index)
    return first if first != index else None


def identify(
    drafts: list[Draft],
    positions: list[int],
    project: str,
    branch: str,
    tool: str,
    category: str,
    sources: identity.SourceLines,
) -> list[tuple[Any, ...]]:
    """docs/definitions.md §4 over one scan: pick each result's fingerprint, then make them unique.
    One row per draft, in ``Occurrence`` field order."""
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
        elif d.computed is not None:
            chosen.append(d.computed)
        else:
            chosen.append(_computed(d, sources))
    unique = identity.disambiguate((d.rule_id, fp) for d, (fp, _) in zip(drafts, chosen, strict=True))
    finding_id = identity.finding_ids(project, branch, tool, category)
    out = []
    for d, position, (_, source), fp in zip(drafts, positions, chosen, unique, strict=True):
        w = d.where
        row = (  # Occurrence field order (Scan.occurrence_rows)
            position, finding_id(d.rule_id, fp), d.rule_id, fp, source, d.level, d.severity, d.severity_source,
            d.security_severity, d.tool_severity, d.cwes, d.message, w.path, w.uri, w.start_line, w.start_column,
            w.end_line, w.end_column, w.snippet, d.suppressed, d.suppression_kind, d.baseline_state,
        )  # fmt: skip
        out.append(row)
    return out


def _computed(d: Draft, sources: identity.SourceLines) -> tuple[str, FingerprintSource]:
    """The computed fingerprint of a draft (docs/definitions.md §4): its context is the adapter's
    address, else the snippet, else the source lines around the result, else the message."""
    in_result = identity.computed_in_result(d.rule_id, d.where.path, d.address, d.where.snippet)
    if in_result is not None:
        return in_result
    from_source = sources.context(d.where.path, d.where.start_line)
    if from_source:
        return identity.computed_fingerprint(d.rule_id, d.where.path, from_source), FingerprintSource.SOURCE
    return identity.computed_from_message(d.rule_id, d.where.path, d.message)
