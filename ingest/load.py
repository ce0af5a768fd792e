"""Write one normalised file into the store: one transaction, bulk Arrow inserts, then lifecycle.

Either the whole file lands (its scans, occurrences, rules and the recomputed lifecycle of every
stream it touches) or nothing does. Loading a file whose key is already stored is a no-op.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any

import pyarrow as pa
from sqlalchemy.engine import Connection

from ingest.lifecycle import mark_dirty, recompute_streams
from ingest.models import Occurrence, ParsedFile, Rule, Scan, ScanMeta
from store.db import Store, native

_OCC_SCHEMA = pa.schema(
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

INSERT_FILE = """
INSERT INTO files (file_key, sha256, path, size_bytes, sarif_version, given_project, given_branch,
                   given_commit, given_scanned_at, given_category, scans, occurrences, warnings, loaded_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
INSERT_STREAM = "INSERT INTO streams VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
INSERT_SCAN = "INSERT INTO scans VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
UPSERT_RULES = """
INSERT OR REPLACE INTO rules
SELECT tool, rule_id, name, short_description, full_description, help_uri, help_text, tags, cwes,
       default_level, security_severity, properties FROM new_rules
"""
INSERT_OCCURRENCES = "INSERT INTO occurrences SELECT * FROM new_occurrences"
INSERT_REJECTION = "INSERT INTO rejections VALUES (?, ?, ?, ?)"


@dataclass(frozen=True, slots=True)
class LoadOutcome:
    file_key: str
    already_loaded: bool
    scans: int
    occurrences: int
    streams: int


def _id(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def stream_id(scan: Scan) -> str:
    return _id(*scan.stream_key)


_PLAIN = ("result_index", "finding_id", "rule_id", "fingerprint", "level", "security_severity", "tool_severity",
          "message", "path", "uri", "start_line", "start_column", "end_line", "end_column", "snippet", "suppressed",
          "suppression_kind", "baseline_state")  # fmt: skip


def _occurrence_table(rows: list[tuple[str, str, Occurrence]]) -> pa.Table:
    """Column-wise: one list comprehension per column is much faster than appending per row."""
    occs = [o for _, _, o in rows]
    cols: dict[str, list[Any]] = {
        "scan_id": [r[0] for r in rows],
        "stream_id": [r[1] for r in rows],
        "fingerprint_source": [o.fingerprint_source.value for o in occs],
        "severity": [o.severity.value for o in occs],
        "severity_source": [o.severity_source.value for o in occs],
        "cwes": [list(o.cwes) for o in occs],
        "cwe": [o.cwes[0] if o.cwes else None for o in occs],
    }
    for name in _PLAIN:
        get = attrgetter(name)
        cols[name] = [get(o) for o in occs]
    return pa.table({name: cols[name] for name in _OCC_SCHEMA.names}, schema=_OCC_SCHEMA)


def _rules_table(values: list[Rule]) -> pa.Table:
    return pa.table(
        {
            "tool": [r.tool for r in values],
            "rule_id": [r.rule_id for r in values],
            "name": [r.name for r in values],
            "short_description": [r.short_description for r in values],
            "full_description": [r.full_description for r in values],
            "help_uri": [r.help_uri for r in values],
            "help_text": [r.help_text for r in values],
            "tags": [list(r.tags) for r in values],
            "cwes": [list(r.cwes) for r in values],
            "default_level": [r.default_level for r in values],
            "security_severity": pa.array([r.security_severity for r in values], pa.float64()),
            "properties": [r.properties_json for r in values],
        }
    )


def is_loaded(conn: Connection, key: str) -> bool:
    return native(conn).execute("SELECT 1 FROM files WHERE file_key = ?", [key]).fetchone() is not None


@dataclass
class Known:
    """Streams and rules this writer has already stored (committed), so that a batch of files does
    not upsert them again for every file; ``pending`` holds this transaction's additions until
    the caller ``commit()``s them (a rolled-back transaction must not leave them here)."""

    streams: set[str] = field(default_factory=set)
    rules: dict[tuple[str, str], Rule] = field(default_factory=dict)
    pending_streams: set[str] = field(default_factory=set)
    pending_rules: dict[tuple[str, str], Rule] = field(default_factory=dict)

    def commit(self) -> None:
        self.streams |= self.pending_streams
        self.rules.update(self.pending_rules)
        self.rollback()

    def rollback(self) -> None:
        self.pending_streams = set()
        self.pending_rules = {}


def write_file(
    conn: Connection, parsed: ParsedFile, meta: ScanMeta, defer_lifecycle: bool = False, known: Known | None = None
) -> LoadOutcome:
    """Insert one parsed file, inside the caller's transaction, and recompute its streams — or,
    with ``defer_lifecycle``, mark them dirty for ``lifecycle.recompute_dirty`` (batch loads)."""
    known = known or Known()
    raw = native(conn)
    if is_loaded(conn, parsed.file_key):
        return LoadOutcome(parsed.file_key, True, 0, 0, 0)
    now = datetime.now(UTC).replace(tzinfo=None)
    raw.execute(
        INSERT_FILE,
        [
            parsed.file_key,
            parsed.sha256,
            parsed.path,
            parsed.size_bytes,
            parsed.sarif_version,
            meta.project,
            meta.branch,
            meta.commit,
            meta.scanned_at,
            meta.category,
            len(parsed.scans),
            parsed.occurrence_count,
            list(parsed.warnings),
            now,
        ],
    )
    occ_rows: list[tuple[str, str, Occurrence]] = []
    streams: set[str] = set()
    for i, scan in enumerate(parsed.scans):
        sid = stream_id(scan)
        streams.add(sid)
        scan_id = _id(parsed.file_key, str(i))
        if sid not in known.streams:
            raw.execute(INSERT_STREAM, [sid, *scan.stream_key])
            known.pending_streams.add(sid)
        raw.execute(
            INSERT_SCAN,
            [
                scan_id,
                parsed.file_key,
                parsed.sha256,
                i,
                list(scan.run_indexes),
                sid,
                scan.project,
                scan.branch,
                scan.commit,
                scan.tool,
                scan.tool_name,
                scan.tool_version,
                scan.category,
                scan.scanned_at,
                scan.scanned_at_source,
                scan.results_total,
                len(scan.occurrences),
                len(scan.skipped),
            ],
        )
        occ_rows.extend((scan_id, sid, o) for o in scan.occurrences)
    new_rules = {(r.tool, r.rule_id): r for scan in parsed.scans for r in scan.rules}
    new_rules = {k: r for k, r in new_rules.items() if known.rules.get(k) != r}
    known.pending_rules.update(new_rules)
    if new_rules:
        raw.register("new_rules", _rules_table(list(new_rules.values())))
        try:
            raw.execute(UPSERT_RULES)
        finally:
            raw.unregister("new_rules")
    if occ_rows:
        raw.register("new_occurrences", _occurrence_table(occ_rows))
        try:
            raw.execute(INSERT_OCCURRENCES)
        finally:
            raw.unregister("new_occurrences")
    if defer_lifecycle:
        mark_dirty(conn, streams)
    else:
        recompute_streams(conn, streams)
    return LoadOutcome(parsed.file_key, False, len(parsed.scans), len(occ_rows), len(streams))


def record_rejection_in(conn: Connection, path: str, sha256: str | None, reason: str) -> None:
    native(conn).execute(INSERT_REJECTION, [path, sha256, reason, datetime.now(UTC).replace(tzinfo=None)])


def record_rejection(store: Store, path: str, sha256: str | None, reason: str) -> None:
    with store.write() as conn:
        record_rejection_in(conn, path, sha256, reason)
