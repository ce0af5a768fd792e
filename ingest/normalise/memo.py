"""Drafts already made in this process, by the result's bytes, its rule and its run's context.

Why: a stream is scanned day after day, and most results of a scan are byte for byte the results
of the scan before (96% of the demo's 189k; real release history in docs/benchmark.md). Drafting
one (``ingest.normalise.results.draft_result``: rule, level, severity, CWEs, message, location,
and the stored form of its rule) costs ~20 µs; serialising it to find an earlier one ~1 µs.

A draft is a function of the result, of the rule object it cites, and of what its run offers for
reading it, nothing else: the tool (its adapter), the taxonomies, the invocations' level
overrides, the path context (base ids, working directories, source root, extra prefixes) and the
user's severity overrides. The run's ``artifacts`` matter only to a result located by an index
into them; those results are never memoised. ``RunMemo.of`` keys one memo per distinct context;
within it, a result is found by its bytes and its rule's (so a tool that lists only the rules a
file cites, as Bandit and Ruff do, still finds the results of yesterday's file). A result is
reused only where drafting it again would give the same draft. A draft holds no position in its
scan: the caller keeps that.
"""

from __future__ import annotations

import hashlib
import threading
from typing import Any

import orjson

from ingest.models import Rule
from ingest.normalise.options import Options
from ingest.normalise.results import Draft
from ingest.normalise.rules import RuleIndex
from ingest.paths import PathContext

# a result's draft and its rule's stored form, or why the result is not a finding
Drafted = tuple[Draft, Rule] | str
Key = tuple[bytes, bytes]  # the result's bytes, the digest of its rule's
Memo = dict[Key, Drafted]

_MEMOS: dict[bytes, Memo] = {}
# What the memos may hold, counted as the results' bytes plus a fixed cost per entry (a draft's
# texts are cut from its result, so its size follows): when full, they start afresh. On the demo
# a draft and its key take ~1.5 KB with ~500 bytes of result; 48 MB hold ~30k of them.
_MAX_BYTES = 48 << 20
_ENTRY_COST = 1024
_held = 0
# Contexts met once: a context gets a memo when it comes back. A backfill of release tags, each
# checked out in its own folder, gives every file its own source root and so its own context:
# nothing would ever be found again, and keeping its drafts would only cost (~2 µs a result).
_MET_ONCE: set[bytes] = set()
# The HTTP service normalises uploads in threads: what changes the memos' shape or their count
# holds this lock (a lookup needs none: one dict read).
_LOCK = threading.Lock()


def _forget_all() -> None:
    with _LOCK:
        _forget_all_locked()


def _forget_all_locked() -> None:
    global _held
    for drafts in _MEMOS.values():
        drafts.clear()  # also the one a RunMemo in use holds
    _MEMOS.clear()
    _MET_ONCE.clear()
    _held = 0


class RunMemo:
    """The memo of one run's context, and the digests of that run's rules."""

    __slots__ = ("_rule_keys", "drafts", "index")

    def __init__(self, drafts: Memo, index: RuleIndex):
        self.drafts = drafts
        self.index = index
        self._rule_keys: dict[int, bytes] = {}  # id(rule object of this run) → digest of its bytes

    @classmethod
    def of(
        cls, tool: str, taxonomies: Any, index: RuleIndex, overrides: dict[str, str], ctx: PathContext, options: Options
    ) -> RunMemo | None:
        """The memo for results read in this context; None the first time the context is met, or
        when it cannot be keyed (not serialisable): then every result is drafted."""
        try:
            context = orjson.dumps(
                [
                    tool,
                    taxonomies,
                    overrides,
                    ctx.original_uri_base_ids,
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
        with _LOCK:
            drafts = _MEMOS.get(key)
            if drafts is None:
                if key not in _MET_ONCE:
                    if len(_MET_ONCE) >= 65_536:
                        _MET_ONCE.clear()
                    _MET_ONCE.add(key)
                    return None
                if len(_MEMOS) >= 4096:
                    _forget_all_locked()
                drafts = _MEMOS[key] = {}
        return cls(drafts, index)

    def key(self, result: Any) -> Key | None:
        """The result's key: its bytes and its rule's; None when either cannot be serialised (an
        integer beyond 64 bits), or when its location is one of the run's ``artifacts`` (a list
        that changes from file to file, not part of the key): then it is drafted every time."""
        if _located_by_index(result):
            return None
        try:
            raw = orjson.dumps(result)
        except (TypeError, ValueError):
            return None
        _, rule = self.index.lookup(result)
        digest = self._rule_keys.get(id(rule))
        if digest is None:
            try:
                digest = hashlib.sha256(orjson.dumps(rule)).digest()  # help texts are long
            except (TypeError, ValueError):
                return None
            self._rule_keys[id(rule)] = digest
        return raw, digest

    def get(self, key: Key) -> Drafted | None:
        return self.drafts.get(key)

    def remember(self, key: Key, outcome: Drafted) -> None:
        """Keep ``outcome`` for later results with this key (full memos start afresh)."""
        global _held
        raw, rule = key
        cost = len(raw) + _ENTRY_COST
        compact = bytes(memoryview(raw))  # an exact-size copy: orjson's output keeps a 4 KB buffer
        with _LOCK:
            if _held + cost > _MAX_BYTES:
                _forget_all_locked()
            self.drafts[(compact, rule)] = outcome
            _held += cost


def _located_by_index(result: Any) -> bool:
    """Whether the result's primary location is an index into the run's ``artifacts`` (no string
    URI of its own: see ``ingest.normalise.locations.primary_location``)."""
    locations = result.get("locations")
    first = locations[0] if locations.__class__ is list and locations else None
    physical = first.get("physicalLocation") if first.__class__ is dict else None
    where = physical.get("artifactLocation") if physical.__class__ is dict else None
    return where.__class__ is dict and where.get("uri").__class__ is not str
