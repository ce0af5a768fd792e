"""The metadata of a file dropped into the inbox (``ingest.watch``, whose docstring gives the
rules): from its sidecar ``NAME.meta.json``, else from its name
``PROJECT__BRANCH__COMMIT__YYYYMMDDTHHMMSSZ[__CATEGORY]``, else none (the SARIF's own then counts).
"""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.errors import Rejected
from core.times import EARLIEST, LATEST, TIME_RANGE, read_time
from ingest.models import ScanMeta
from ingest.normalise.values import MAX_ID_CHARS, MAX_PATH_CHARS
from ingest.pipeline import printable
from ingest.reader import read_file

META_SUFFIX = ".meta.json"
META_KEYS = ("project", "branch", "commit", "scanned_at", "category", "source_root")
NAME_TIME_FORMAT = "%Y%m%dT%H%M%SZ"
_SARIF_SUFFIXES = (".sarif.json", ".sarif", ".json")
SIDECAR_MAX_BYTES = 64 << 10


# ------------------------------------------------------------------------------------------ names
def split_suffix(name: str) -> tuple[str, str]:
    """``scan.sarif.json.gz`` → (``scan``, ``.sarif.json.gz``); the stem and the SARIF suffix."""
    lower = name.lower()
    gz = ".gz" if lower.endswith(".gz") else ""
    body = lower[: len(lower) - len(gz)]
    for suffix in _SARIF_SUFFIXES:
        if body.endswith(suffix):
            cut = len(body) - len(suffix)
            return name[:cut], name[cut:]
    return name, ""


def entry(path: Path) -> os.stat_result | None:
    """The entry itself (a link is not followed), or None when absent or its name is impossible."""
    try:
        return os.lstat(path)
    except (OSError, ValueError):  # ENAMETOOLONG for a sidecar name past 255 bytes: there is none
        return None


def sidecar_of(path: Path) -> Path | None:
    """The file's sidecar, if there is one: ``scan.sarif.meta.json``, else ``scan.meta.json``."""
    stem, _ = split_suffix(path.name)
    for candidate in (path.with_name(path.name + META_SUFFIX), path.with_name(stem + META_SUFFIX)):
        st = entry(candidate)
        if st is not None and not stat.S_ISDIR(st.st_mode):
            return candidate
    return None


# --------------------------------------------------------------------------------------- metadata
def _given(value: Any, key: str, where: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise Rejected(f"{where}: {key} must be a string, not {type(value).__name__}")
    longest = MAX_PATH_CHARS if key == "source_root" else MAX_ID_CHARS
    if len(value) > longest:
        raise Rejected(f"{where}: {key} is {len(value):,} characters long (at most {longest:,})")
    return value.strip() or None


def meta_from_sidecar(path: Path, within: Path | None = None) -> ScanMeta:
    """The metadata of a sidecar (at most 64 KiB, a regular file; inside ``within`` when given)."""
    where = f"sidecar {printable(path.name)}"
    try:
        data = json.loads(read_file(path, SIDECAR_MAX_BYTES, within).decode("utf-8-sig"))
    except Rejected as e:
        raise Rejected(f"{where}: {e}") from e
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise Rejected(f"{where}: not readable JSON ({printable(str(e))[:200]})") from e
    if not isinstance(data, dict):
        raise Rejected(f"{where}: must be a JSON object with {', '.join(META_KEYS)}")
    unknown = sorted(set(data) - set(META_KEYS))
    if unknown:
        raise Rejected(
            f"{where}: unknown key(s) {printable(', '.join(unknown))[:200]} (allowed: {', '.join(META_KEYS)})"
        )
    values = {key: _given(data.get(key), key, where) for key in META_KEYS}
    when = None
    if values["scanned_at"] is not None:
        try:
            when = read_time(values["scanned_at"])
        except ValueError as e:
            raise Rejected(f"{where}: scanned_at {e}") from e
    category = data.get("category")
    return ScanMeta(
        project=values["project"],
        branch=values["branch"],
        commit=values["commit"],
        scanned_at=when,
        category=category if isinstance(category, str) else None,
        source_root=values["source_root"],
    )


def meta_from_name(name: str) -> ScanMeta | None:
    """Metadata from ``PROJECT__BRANCH__COMMIT__YYYYMMDDTHHMMSSZ[__CATEGORY]``; None if not that shape."""
    stem, _ = split_suffix(name)
    parts = stem.split("__")
    if len(parts) not in (4, 5):
        return None
    parts = [p.replace("+", "/").strip() for p in parts]
    project, branch, commit, stamp = parts[:4]
    when = None
    if stamp:
        try:
            when = datetime.strptime(stamp, NAME_TIME_FORMAT).replace(tzinfo=UTC).replace(tzinfo=None)
        except ValueError as e:
            raise Rejected(
                f"file name looks like PROJECT__BRANCH__COMMIT__TIME but {printable(stamp)[:40]!r} is not "
                f"a UTC time written YYYYMMDDTHHMMSSZ"
            ) from e
        if not EARLIEST <= when <= LATEST:
            raise Rejected(f"the time in the file name, {stamp!r}, is outside {TIME_RANGE}")
    return ScanMeta(
        project=project or None,
        branch=branch or None,
        commit=commit or None,
        scanned_at=when,
        category=(parts[4] or None) if len(parts) == 5 else None,
    )


def source_root_allowed(root: str, allowed: tuple[Path, ...]) -> bool:
    """True when ROOT (a path or file: URI) resolves inside one of the allowed folders."""
    from urllib.parse import unquote, urlsplit

    text = unquote(urlsplit(root).path) if root.lower().startswith("file:") else root
    try:
        resolved = Path(text).expanduser().resolve()
    except (OSError, ValueError, RuntimeError):
        return False
    return any(resolved == a or resolved.is_relative_to(a) for a in allowed)


def meta_for(path: Path, within: Path | None = None) -> ScanMeta:
    sidecar = sidecar_of(path)
    if sidecar is not None:
        return meta_from_sidecar(sidecar, within)
    return meta_from_name(path.name) or ScanMeta()
