"""Manifests: a CSV with one row per SARIF file and its metadata, for backfills
(``python -m ingest manifest FILE.csv``; the dashboard's sample loader uses it too)."""

from __future__ import annotations

import csv
from pathlib import Path

from core.errors import Rejected, UsageError
from core.times import read_time
from ingest.models import ScanMeta
from ingest.reader import is_regular, max_file_bytes, read_file, why_not_a_file

MANIFEST_COLUMNS = ("path", "project", "branch", "commit", "scanned_at", "category", "source_root")


def read_manifest(path: Path) -> tuple[list[tuple[Path, ScanMeta]], list[tuple[str, str]]]:
    """Manifest rows → (file, metadata); rows that cannot be used become (reference, reason)."""
    try:
        text = read_file(path, max_file_bytes()).decode("utf-8-sig")
    except (Rejected, UnicodeDecodeError) as e:
        raise UsageError(f"{path}: cannot read manifest: {e}") from e
    reader = csv.DictReader(text.splitlines())
    if not reader.fieldnames or "path" not in reader.fieldnames:
        raise UsageError(f"{path}: manifest needs a header row with at least a 'path' column")
    unknown = set(reader.fieldnames) - set(MANIFEST_COLUMNS)
    if unknown:
        raise UsageError(f"{path}: unknown manifest column(s): {', '.join(sorted(unknown))}")
    items: list[tuple[Path, ScanMeta]] = []
    problems: list[tuple[str, str]] = []
    for line_no, row in enumerate(reader, start=2):
        ref = f"{path}:{line_no}"
        value = {k: (v or "").strip() for k, v in row.items() if k}
        if not value.get("path"):
            problems.append((ref, "empty path"))
            continue
        file_path = Path(value["path"])
        if not file_path.is_absolute():
            file_path = path.parent / file_path
        when = None
        if value.get("scanned_at"):
            try:
                when = read_time(value["scanned_at"])
            except ValueError as e:
                problems.append((str(file_path), f"scanned_at {e} (manifest line {line_no})"))
                continue
        if not is_regular(file_path):
            problems.append((str(file_path), f"{why_not_a_file(file_path)} (manifest line {line_no})"))
            continue
        items.append(
            (
                file_path,
                ScanMeta(
                    project=value.get("project") or None,
                    branch=value.get("branch") or None,
                    commit=value.get("commit") or None,
                    scanned_at=when,
                    category=value["category"] if value.get("category") else None,
                    source_root=value.get("source_root") or None,
                ),
            )
        )
    return items, problems
