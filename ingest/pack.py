"""A normalised file in the columnar form the store takes: Arrow tables and plain row tuples.

Packing happens where the file was normalised (this process or a worker), so that what travels
to the writing process is a few Arrow buffers rather than thousands of Python objects, and so that
the writer can append the files of a whole batch with one statement per table. Files normalised
together share one occurrence table (``pack_many``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyarrow as pa

from ingest.models import Occurrence, ParsedFile, Rule, Scan, ScanMeta

OCCURRENCE_SCHEMA = pa.schema(
    [
        ("scan_id", pa.string()),
        ("stream_id", pa.string()),
        ("result_index", pa.int32()),
        ("finding_id", pa.string()),
        ("rule_id", pa.string()),
        ("fingerprint", pa.string()),
        ("fingerprint_source", pa.string()),
        ("level", pa.string()),
        ("severity", pa.string()),
        ("severity_source", pa.string()),
        ("security_severity", pa.float64()),
        ("tool_severity", pa.string()),
        ("cwes", pa.list_(pa.string())),
        ("cwe", pa.string()),
        ("message", pa.string()),
        ("path", pa.string()),
        ("uri", pa.string()),
        ("start_line", pa.int32()),
        ("start_column", pa.int32()),
        ("end_line", pa.int32()),
        ("end_column", pa.int32()),
        ("snippet", pa.string()),
        ("suppressed", pa.bool_()),
        ("suppression_kind", pa.string()),
        ("baseline_state", pa.string()),
    ]
)

FILE_SCHEMA = pa.schema(
    [
        ("file_key", pa.string()),
        ("sha256", pa.string()),
        ("path", pa.string()),
        ("size_bytes", pa.int64()),
        ("sarif_version", pa.string()),
        ("given_project", pa.string()),
        ("given_branch", pa.string()),
        ("given_commit", pa.string()),
        ("given_scanned_at", pa.timestamp("us")),
        ("given_category", pa.string()),
        ("scans", pa.int32()),
        ("occurrences", pa.int32()),
        ("warnings", pa.list_(pa.string())),
    ]
)

STREAM_SCHEMA = pa.schema(
    [
        ("stream_id", pa.string()),
        ("project", pa.string()),
        ("branch", pa.string()),
        ("tool", pa.string()),
        ("category", pa.string()),
    ]
)

SCAN_SCHEMA = pa.schema(
    [
        ("scan_id", pa.string()),
        ("file_key", pa.string()),
        ("file_sha256", pa.string()),
        ("scan_index", pa.int32()),
        ("run_indexes", pa.list_(pa.int32())),
        ("stream_id", pa.string()),
        ("project", pa.string()),
        ("branch", pa.string()),
        ("commit_sha", pa.string()),
        ("tool", pa.string()),
        ("tool_name", pa.string()),
        ("tool_version", pa.string()),
        ("category", pa.string()),
        ("scanned_at", pa.timestamp("us")),
        ("scanned_at_source", pa.string()),
        ("results_total", pa.int32()),
        ("occurrences", pa.int32()),
        ("skipped", pa.int32()),
    ]
)
SCANNED_AT = SCAN_SCHEMA.names.index("scanned_at")

RULE_SCHEMA = pa.schema(
    [
        ("tool", pa.string()),
        ("rule_id", pa.string()),
        ("name", pa.string()),
        ("short_description", pa.string()),
        ("full_description", pa.string()),
        ("help_uri", pa.string()),
        ("help_text", pa.string()),
        ("tags", pa.list_(pa.string())),
        ("cwes", pa.list_(pa.string())),
        ("default_level", pa.string()),
        ("security_severity", pa.float64()),
        ("properties", pa.string()),
        ("seen_at", pa.timestamp("us")),
        ("seen_in", pa.string()),
    ]
)

Row = tuple[Any, ...]
# (scan time, file key): the newer file's rule metadata wins (``Packed.provenance``).
Provenance = tuple[datetime, str]


def _id(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def stream_id(scan: Scan) -> str:
    return _id(*scan.stream_key)


def scan_id(file_key: str, index: int) -> str:
    return _id(file_key, str(index))


@dataclass(frozen=True, slots=True)
class Packed:
    """One normalised file, ready to append: its row in ``files`` (without ``loaded_at``), its
    streams, scans and rules, and its occurrences: ``rows`` rows of ``table`` from ``offset``.

    Files packed together share one occurrence table (``pack_many``): building a table, and
    pickling one to send it from a worker, has a fixed cost that small files would otherwise pay
    each, where it is a large part of their whole handling. Pickled in one list, they carry the
    table once."""

    path: str
    file_key: str
    file_row: Row
    streams: tuple[Row, ...]
    scans: tuple[Row, ...]
    rules: tuple[Rule, ...]
    table: pa.Table
    offset: int
    rows: int
    warnings: tuple[str, ...]

    @property
    def provenance(self) -> Provenance:
        """What orders this file's rule metadata against another file's: its latest scan time, then
        its key (so that two files of the same time still give one answer in any load order)."""
        return (max((row[SCANNED_AT] for row in self.scans), default=datetime.min), self.file_key)

    @property
    def occurrences(self) -> pa.Table:
        """This file's occurrences (a zero-copy slice)."""
        return self.table.slice(self.offset, self.rows)

    @property
    def scan_count(self) -> int:
        return len(self.scans)

    @property
    def occurrence_count(self) -> int:
        return self.rows


