"""A result's primary location: its repository path (through ``ingest.paths``), region and snippet
(docs/definitions.md §3 "Location")."""

from __future__ import annotations

import threading
from typing import Any, NamedTuple

import orjson

from ingest.normalise.values import JSON, MAX_PATH_CHARS, MAX_SNIPPET_CHARS, as_int, as_text, capped
from ingest.paths import PathContext, artifact_uri, to_repo_path


class Located(NamedTuple):  # one per result: a tuple is cheaper to build than a dataclass
    uri: str | None
    path: str
    start_line: int | None
    start_column: int | None
    end_line: int | None
    end_column: int | None
    snippet: str | None


PathCache = dict[tuple[Any, Any, Any], tuple[str | None, str]]

# Path caches shared by the runs of this process that resolve paths alike (same base ids, source
# root and prefixes): a stream's scans repeat the same paths day after day, and resolving one is a
# good part of a result's cost. Only string URIs are cached (then ``artifacts`` play no part).
_PATH_CACHES: dict[tuple[Any, ...], PathCache] = {}
_PATH_CACHES_LOCK = threading.Lock()
_PATH_CACHE_MAX = 200_000  # entries in all caches together, roughly (~50 MB); then start afresh


def path_cache_for(run: JSON, ctx: PathContext) -> PathCache:
    """The shared path cache for runs resolving like ``ctx`` (a fresh one if the key fails)."""
    try:
        bases = orjson.dumps(run.get("originalUriBaseIds"), option=orjson.OPT_SORT_KEYS)
    except (TypeError, ValueError):
        return {}
    key = (bases, ctx.source_root, ctx.extra_prefixes, ctx.working_dirs)
    with _PATH_CACHES_LOCK:  # the HTTP service normalises uploads in threads
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


def primary_location(result: JSON, ctx: PathContext, cache: PathCache | None = None) -> Located:
    """The first location's URI, repository path, region and snippet (an empty path when none)."""
    cache = {} if cache is None else cache
    locations = result.get("locations")
    first = locations[0] if locations.__class__ is list and locations else None
    physical = first.get("physicalLocation") if first.__class__ is dict else None
    if physical.__class__ is not dict:
        physical = {}
    uri, path = _resolve(physical.get("artifactLocation"), ctx, cache)
    region = physical.get("region")
    if region.__class__ is not dict:
        return Located(uri, path, None, None, None, None, None)
    snippet = region.get("snippet")
    return Located(
        uri=uri,
        path=path,
        start_line=as_int(region.get("startLine")) or None,
        start_column=as_int(region.get("startColumn")) or None,
        end_line=as_int(region.get("endLine")) or None,
        end_column=as_int(region.get("endColumn")) or None,
        snippet=as_text(snippet, MAX_SNIPPET_CHARS) if snippet is not None else None,
    )
