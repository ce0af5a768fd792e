"""Deployments and incidents files: CSV (with a header row) or JSON bytes in, validated frozen
records out.

Every row is checked before anything is returned, so a file is loaded whole or not at all: one bad
row rejects the file, and the rejection names every bad row (``line N`` for CSV, counting the
header as line 1; ``item N`` for JSON, counting from 1; the first 20 are listed, the rest counted)
with every problem of that row, so a user fixes the file in one pass. Times must lie in 1970–2100.
Unknown columns are ignored with a warning. Reading the file from disk (regular files only, size
capped) is the loader's job; this module never opens a file or the database.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from core.errors import Rejected
from core.times import read_time
from ingest.devops.records import Deployment, DeploymentStatus, Incident, Parsed, SourceKind

_SHA_RE = re.compile(r"^[0-9a-f]{4,64}$")
_SHA_SPLIT = re.compile(r"[\s;,]+")
_TRUE = frozenset({"true", "yes", "1", "y", "t"})
_FALSE = frozenset({"false", "no", "0", "n", "f"})
MAX_LISTED_ROWS = 20  # bad rows named in a rejection; the rest are counted

DEPLOYMENT_COLUMNS = (
    "id",
    "project",
    "environment",
    "started_at",
    "finished_at",
    "status",
    "sha",
    "commits",
    "planned",
)
INCIDENT_COLUMNS = ("id", "project", "created_at", "resolved_at", "deployment_id", "cause_sha")
_ALIASES = {SourceKind.DEPLOYMENTS: {"deployment_id": "id"}, SourceKind.INCIDENTS: {"incident_id": "id"}}
_REQUIRED = {
    SourceKind.DEPLOYMENTS: ("id", "project", "environment", "started_at", "finished_at", "status", "sha"),
    SourceKind.INCIDENTS: ("id", "project", "created_at"),
}
_COLUMNS = {SourceKind.DEPLOYMENTS: DEPLOYMENT_COLUMNS, SourceKind.INCIDENTS: INCIDENT_COLUMNS}
_PROBLEM = "\0problem"  # a row-level problem found while splitting the file (never a column name)
_NOT_OBJECT = "not a JSON object"


def _text(value: Any) -> str:
    """A cell as stripped text ('' for missing/null); numbers from JSON become their text."""
    if value is None or isinstance(value, bool):
        return "" if value is None else str(value).lower()
    if isinstance(value, (int, float)):
        return str(value)
    return value.strip() if isinstance(value, str) else ""


class _Row:
    """One input row being validated: collects every problem instead of stopping at the first."""

    def __init__(self, values: Mapping[str, Any], default_project: str | None):
        self.values = values
        self.default_project = default_project
        self.problems: list[str] = []

    def text(self, name: str, required: bool = False) -> str:
        value = _text(self.values.get(name))
        if name == "project" and not value:
            value = (self.default_project or "").strip()
        if required and not value:
            hint = " (or give --project)" if name == "project" else ""
            self.problems.append(f"{name} is missing or empty{hint}")
        return value

    def time(self, name: str, required: bool = False) -> datetime | None:
        raw = self.text(name, required)
        if not raw:
            return None
        try:
            return read_time(raw)
        except ValueError as e:
            self.problems.append(f"{name} {e}")
            return None

    def sha(self, name: str, required: bool = False) -> str:
        value = self.text(name, required).lower()
        if value and not _SHA_RE.match(value):
            self.problems.append(f"{name} {value!r} is not a hexadecimal commit id")
        return value

    def sha_list(self, name: str) -> tuple[str, ...] | None:
        raw = self.values.get(name)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        if isinstance(raw, list):
            items = [_text(v).lower() for v in raw]
        elif isinstance(raw, str):
            items = [s.lower() for s in _SHA_SPLIT.split(raw.strip()) if s]
        else:
            self.problems.append(f"{name} must be a list of SHAs")
            return None
        bad = [s for s in items if not _SHA_RE.match(s)]
        if bad:
            self.problems.append(f"{name}: {', '.join(repr(b) for b in bad[:3])} not hexadecimal commit id(s)")
        return tuple(dict.fromkeys(s for s in items if s))

    def flag(self, name: str) -> bool | None:
        value = self.values.get(name)
        if isinstance(value, bool):
            return value
        text = _text(value).lower()
        if not text:
            return None
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        self.problems.append(f"{name} {text!r} is not true/false/yes/no/1/0")
        return None


def _deployment(row: _Row) -> Deployment | None:
    dep_id = row.text("id", True)
    project = row.text("project", True)
    environment = row.text("environment", True)
    started = row.time("started_at", True)
    finished = row.time("finished_at", True)
    status_text = row.text("status", True).lower()
    if status_text and status_text not in {s.value for s in DeploymentStatus}:
        row.problems.append(f"status {status_text!r} is not success|failure")
    sha = row.sha("sha", True)
    commits = row.sha_list("commits")
    planned = row.flag("planned")
    if started and finished and finished < started:
        row.problems.append(f"finished_at {finished.isoformat()} is before started_at {started.isoformat()}")
    if row.problems or started is None or finished is None:
        return None
    return Deployment(
        dep_id, project, environment, started, finished, DeploymentStatus(status_text), sha, commits, planned
    )


def _incident(row: _Row) -> Incident | None:
    inc_id = row.text("id", True)
    project = row.text("project", True)
    created = row.time("created_at", True)
    resolved = row.time("resolved_at")
    deployment_id = row.text("deployment_id") or None
    cause = row.sha("cause_sha") or None
    if created and resolved and resolved < created:
        row.problems.append(f"resolved_at {resolved.isoformat()} is before created_at {created.isoformat()}")
    if row.problems or created is None:
        return None
    return Incident(inc_id, project, created, resolved, deployment_id, cause)


def _rows_from_csv(data: bytes) -> tuple[list[str], list[tuple[str, dict[str, Any]]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise Rejected(f"not UTF-8 text: {e}") from e
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise Rejected("empty file (a CSV needs a header row)") from None
    except csv.Error as e:
        raise Rejected(f"line 1: {e}") from e
    header = [h.strip().lower() for h in header]
    rows: list[tuple[str, dict[str, Any]]] = []
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            raise Rejected(f"line {reader.line_num}: {e}") from e
        if not any(c.strip() for c in cells):
            continue
        where = f"line {reader.line_num}"
        values: dict[str, Any] = dict(zip(header, cells, strict=False))
        if len(cells) > len(header):
            values[_PROBLEM] = f"{len(cells)} fields but the header has {len(header)}"
        rows.append((where, values))
    return header, rows


def _rows_from_json(data: bytes, kind: SourceKind) -> tuple[list[str], list[tuple[str, dict[str, Any]]]]:
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise Rejected(f"not valid JSON: {e}") from e
    if isinstance(doc, dict):
        if not isinstance(doc.get(kind.value), list):
            raise Rejected(f'a JSON object needs a "{kind.value}" list')
        doc = doc[kind.value]
    if not isinstance(doc, list):
        raise Rejected(f'expected a JSON list of objects or {{"{kind.value}": [...]}}')
    rows: list[tuple[str, dict[str, Any]]] = []
    header: dict[str, None] = {}
    for n, item in enumerate(doc, start=1):
        if not isinstance(item, dict):
            rows.append((f"item {n}", {_PROBLEM: _NOT_OBJECT}))
            continue
        values = {str(k).strip().lower(): v for k, v in item.items()}
        header.update(dict.fromkeys(values))
        rows.append((f"item {n}", values))
    return list(header), rows


def _is_json(data: bytes, name: str) -> bool:
    suffix = Path(name).suffix.lower()
    if suffix in (".json", ".csv"):
        return suffix == ".json"
    return data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"[", b"{")


def parse_records(data: bytes, name: str, kind: SourceKind, project: str | None = None) -> Parsed:
    """Validate every row of a deployments or incidents file (CSV with a header row, or JSON).

    Raises Rejected listing every bad row when any row is bad; nothing partial is returned.
    """
    is_json = _is_json(data, name)
    header, rows = _rows_from_json(data, kind) if is_json else _rows_from_csv(data)
    aliases = _ALIASES[kind]
    header = [aliases.get(h, h) for h in header]
    known = set(_COLUMNS[kind])
    problems: list[str] = []
    warnings: list[str] = []
    unknown = [h for h in header if h and h not in known]
    if unknown:
        warnings.append(f"ignored column(s): {', '.join(dict.fromkeys(unknown))}")
    required = [c for c in _REQUIRED[kind] if not (c == "project" and project)]
    missing = [c for c in required if c not in header]
    if missing and not is_json:
        hint = " (or give --project)" if "project" in missing else ""
        raise Rejected(f"line 1: missing column(s): {', '.join(missing)}{hint}")
    build = _deployment if kind is SourceKind.DEPLOYMENTS else _incident
    records: list[Any] = []
    first_seen: dict[tuple[str, str], str] = {}
    for where, values in rows:
        values = {aliases.get(k, k): v for k, v in values.items()}
        row = _Row(values, project)
        if _PROBLEM in values:
            row.problems.append(values[_PROBLEM])
        record = None if values.get(_PROBLEM) == _NOT_OBJECT else build(row)
        if record is not None:
            key = (record.project, record.deployment_id if isinstance(record, Deployment) else record.incident_id)
            if key in first_seen:
                row.problems.append(f"duplicate id {key[1]!r} (first at {first_seen[key]})")
            first_seen.setdefault(key, where)
        if row.problems:
            problems.append(f"{where}: {'; '.join(row.problems)}")
        elif record is not None:
            records.append(record)
    if problems:
        listed = [f"  {p}" for p in problems[:MAX_LISTED_ROWS]]
        if len(problems) > MAX_LISTED_ROWS:
            listed.append(f"  … and {len(problems) - MAX_LISTED_ROWS:,} more bad row(s)")
        raise Rejected(f"{len(problems)} bad row(s):\n" + "\n".join(listed))
    if not records:
        raise Rejected(f"no {kind.value} in the file")
    return Parsed(tuple(records), tuple(warnings))
