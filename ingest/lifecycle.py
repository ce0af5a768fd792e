"""The lifecycle of findings (docs/definitions.md §5), recomputed per stream in set-based SQL.

For a stream, the distinct scan times are numbered k = 1..n (a dense rank of ``scanned_at``): the
scans of one instant are one *step*, parts of one analysis, as the runs of one file are one scan
(files of unrelated parts of a repository loaded with the same time must not "fix" each other's
findings in 0 days). A finding is present at a step when any scan of the step holds it not
suppressed. Its present steps form islands of consecutive k; each island is an episode that opens
at its first step and closes at the next step of the stream (k_last + 1), as *suppressed* when the
finding is there suppressed, else as *fixed*; an island that reaches the last step is still open.

The scan ids an episode names are those of the first scan, in (file hash, scan index, scan id)
order, of the step concerned that shows what the id stands for: the first scan holding the finding
(opened, last seen), the first scan holding it suppressed (closed as suppressed), the step's first
scan (closed as fixed). Because the episodes are a function of the set of scans only, ingest order
never matters and re-running changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.engine import Connection

from store import sql

# One statement per table for any number of streams; `$streams` is the list of stream ids.
# A finding id belongs to exactly one stream (the stream key is part of it, docs/definitions.md §1).
_IN_STREAMS = "stream_id IN (SELECT unnest($streams::VARCHAR[]))"
_SCANS_CTE = f"""
    s AS (  -- k: the step (scan time) in the stream; n: a total order of its scans
        SELECT scan_id, stream_id, scanned_at,
               dense_rank() OVER (PARTITION BY stream_id ORDER BY scanned_at) AS k,
               row_number() OVER (PARTITION BY stream_id
                                  ORDER BY scanned_at, file_sha256, scan_index, scan_id) AS n
        FROM scans WHERE {_IN_STREAMS}
    ),
    o AS (  -- a finding at a step: present unless every occurrence there is suppressed
        SELECT oc.finding_id, s.stream_id, s.k, bool_and(oc.suppressed) AS suppressed,
               arg_min(s.scan_id, s.n) FILTER (WHERE NOT oc.suppressed) AS present_scan_id,
               arg_min(s.scan_id, s.n) FILTER (WHERE oc.suppressed) AS suppressed_scan_id
        FROM occurrences oc JOIN s USING (scan_id)
        WHERE oc.{_IN_STREAMS}
        GROUP BY oc.finding_id, s.stream_id, s.k
    )
"""

EPISODES_SQL = f"""
INSERT INTO episodes
WITH {_SCANS_CTE},
    step AS (SELECT stream_id, k, min(scanned_at) AS scanned_at, arg_min(scan_id, n) AS scan_id
             FROM s GROUP BY stream_id, k),
    p AS (
        SELECT finding_id, stream_id, k,
               k - row_number() OVER (PARTITION BY finding_id ORDER BY k) AS grp
        FROM o WHERE NOT suppressed
    ),
    isl AS (
        SELECT finding_id, stream_id, min(k) AS k_open, max(k) AS k_last
        FROM p GROUP BY finding_id, stream_id, grp
    ),
    first_seen AS (SELECT finding_id, stream_id, min(k) AS k_first FROM o GROUP BY finding_id, stream_id)
SELECT isl.finding_id,
       row_number() OVER (PARTITION BY isl.finding_id ORDER BY isl.k_open) AS seq,
       isl.stream_id,
       so.scanned_at AS opened_at,
       sc.scanned_at AS closed_at,
       CASE WHEN sc.k IS NULL THEN 'open'
            WHEN sup.finding_id IS NOT NULL THEN 'suppressed'
            ELSE 'fixed' END AS status,
       po.present_scan_id AS opened_scan_id,
       coalesce(sup.suppressed_scan_id, sc.scan_id) AS closed_scan_id,
       pl.present_scan_id AS last_seen_scan_id,
       sf.scanned_at AS first_seen_at
