"""Append normalised files to the store: bulk Arrow inserts, one statement per table per batch.

Inside the caller's transaction, either every file of a batch lands (its scans and occurrences,
with its streams marked dirty for the lifecycle recompute) or none does. Loading a file whose key
is already stored is a no-op. The rules the files cite are upserted just before, in a transaction
of their own: they describe a scanner's checks, shared by every stream, so writers of different
streams bringing the same rules wait for a short upsert, not for each other's whole batch; a rule
stored without the file that brought it (the batch then failed) is the same rule its retry brings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pyarrow as pa

from ingest.lifecycle import lock_streams, mark_dirty
from ingest.models import Rule
from ingest.pack import (
    FILE_SCHEMA,
    SCAN_SCHEMA,
    STREAM_SCHEMA,
    Packed,
    Provenance,
    occurrence_tables,
    rows_table,
    rules_table,
)
from store import sql
from store.db import Store

if TYPE_CHECKING:
    from store.sql import Connection

ALREADY_LOADED = "SELECT file_key FROM files WHERE file_key IN (SELECT unnest(CAST(? AS VARCHAR[])))"
INSERT_FILES = """
INSERT INTO files
SELECT file_key, sha256, path, size_bytes, sarif_version, given_project, given_branch, given_commit,
       given_scanned_at, given_category, scans, occurrences, warnings, CAST(? AS TIMESTAMP) FROM new_files
"""
INSERT_STREAMS = "INSERT INTO streams SELECT * FROM new_streams ON CONFLICT DO NOTHING"
# The newer file's metadata wins (its scan time, then its key): the same rows in any load order.
UPSERT_RULES = """
INSERT INTO rules (tool, rule_id, name, short_description, full_description, help_uri, help_text, tags, cwes,
                   default_level, security_severity, properties, seen_at, seen_in)
SELECT tool, rule_id, name, short_description, full_description, help_uri, help_text, tags, cwes,
       default_level, security_severity, properties, seen_at, seen_in FROM new_rules ORDER BY tool, rule_id
ON CONFLICT (tool, rule_id) DO UPDATE SET name = excluded.name, short_description = excluded.short_description,
    full_description = excluded.full_description, help_uri = excluded.help_uri, help_text = excluded.help_text,
    tags = excluded.tags, cwes = excluded.cwes, default_level = excluded.default_level,
    security_severity = excluded.security_severity, properties = excluded.properties,
    seen_at = excluded.seen_at, seen_in = excluded.seen_in
WHERE rules.seen_at IS NULL OR excluded.seen_at > rules.seen_at
   OR (excluded.seen_at = rules.seen_at AND excluded.seen_in > rules.seen_in)
"""
INSERT_REJECTION = "INSERT INTO rejections VALUES (?, ?, ?, ?)"


@dataclass(frozen=True, slots=True)
class LoadOutcome:
    file_key: str
    already_loaded: bool
    scans: int
    occurrences: int
    streams: int


@dataclass
class Known:
    """Streams and rules this writer has already stored (committed), so that a batch of files does
    not upsert them again for every file; ``pending`` holds this transaction's additions until
    the caller ``commit()``s them (a rolled-back transaction must not leave them here)."""

    streams: set[str] = field(default_factory=set)
    rules: dict[tuple[str, str], Provenance] = field(default_factory=dict)
    pending_streams: set[str] = field(default_factory=set)
    pending_rules: dict[tuple[str, str], Provenance] = field(default_factory=dict)

    def commit(self) -> None:
        self.streams |= self.pending_streams
        self.rules.update(self.pending_rules)
        self.rollback()

    def rollback(self) -> None:
        self.pending_streams = set()
        self.pending_rules = {}


def _append(conn: Connection, name: str, table: pa.Table, text: str, params: list[object] | None = None) -> None:
    sql.append(conn, name, table, text, params)


def write_rules(conn: Connection, packs: Sequence[Packed], known: Known) -> None:
    """Upsert the rules of the files not stored yet, each with the newest of those files' metadata,
    unless this writer already stored the rule from a file at least as new (in the caller's
    transaction, which should hold nothing else: see the module's doc). The statement itself keeps
    a newer file's metadata that another writer stored."""
    keys = [p.file_key for p in packs]
    stored = {row[0] for row in sql.rows(conn, ALREADY_LOADED, [keys])} if keys else set()
    newest: dict[tuple[str, str], tuple[Rule, Provenance]] = {}
    for p in packs:
        if p.file_key in stored:
            continue
        seen = p.provenance
        for r in p.rules:
            key = (r.tool, r.rule_id)
            if key not in newest or seen > newest[key][1]:
                newest[key] = (r, seen)
    changed = [(r, seen) for key, (r, seen) in newest.items() if key not in known.rules or seen > known.rules[key]]
    if changed:
        _append(conn, "new_rules", rules_table(changed), UPSERT_RULES)
        known.pending_rules.update(((r.tool, r.rule_id), seen) for r, seen in changed)


def write_packed(conn: Connection, packs: Sequence[Packed], known: Known | None = None) -> list[LoadOutcome]:
    """Append whole files inside the caller's transaction — one statement per table for the
    whole batch — and mark their streams dirty (``lifecycle.recompute_dirty`` rebuilds them).
    A file already stored (or given twice in the batch) is a no-op; outcomes keep input order."""
    known = known or Known()
    keys = [p.file_key for p in packs]
    lock_streams(conn, {row[0] for p in packs for row in p.streams})
    stored = {row[0] for row in sql.rows(conn, ALREADY_LOADED, [keys])} if keys else set()
    fresh: list[Packed] = []
    outcomes: list[LoadOutcome] = []
    for p in packs:
        if p.file_key in stored:
            outcomes.append(LoadOutcome(p.file_key, True, 0, 0, 0))
            continue
        stored.add(p.file_key)
        fresh.append(p)
        outcomes.append(LoadOutcome(p.file_key, False, p.scan_count, p.occurrence_count, len(p.streams)))
    if not fresh:
        return outcomes
    now = datetime.now(UTC).replace(tzinfo=None)
    _append(conn, "new_files", rows_table([p.file_row for p in fresh], FILE_SCHEMA), INSERT_FILES, [now])
    streams = {row[0]: row for p in fresh for row in p.streams}
    new_streams = [row for sid, row in streams.items() if sid not in known.streams]
    if new_streams:
        _append(conn, "new_streams", rows_table(new_streams, STREAM_SCHEMA), INSERT_STREAMS)
        known.pending_streams.update(row[0] for row in new_streams)
    sql.insert_all(conn, "scans", rows_table([row for p in fresh for row in p.scans], SCAN_SCHEMA))
    tables = occurrence_tables(fresh)
    if tables:
        sql.insert_all(conn, "occurrences", pa.concat_tables(tables))
    mark_dirty(conn, streams)
    return outcomes


def record_rejection_in(conn: Connection, path: str, sha256: str | None, reason: str) -> None:
    sql.execute(conn, INSERT_REJECTION, [path, sha256, reason, datetime.now(UTC).replace(tzinfo=None)])


def record_rejection(store: Store, path: str, sha256: str | None, reason: str) -> None:
    with store.write() as conn:
        record_rejection_in(conn, path, sha256, reason)
