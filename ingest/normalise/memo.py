"""Drafts already made in this process, by the result's bytes and its run's context.

Why: a stream is scanned day after day, and most results of a scan are byte for byte the results
of the scan before (96% of the demo's 189k; measured on real release history in
docs/benchmark.md). Drafting one (``ingest.normalise.results.draft_result``: rule, level,
severity, CWEs, message, location) costs ~20 µs; serialising it to find an earlier one ~1 µs.

A draft is a function of the result and of what its run offers for reading it — nothing else:
the tool (its adapter), the tool's rules and taxonomies, the invocations' level overrides, the
path context (base ids, artifacts, working directories, source root, extra prefixes) and the
user's severity overrides. ``run_memo`` keys one memo per distinct such context, so a result is
reused only where drafting it again would give the same draft. A draft holds no position in its scan: the
caller keeps that.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from ingest.normalise.options import Options
from ingest.normalise.results import Draft
from ingest.normalise.values import JSON
from ingest.paths import PathContext

Memo = dict[bytes, Draft | str]  # a draft, or why the result is not a finding

_MEMOS: dict[bytes, Memo] = {}
_MAX_ENTRIES = 100_000  # drafts in all memos together (~1 KB each); then start afresh


def run_memo(run: JSON, tool: str, overrides: dict[str, str], ctx: PathContext, options: Options) -> Memo | None:
    """The memo for results read in this run's context, or None when the context cannot be keyed
    (not serialisable: then every result is drafted)."""
    try:
        context = orjson.dumps(
            [
                tool,
                run.get("tool"),
                run.get("taxonomies"),
                overrides,
                ctx.original_uri_base_ids,
                ctx.artifacts,
                ctx.source_root,
                ctx.extra_prefixes,
                ctx.working_dirs,
                sorted([t, r, s.value] for (t, r), s in options.severity_overrides.items()),
            ],
            option=orjson.OPT_NON_STR_KEYS,
        )
    except (TypeError, ValueError):
        return None
    key = hashlib.sha256(context).digest()
    memo = _MEMOS.get(key)
    if memo is None:
        if sum(len(m) for m in _MEMOS.values()) > _MAX_ENTRIES or len(_MEMOS) > 4096:
            _MEMOS.clear()
        memo = _MEMOS[key] = {}
    return memo


def result_key(result: Any) -> bytes | None:
    """The result's bytes as a memo key; None when it cannot be serialised (never memoised)."""
    try:
        return orjson.dumps(result)
    except (TypeError, ValueError):
        return None


def remember(memo: Memo, key: bytes, outcome: Draft | str) -> None:
    """Keep ``outcome`` for later results with the same bytes (a full memo starts afresh)."""
    if len(memo) >= _MAX_ENTRIES:
        memo.clear()
    memo[key] = outcome