FROM isl
JOIN step so ON so.stream_id = isl.stream_id AND so.k = isl.k_open
JOIN o po ON po.finding_id = isl.finding_id AND po.k = isl.k_open
JOIN o pl ON pl.finding_id = isl.finding_id AND pl.k = isl.k_last
LEFT JOIN step sc ON sc.stream_id = isl.stream_id AND sc.k = isl.k_last + 1
LEFT JOIN o sup ON sup.finding_id = isl.finding_id AND sup.k = isl.k_last + 1 AND sup.suppressed
JOIN first_seen f ON f.finding_id = isl.finding_id
JOIN step sf ON sf.stream_id = f.stream_id AND sf.k = f.k_first
"""

FINDINGS_SQL = f"""
INSERT INTO findings
WITH {_SCANS_CTE},
    latest AS (  -- the attributes of each finding's occurrence in its latest scan (highest n)
        SELECT oc.finding_id, oc.stream_id, oc.rule_id, oc.fingerprint, oc.fingerprint_source, oc.severity,
               oc.cwe, oc.cwes, oc.path, oc.start_line, oc.message
        FROM occurrences oc JOIN s USING (scan_id)
        WHERE oc.{_IN_STREAMS}
        QUALIFY row_number() OVER (PARTITION BY oc.finding_id ORDER BY s.n DESC, oc.result_index DESC) = 1
    ),
    seen AS (
        SELECT oc.finding_id, min(s.scanned_at) AS first_seen_at, max(s.scanned_at) AS scanned_at,
               count(DISTINCT s.k) AS scans_seen  -- steps: the scans of one instant count once
        FROM occurrences oc JOIN s USING (scan_id)
        WHERE oc.{_IN_STREAMS}
        GROUP BY oc.finding_id
    ),
    ep AS (
        SELECT finding_id, count(*) AS episodes, arg_max(status, seq) AS last_status
        FROM episodes WHERE {_IN_STREAMS} GROUP BY finding_id
    )
SELECT l.finding_id, l.stream_id, st.project, st.branch, st.tool, st.category, l.rule_id,
       l.fingerprint, l.fingerprint_source, l.severity, l.cwe, l.cwes,
       l.path, l.start_line, l.message, sn.first_seen_at, sn.scanned_at, sn.scans_seen,
       coalesce(ep.last_status, 'suppressed'), coalesce(ep.episodes, 0)
FROM latest l
JOIN seen sn USING (finding_id)
JOIN streams st ON st.stream_id = l.stream_id
LEFT JOIN ep USING (finding_id)
"""

DELETE_EPISODES = f"DELETE FROM episodes WHERE {_IN_STREAMS}"
DELETE_FINDINGS = f"DELETE FROM findings WHERE {_IN_STREAMS}"
MARK_DIRTY = (
    "INSERT INTO dirty_streams SELECT unnest(CAST(? AS VARCHAR[])), CAST(now() AS TIMESTAMP) ON CONFLICT DO NOTHING"
)
CLEAR_DIRTY = "DELETE FROM dirty_streams WHERE stream_id IN (SELECT unnest(CAST(? AS VARCHAR[])))"
# PostgreSQL (many writers): a transaction that writes a stream's scans or rebuilds its lifecycle
# first takes the stream's lock, so writers of one stream take turns and writers of different
# streams do not wait for each other. Taken in sorted order, released at commit (DuckDB has one
# writer at a time: nothing to take).
LOCK_STREAMS = """
SELECT count(pg_advisory_xact_lock(hashtextextended(s, 0)))
FROM (SELECT unnest(CAST(? AS VARCHAR[])) AS s ORDER BY 1) AS ordered
"""


def recompute_streams(conn: Connection, stream_ids: Iterable[str]) -> None:
    """Rebuild episodes and findings of the given streams (inside the caller's transaction):
    four statements, however many streams."""
    ids = sorted(set(stream_ids))
    if not ids:
        return
    params = {"streams": ids}
    lock_streams(conn, ids)
    for statement in (DELETE_EPISODES, EPISODES_SQL, DELETE_FINDINGS, FINDINGS_SQL):
        sql.execute(conn, statement, params)


def lock_streams(conn: Connection, stream_ids: Iterable[str]) -> None:
    """Wait for, and hold until the transaction ends, the given streams (PostgreSQL only)."""
    ids = sorted(set(stream_ids))
    if ids and sql.engine_of(conn) is sql.Engine.POSTGRES:
        sql.execute(conn, LOCK_STREAMS, [ids])


def mark_dirty(conn: Connection, stream_ids: Iterable[str]) -> None:
    """Record streams whose lifecycle is stale (inside the loading files' transaction)."""
    ids = sorted(set(stream_ids))
    if ids:
        sql.execute(conn, MARK_DIRTY, [ids])


def recompute_now(conn: Connection, stream_ids: Iterable[str]) -> None:
    """Rebuild the given streams and clear their dirty marks (inside the caller's transaction)."""
    ids = sorted(set(stream_ids))
    recompute_streams(conn, ids)
    if ids:
        sql.execute(conn, CLEAR_DIRTY, [ids])


def recompute_dirty(conn: Connection) -> int:
    """Recompute every stream marked dirty, in one transaction; returns how many."""
    with conn.begin():
        stale = [row[0] for row in sql.rows(conn, "SELECT stream_id FROM dirty_streams ORDER BY 1")]
        recompute_now(conn, stale)
    return len(stale)
