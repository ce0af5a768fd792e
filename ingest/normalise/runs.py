"""A run's header (docs/definitions.md §2): project, branch, commit, tool, category and scan time,
each from the metadata given with the file, else from the SARIF, else a fallback with a warning."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from core.times import TimeOutOfRange, read_time
from ingest.adapters import canonical_tool_key
from ingest.models import ScanMeta
from ingest.normalise.options import Options
from ingest.normalise.values import JSON, as_list, as_obj, as_str, capped

# A scan time in a SARIF before this is a placeholder (the Unix epoch, a zero value), not when a
# scanner ran: it falls back to the next source, with a warning.
EARLIEST_SCAN_TIME = datetime(1990, 1, 1)


@dataclass(slots=True)
class RunHeader:
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
    """The last invocation's ``endTimeUtc``, else its ``startTimeUtc`` (docs/definitions.md §2); a
    time outside 1970–2100 or before 1990 falls back to the next, with a warning added to
    ``warnings``."""
    notes: list[str] = [] if warnings is None else warnings
    found: datetime | None = None
    for i, inv in enumerate(as_list(run.get("invocations"))):
        inv = as_obj(inv)
        where = f"run {run_index}: invocations[{i}]"
        t = _invocation_time(inv.get("endTimeUtc"), f"{where}.endTimeUtc", notes) or _invocation_time(
            inv.get("startTimeUtc"), f"{where}.startTimeUtc", notes
        )
        if t is not None:
            found = t
    return found


def category_of(run: JSON) -> str:
    """The category: ``automationDetails.id`` up to its last ``/`` (none when it has no ``/``)."""
    run_id = as_str(as_obj(run.get("automationDetails")).get("id"))
    if not run_id or "/" not in run_id:
        return ""
    return run_id.rsplit("/", 1)[0]


def run_header(
    run: JSON, run_index: int, meta: ScanMeta, path: Path, mtime: datetime, warnings: list[str], options: Options
) -> RunHeader:
    """The run's header; every fallback taken adds a warning to ``warnings``."""
    driver = as_obj(as_obj(run.get("tool")).get("driver"))
    provenance = as_list(run.get("versionControlProvenance"))
    vcp = as_obj(provenance[0]) if provenance else {}
    project = meta.project or repo_name(vcp.get("repositoryUri"))
    project = capped(project) if project else project
    if not project:
        project = path.resolve().parent.name or "default"
        warnings.append(f"run {run_index}: no project given or in the SARIF; using the folder name {project!r}")
    branch = meta.branch or as_str(vcp.get("branch")) or "default"
    branch = capped(branch.removeprefix("refs/heads/"))
    commit = meta.commit or as_str(vcp.get("revisionId"))
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
    version = as_str(driver.get("semanticVersion")) or as_str(driver.get("version"))
    return RunHeader(
        run_index=run_index,
        project=project,
        branch=branch,
        commit=commit,
        tool=capped(canonical_tool_key(name, full_name)),
        tool_name=name.strip() or as_str(full_name) or "unknown",
        tool_version=capped(version) if version else None,
        category=capped(meta.category) if meta.category is not None else capped(category_of(run)),
        scanned_at=scanned_at,
        scanned_at_source=source,
    )
