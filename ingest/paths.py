"""Artifact locations → repository-relative paths (docs/definitions.md §3, "Location").

A URI is resolved through its ``uriBaseId`` chain (``run.originalUriBaseIds``) or the run's
``artifacts[index]``; the ``file:`` scheme and percent-encoding are removed; the checkout prefix is
stripped — the ``--source-root`` given by the user, else a recognised CI workspace layout, else
configured extra prefixes — and the rest is made relative with ``/`` separators. Undefined base
ids are ignored. Web URLs (DAST, accessibility tools) are kept as they are.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

JSON = dict[str, Any]
_MAX_BASE_DEPTH = 16

# Checkout locations of common CI systems; the first group is the prefix to strip.
CI_WORKSPACE_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p)
    for p in (
        r"^(/home/runner/work/[^/]+/[^/]+/)",  # GitHub Actions (hosted)
        r"^(/__w/[^/]+/[^/]+/)",  # GitHub Actions (container jobs)
        r"^(/github/workspace/)",  # GitHub Actions (docker actions)
        r"^([A-Za-z]:/a/[^/]+/[^/]+/)",  # GitHub Actions (Windows)
        r"^(/builds/(?:[^/]+/)+?[^/]+/)(?=.)",  # GitLab CI: /builds/<group>/<project>/
        r"^(/home/vsts/work/\d+/s/)",  # Azure Pipelines (hosted Linux)
        r"^([A-Za-z]:/a/\d+/s/)",  # Azure Pipelines (hosted Windows)
        r"^((?:/home/jenkins/agent|/var/lib/jenkins|/var/jenkins_home)/workspace/[^/]+/)",  # Jenkins
        r"^(/opt/atlassian/pipelines/agent/build/)",  # Bitbucket Pipelines
        r"^(/home/circleci/(?:project|repo)/)",  # CircleCI
        r"^(/drone/src/)",  # Drone / Woodpecker
        r"^(/workspace/source/)",  # Tekton
        r"^(/tmp/build/[0-9a-f]+/)",  # Concourse
        r"^(/src/)",  # semgrep / scanner containers mounting the checkout at /src
    )
)


@dataclass(frozen=True, slots=True)
class PathContext:
    """What a run offers for resolving its locations, plus the user's prefixes."""

    original_uri_base_ids: Mapping[str, Any] = field(default_factory=dict)
    artifacts: Sequence[Any] = ()
    source_root: str | None = None
    extra_prefixes: tuple[str, ...] = ()
    working_dirs: tuple[str, ...] = ()

    @classmethod
    def from_run(cls, run: JSON, source_root: str | None, extra_prefixes: tuple[str, ...] = ()) -> PathContext:
        bases = run.get("originalUriBaseIds")
        artifacts = run.get("artifacts")
        invocations = run.get("invocations")
        working = []
        for inv in invocations if isinstance(invocations, list) else []:
            wd = inv.get("workingDirectory") if isinstance(inv, dict) else None
            uri = wd.get("uri") if isinstance(wd, dict) else None
            if isinstance(uri, str) and uri.strip("/ ") and uri.strip() not in ("file:///", "/"):
                working.append(uri)
        return cls(
            original_uri_base_ids=bases if isinstance(bases, dict) else {},
            artifacts=artifacts if isinstance(artifacts, list) else (),
            source_root=source_root,
            extra_prefixes=extra_prefixes,
            working_dirs=tuple(working),
        )


def _join(base: str, rel: str) -> str:
    if not base:
        return rel
    if not rel:
        return base
    return base if rel.startswith(("/", "file:")) or "://" in rel else base.rstrip("/") + "/" + rel


def _base_uri(ctx: PathContext, base_id: Any, depth: int = 0) -> str:
    """The absolute-ish URI a base id stands for; empty when undefined (never an error)."""
    if not isinstance(base_id, str) or depth > _MAX_BASE_DEPTH:
        return ""
    entry = ctx.original_uri_base_ids.get(base_id)
    if not isinstance(entry, dict):
        return ""
    uri = entry.get("uri") if isinstance(entry.get("uri"), str) else ""
    return _join(_base_uri(ctx, entry.get("uriBaseId"), depth + 1), uri or "")


