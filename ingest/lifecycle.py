"""The lifecycle of findings (SPEC §5), recomputed per stream in set-based SQL.

For a stream, scans are ordered by (scanned_at, file hash, scan index) and numbered k = 1..n.
A finding's present (not suppressed) occurrences form islands of consecutive k; each island is an
episode that opens at its first scan and closes at the next scan of the stream (k_last + 1), as
*suppressed* when the finding is there suppressed, else as *fixed*; an island that reaches the
last scan is still open. Because the episodes are a function of the set of scans only, ingest
order never matters and re-running changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.engine import Connection

from store.db import native

# One statement set per stream; `?` is the stream id throughout.
_SCANS_CTE = """
    s AS (
        SELECT scan_id, scanned_at,
               row_number() OVER (ORDER BY scanned_at, file_sha256, scan_index, scan_id) AS k
        FROM scans WHERE stream_id = $stream
    ),
    o AS (
        SELECT oc.finding_id, s.k, bool_and(oc.suppressed) AS suppressed
        FROM occurrences oc JOIN s USING (scan_id)
        WHERE oc.stream_id = $stream
        GROUP BY oc.finding_id, s.k
    )
"""

EPISODES_SQL = f"""
INSERT INTO episodes
WITH {_SCANS_CTE},
    p AS (
        SELECT finding_id, k, k - row_number() OVER (PARTITION BY finding_id ORDER BY k) AS grp
        FROM o WHERE NOT suppressed
    ),
    isl AS (SELECT finding_id, min(k) AS k_open, max(k) AS k_last FROM p GROUP BY finding_id, grp),
    first_seen AS (SELECT finding_id, min(k) AS k_first FROM o GROUP BY finding_id)
SELECT isl.finding_id,
       row_number() OVER (PARTITION BY isl.finding_id ORDER BY isl.k_open) AS seq,
       $stream AS stream_id,
       so.scanned_at AS opened_at,
       sc.scanned_at AS closed_at,
       CASE WHEN sc.scan_id IS NULL THEN 'open'
            WHEN sup.finding_id IS NOT NULL THEN 'suppressed'
            ELSE 'fixed' END AS status,
       so.scan_id AS opened_scan_id,
       sc.scan_id AS closed_scan_id,
       sl.scan_id AS last_seen_scan_id,
       sf.scanned_at AS first_seen_at
FROM isl
JOIN s so ON so.k = isl.k_open
JOIN s sl ON sl.k = isl.k_last
LEFT JOIN s sc ON sc.k = isl.k_last + 1
LEFT JOIN o sup ON sup.finding_id = isl.finding_id AND sup.k = isl.k_last + 1 AND sup.suppressed
JOIN first_seen f ON f.finding_id = isl.finding_id
JOIN s sf ON sf.k = f.k_first
"""

FINDINGS_SQL = f"""
INSERT INTO findings
WITH {_SCANS_CTE},
    latest AS (
        SELECT oc.*, s.scanned_at, s.k,
               row_number() OVER (PARTITION BY oc.finding_id ORDER BY s.k DESC) AS rn,
               min(s.scanned_at) OVER (PARTITION BY oc.finding_id) AS first_seen_at,
               count(*) OVER (PARTITION BY oc.finding_id) AS scans_seen
        FROM occurrences oc JOIN s USING (scan_id)
        WHERE oc.stream_id = $stream
    ),
    ep AS (
        SELECT finding_id, count(*) AS episodes, arg_max(status, seq) AS last_status
        FROM episodes WHERE stream_id = $stream GROUP BY finding_id
    )
SELECT l.finding_id, $stream, st.project, st.branch, st.tool, st.category, l.rule_id,
       l.fingerprint, l.fingerprint_source, l.severity, l.cwe, l.cwes,
       l.path, l.start_line, l.message, l.first_seen_at, l.scanned_at, l.scans_seen,
       coalesce(ep.last_status, 'suppressed'), coalesce(ep.episodes, 0)
FROM latest l
JOIN streams st ON st.stream_id = $stream
LEFT JOIN ep USING (finding_id)
WHERE l.rn = 1
"""


def recompute_streams(conn: Connection, stream_ids: Iterable[str]) -> None:
    """Rebuild episodes and findings of the given streams (inside the caller's transaction)."""
    raw = native(conn)
    for stream_id in sorted(set(stream_ids)):
        params = {"stream": stream_id}
        raw.execute("DELETE FROM episodes WHERE stream_id = $stream", params)
        raw.execute(EPISODES_SQL, params)
        raw.execute("DELETE FROM findings WHERE stream_id = $stream", params)
        raw.execute(FINDINGS_SQL, params)


MARK_DIRTY = "INSERT INTO dirty_streams VALUES (?, now()::TIMESTAMP) ON CONFLICT DO NOTHING"


def mark_dirty(conn: Connection, stream_ids: Iterable[str]) -> None:
    """Record streams whose lifecycle is stale (inside the loading file's transaction)."""
    raw = native(conn)
    for stream_id in sorted(set(stream_ids)):
        raw.execute(MARK_DIRTY, [stream_id])


def recompute_dirty(conn: Connection) -> int:
    """Recompute every stream marked dirty, in one transaction; returns how many."""
    with conn.begin():
        raw = native(conn)
        stale = [row[0] for row in raw.execute("SELECT stream_id FROM dirty_streams ORDER BY 1").fetchall()]
        if stale:
            recompute_streams(conn, stale)
            raw.execute("DELETE FROM dirty_streams WHERE stream_id IN (SELECT unnest(?::VARCHAR[]))", [stale])
    return len(stale)