# Occurrence fields in order (the layout of Scan.occurrence_rows).
_FIELDS = tuple(Occurrence.__dataclass_fields__)

Part = tuple[str, str, tuple[tuple[Any, ...], ...]]  # (scan id, stream id, occurrence rows)


def occurrence_table(parts: list[Part]) -> pa.Table:
    """(scan id, stream id, occurrence rows) parts → one table, transposed in C (``zip``) rather
    than read attribute by attribute."""
    rows = [row for _, _, group in parts for row in group]
    columns = dict(zip(_FIELDS, zip(*rows, strict=True), strict=True)) if rows else {f: () for f in _FIELDS}
    cols: dict[str, Any] = {
        "scan_id": [sid for sid, _, group in parts for _ in group],
        "stream_id": [st for _, st, group in parts for _ in group],
        "cwe": [c[0] if c else None for c in columns["cwes"]],
        **columns,
    }
    return pa.table({name: cols[name] for name in OCCURRENCE_SCHEMA.names}, schema=OCCURRENCE_SCHEMA)


def pack_many(files: Sequence[tuple[ParsedFile, ScanMeta]]) -> list[Packed]:
    """The columnar form of several parsed files, their occurrences in one shared table."""
    heads = [_head(parsed, meta) for parsed, meta in files]
    table = occurrence_table([part for _, parts in heads for part in parts])
    out: list[Packed] = []
    offset = 0
    for (parsed, _), (fields, parts) in zip(files, heads, strict=True):
        rows = sum(len(group) for _, _, group in parts)
        out.append(Packed(*fields, table=table, offset=offset, rows=rows, warnings=parsed.warnings))
        offset += rows
    return out


_Head = tuple[str, str, Row, tuple[Row, ...], tuple[Row, ...], tuple[Rule, ...]]


def _head(parsed: ParsedFile, meta: ScanMeta) -> tuple[_Head, list[Part]]:
    """A file's ``Packed`` fields up to ``rules``, and its occurrence parts."""
    key = parsed.file_key
    streams: dict[str, Row] = {}
    scans: list[Row] = []
    parts: list[Part] = []
    rules: dict[tuple[str, str], Rule] = {}
    for i, scan in enumerate(parsed.scans):
        sid = stream_id(scan)
        streams.setdefault(sid, (sid, *scan.stream_key))
        this = scan_id(key, i)
        scans.append(
            (this, key, parsed.sha256, i, list(scan.run_indexes), sid, scan.project, scan.branch, scan.commit,
             scan.tool, scan.tool_name, scan.tool_version, scan.category, scan.scanned_at, scan.scanned_at_source,
             scan.results_total, len(scan.occurrence_rows), len(scan.skipped))
        )  # fmt: skip
        parts.append((this, sid, scan.occurrence_rows))
        for rule in scan.rules:
            rules[(rule.tool, rule.rule_id)] = rule
    file_row = (
        key, parsed.sha256, parsed.path, parsed.size_bytes, parsed.sarif_version, meta.project, meta.branch,
        meta.commit, meta.scanned_at, meta.category, len(parsed.scans), parsed.occurrence_count, list(parsed.warnings),
    )  # fmt: skip
    head: _Head = (parsed.path, key, file_row, tuple(streams.values()), tuple(scans), tuple(rules.values()))
    return head, parts


def occurrence_tables(packs: Sequence[Packed]) -> list[pa.Table]:
    """The packs' occurrences as few tables: adjacent slices of one shared table are merged back,
    so that a batch reaches the store as a few large chunks rather than one per file."""
    spans: list[tuple[pa.Table, int, int]] = []
    for p in packs:
        if not p.rows:
            continue
        if spans and spans[-1][0] is p.table and spans[-1][1] + spans[-1][2] == p.offset:
            table, offset, rows = spans[-1]
            spans[-1] = (table, offset, rows + p.rows)
        else:
            spans.append((p.table, p.offset, p.rows))
    return [table.slice(offset, rows) for table, offset, rows in spans]


def rows_table(rows: list[Row], schema: pa.Schema) -> pa.Table:
    """Row tuples → a table of ``schema`` (columns in schema order)."""
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in schema.names]
    return pa.table({name: list(col) for name, col in zip(schema.names, columns, strict=True)}, schema=schema)


def rules_table(values: list[tuple[Rule, Provenance]]) -> pa.Table:
    """Rules with the (scan time, file key) of the file each one's metadata comes from."""
    rows = [
        (r.tool, r.rule_id, r.name, r.short_description, r.full_description, r.help_uri, r.help_text, list(r.tags),
         list(r.cwes), r.default_level, r.security_severity, r.properties_json, seen_at, seen_in)
        for r, (seen_at, seen_in) in values
    ]  # fmt: skip
    return rows_table(rows, RULE_SCHEMA)