def _artifact(ctx: PathContext, index: Any) -> dict[str, Any] | None:
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(ctx.artifacts):
        return None
    artifact = ctx.artifacts[index]
    return artifact if isinstance(artifact, dict) else None


def artifact_uri(location: Any, ctx: PathContext) -> str | None:
    """The full URI of an ``artifactLocation``, following ``index`` and ``uriBaseId``."""
    if not isinstance(location, dict):
        return None
    uri = location.get("uri")
    base_id = location.get("uriBaseId")
    index = location.get("index")
    artifact = _artifact(ctx, index) if not isinstance(uri, str) else None
    art_loc = artifact.get("location") if artifact else None
    if isinstance(art_loc, dict):
        uri = art_loc.get("uri")
        base_id = base_id or art_loc.get("uriBaseId")
    if not isinstance(uri, str):
        return None
    return _join(_base_uri(ctx, base_id), uri)


def _strip_scheme(uri: str) -> str:
    """``file:`` URIs to plain paths; other schemes (http…) untouched."""
    if uri[:5].lower() != "file:":
        return uri
    parts = urlsplit(uri)
    path = unquote(parts.path)
    if parts.netloc and parts.netloc.lower() not in ("", "localhost"):
        # file://host/path (UNC) or the host-form misuse file://name.ext: keep the name as a path
        path = parts.netloc + path if not path else "//" + parts.netloc + path
        if not path.startswith("//"):
            return path
    if re.match(r"^/[A-Za-z]:/", path):  # file:///C:/x → C:/x
        path = path[1:]
    return path


def _normalise_prefix(prefix: str) -> str:
    p = _strip_scheme(prefix.strip()).replace("\\", "/")
    return p.rstrip("/") + "/" if p else ""


@lru_cache(maxsize=256)
def _prefix_variants(prefix: str) -> tuple[str, ...]:
    """The prefix as written and, for a local directory, its absolute real path (relative roots,
    symlinks: scanners write the resolved path)."""
    variants = [_normalise_prefix(prefix)]
    plain = _strip_scheme(prefix.strip())
    if plain and "://" not in plain:
        local = Path(plain).expanduser()
        if local.is_dir():
            for candidate in (local.absolute(), local.resolve()):
                variants.append(_normalise_prefix(candidate.as_posix()))
    return tuple(v for v in dict.fromkeys(variants) if v)


def _strip_prefix(path: str, ctx: PathContext) -> str:
    for prefix in (ctx.source_root, *ctx.extra_prefixes, *ctx.working_dirs):
        for norm in _prefix_variants(prefix) if prefix else ():
            if (path + "/").startswith(norm):
                return path[len(norm) :]
    for pattern in CI_WORKSPACE_PATTERNS:
        match = pattern.match(path)
        if match:
            return path[match.end(1) :]
    return path


def to_repo_path(uri: str | None, ctx: PathContext) -> str:
    """Repository-relative ``/``-separated path; empty when the result has no location."""
    if not uri:
        return ""
    return _repo_path(uri, ctx.source_root, ctx.extra_prefixes, ctx.working_dirs)


@lru_cache(maxsize=65536)
def _repo_path(uri: str, source_root: str | None, extra: tuple[str, ...], working: tuple[str, ...]) -> str:
    """Memoised: the same URIs recur in every scan of a stream."""
    ctx = PathContext(source_root=source_root, extra_prefixes=extra, working_dirs=working)
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", uri) and uri[:5].lower() != "file:":
        return uri  # a web URL: the finding is about a page, not a file
    path = _strip_scheme(uri) if uri[:5].lower() == "file:" else unquote(uri) if "%" in uri else uri
    path = path.replace("\\", "/")
    if path.startswith("//") and not uri.startswith("\\\\"):
        path = "/" + path.lstrip("/")  # file:////src/x → /src/x (UNC shares are written \\host\share)
    path = _strip_prefix(path, ctx)
    absolute = path.startswith("/")
    norm = posixpath.normpath(path) if path else ""
    if norm == ".":
        norm = ""
    if norm.startswith("//"):
        norm = "/" + norm.lstrip("/")
    if not absolute:
        norm = norm.lstrip("/")
    return norm
