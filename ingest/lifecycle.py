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
        SELECT oc.finding_id, s.stream_id, s.k, min(s.scanned_at) AS scanned_at, bool_and(oc.suppressed) AS suppressed,
               arg_min(s.scan_id, s.n) FILTER (WHERE NOT oc.suppressed) AS present_scan_id,
               arg_min(s.scan_id, s.n) FILTER (WHERE oc.suppressed) AS suppressed_scan_id
        FROM occurrences oc JOIN s USING (scan_id)
        WHERE oc.{_IN_STREAMS}
        GROUP BY oc.finding_id, s.stream_id, s.k
    )
"""

# Each episode is read off its island's rows; the only join is with the step that closes it (one
# row per key), so no join can multiply rows whatever row counts a planner guesses.
EPISODES_SQL = f"""
INSERT INTO episodes
WITH {_SCANS_CTE},
    step AS (SELECT stream_id, k, min(scanned_at) AS scanned_at, arg_min(scan_id, n) AS scan_id
             FROM s GROUP BY stream_id, k),
    w AS (  -- each step of a finding, with the finding's next step when it is suppressed right after
        SELECT *,
               CASE WHEN lead(k) OVER f = k + 1 AND lead(suppressed) OVER f
                    THEN lead(suppressed_scan_id) OVER f END AS suppressed_next_scan_id,
               min(scanned_at) OVER (PARTITION BY finding_id) AS first_seen_at
        FROM o WINDOW f AS (PARTITION BY finding_id ORDER BY k)
    ),
    p AS (  -- present steps: islands of consecutive k share grp; an island's first and last rows
        SELECT *,
               k - row_number() OVER f AS grp,
               (lag(k) OVER f IS DISTINCT FROM k - 1) AS first_step,
               (lead(k) OVER f IS DISTINCT FROM k + 1) AS last_step
        FROM w WHERE NOT suppressed
        WINDOW f AS (PARTITION BY finding_id ORDER BY k)
    ),
    isl AS (
        SELECT finding_id, stream_id, min(k) AS k_open, max(k) AS k_last, min(scanned_at) AS opened_at,
               max(present_scan_id) FILTER (WHERE first_step) AS opened_scan_id,
               max(present_scan_id) FILTER (WHERE last_step) AS last_seen_scan_id,
               max(suppressed_next_scan_id) AS suppressed_scan_id,  -- only an island's last row has one
               min(first_seen_at) AS first_seen_at
        FROM p GROUP BY finding_id, stream_id, grp
    )
SELECT isl.finding_id,
       row_number() OVER (PARTITION BY isl.finding_id ORDER BY isl.k_open) AS seq,
       isl.stream_id,
       isl.opened_at,
       sc.scanned_at AS closed_at,
       CASE WHEN sc.k IS NULL THEN 'open'
            WHEN isl.suppressed_scan_id IS NOT NULL THEN 'suppressed'
            ELSE 'fixed' END AS status,
       isl.opened_scan_id,
       coalesce(isl.suppressed_scan_id, sc.scan_id) AS closed_scan_id,
       isl.last_seen_scan_id,
       isl.first_seen_at
FROM isl
LEFT JOIN step sc ON sc.stream_id = isl.stream_id AND sc.k = isl.k_last + 1
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
# PostgreSQL plans the joins of the lifecycle statements on row counts it can only guess (the CTEs'
# groupings; no statistics at all for rows this transaction just loaded): guessed low, it picks
# nested loops over tens of thousands of rows each (100 s instead of 1 s for 66k occurrences). Every
# join there is set work that hash joins do in linear time, so nested loops are off for them.
NO_NESTED_LOOPS = "SET LOCAL enable_nestloop = off"
NESTED_LOOPS_AGAIN = "SET LOCAL enable_nestloop = DEFAULT"


def recompute_streams(conn: Connection, stream_ids: Iterable[str]) -> None:
    """Rebuild episodes and findings of the given streams (inside the caller's transaction):
    four statements, however many streams."""
    ids = sorted(set(stream_ids))
    if not ids:
        return
    params = {"streams": ids}
    lock_streams(conn, ids)
    server = sql.engine_of(conn) is sql.Engine.POSTGRES
    if server:
        sql.execute(conn, NO_NESTED_LOOPS)
    for statement in (DELETE_EPISODES, EPISODES_SQL, DELETE_FINDINGS, FINDINGS_SQL):
        sql.execute(conn, statement, params)
    if server:
        sql.execute(conn, NESTED_LOOPS_AGAIN)


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
