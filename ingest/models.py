"""Normalised records that travel from the SARIF reader to the store.

Every record is a frozen dataclass: once a result is normalised nobody downstream may change it.
What cannot be normalised becomes a `Skipped` record with a reason instead of vanishing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from core.severity import Severity


class FingerprintSource(StrEnum):
    """Where a finding's fingerprint came from (docs/definitions.md §4)."""

    FINGERPRINTS = "fingerprints"
    PARTIAL = "partialFingerprints"
    ADDRESS = "computed:address"  # the flagged IaC block's address, read by the tool's adapter
    SNIPPET = "computed:snippet"
    SOURCE = "computed:source"
    MESSAGE = "computed:message"


class SeveritySource(StrEnum):
    """Which source of docs/definitions.md §3 ("Severity") decided the severity."""

    OVERRIDE = "override"
    SECURITY_SEVERITY = "security-severity"
    TOOL = "tool"
    LEVEL = "level"


@dataclass(frozen=True, slots=True)
class ScanMeta:
    """Metadata given with a file on the command line, a manifest row or the upload form.

    Any field left ``None`` falls back to the SARIF, then to the fallback of docs/definitions.md §2.
    """

    project: str | None = None
    branch: str | None = None
    commit: str | None = None
    scanned_at: datetime | None = None
    category: str | None = None
    source_root: str | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    """Rule metadata, stored once per (tool, rule_id)."""

    tool: str
    rule_id: str
    name: str | None
    short_description: str | None
    full_description: str | None
    help_uri: str | None
    help_text: str | None
    tags: tuple[str, ...]
    cwes: tuple[str, ...]
    default_level: str | None
    security_severity: float | None
    properties_json: str | None


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One result of one scan, normalised (docs/definitions.md §3) and identified (§4)."""

    result_index: int
    finding_id: str
    rule_id: str
    fingerprint: str
    fingerprint_source: FingerprintSource
    level: str
    severity: Severity
    severity_source: SeveritySource
    security_severity: float | None
    tool_severity: str | None
    cwes: tuple[str, ...]
    message: str
    path: str
    uri: str | None
    start_line: int | None
    start_column: int | None
    end_line: int | None
    end_column: int | None
    snippet: str | None
    suppressed: bool
    suppression_kind: str | None
    baseline_state: str | None

    @property
    def cwe(self) -> str | None:
        return self.cwes[0] if self.cwes else None


@dataclass(frozen=True, slots=True)
class Scan:
    """One scan: the runs of one file that belong to one stream (docs/definitions.md §1), with their results."""

    run_indexes: tuple[int, ...]
    project: str
    branch: str
    commit: str | None
    tool: str
    tool_name: str
    tool_version: str | None
    category: str
    scanned_at: datetime
    scanned_at_source: str
    results_total: int
    rules: tuple[Rule, ...]
    # One tuple per occurrence, values in ``Occurrence`` field order: a scan of a big history holds
    # hundreds of thousands, and the store takes them column-wise (``ingest.pack``), so building
    # an object per result only to take it apart again is left to ``occurrences``.
    occurrence_rows: tuple[tuple[Any, ...], ...]
    skipped: tuple[Skipped, ...] = field(default=())

    @property
    def stream_key(self) -> tuple[str, str, str, str]:
        return (self.project, self.branch, self.tool, self.category)

    @property
    def occurrences(self) -> tuple[Occurrence, ...]:
        """The scan's occurrences as records (built on each call)."""
        return tuple(Occurrence(*row) for row in self.occurrence_rows)


@dataclass(frozen=True, slots=True)
class Skipped:
    """A result that is not an occurrence (pass/notApplicable, baselineState absent, malformed)."""

    result_index: int
    reason: str


@dataclass(frozen=True, slots=True)
class ParsedFile:
    """A whole SARIF file, normalised: every scan in it, plus what the report should say."""

    path: str
    sha256: str
    size_bytes: int
    file_key: str
    sarif_version: str
    scans: tuple[Scan, ...]
    warnings: tuple[str, ...]

    @property
    def occurrence_count(self) -> int:
        return sum(len(s.occurrence_rows) for s in self.scans)
