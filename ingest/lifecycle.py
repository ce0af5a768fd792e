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
from typing import TYPE_CHECKING

from store import sql

if TYPE_CHECKING:
    from store.sql import Connection

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
        SELECT oc.finding_id, s.stream_id, s.k, min(s.scanned_at) AS scanned_at,  -- one time per step
               bool_and(oc.suppressed) AS suppressed,
               arg_min(s.scan_id, s.n) FILTER (WHERE NOT oc.suppressed) AS present_scan_id,
               arg_min(s.scan_id, s.n) FILTER (WHERE oc.suppressed) AS suppressed_scan_id
        FROM occurrences oc JOIN s USING (scan_id)
        WHERE oc.{_IN_STREAMS}
        GROUP BY oc.finding_id, s.stream_id, s.k
    )
"""

# What an episode names is read off its island's own rows by window functions over the finding's
# steps, not by joining the steps back on (finding, step): PostgreSQL estimates such two-column
# self-joins at one row and runs them as nested loops, quadratic in a stream's findings (47 s
# instead of under 1 s for 2,500 findings over 12 scans, statistics fresh); DuckDB does either fast.
EPISODES_SQL = f"""
INSERT INTO episodes
WITH {_SCANS_CTE},
    step AS (SELECT stream_id, k, min(scanned_at) AS scanned_at, arg_min(scan_id, n) AS scan_id
             FROM s GROUP BY stream_id, k),
    seq AS (  -- a finding's steps in order, each with the scan that shows it suppressed at the next
        SELECT finding_id, stream_id, k, scanned_at, suppressed, present_scan_id,
               first_value(scanned_at) OVER w AS first_seen_at,
               k - sum(CASE WHEN suppressed THEN 0 ELSE 1 END) OVER w AS grp,  -- the island, on present steps
               CASE WHEN lead(k) OVER w = k + 1 AND lead(suppressed) OVER w
                    THEN lead(suppressed_scan_id) OVER w END AS suppressed_next_scan_id
        FROM o
        WINDOW w AS (PARTITION BY finding_id ORDER BY k)
    ),
    isl AS (  -- an island of consecutive present steps: an episode, and the scans it names
        SELECT finding_id, stream_id, min(k) AS k_open, max(k) AS k_last, min(scanned_at) AS opened_at,
               min(first_seen_at) AS first_seen_at,
               arg_min(present_scan_id, k) AS opened_scan_id, arg_max(present_scan_id, k) AS last_seen_scan_id,
               max(suppressed_next_scan_id) AS suppressed_scan_id  -- only the island's last step has one
        FROM seq WHERE NOT suppressed
        GROUP BY finding_id, stream_id, grp
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


# PostgreSQL plans from statistics that autovacuum refreshes only a while after a load. Planned
# while a first load's scans and occurrences still look empty, the recompute joins "a few rows"
# by nested loops: 27 s instead of 0.3 s for the findings of one stream of 30,000 occurrences.
# So the tables that grew by a tenth (autovacuum's own threshold) since their last analysis are
# analysed first, in a transaction of its own: ANALYZE's lock, held to the end of the transaction,
# would make writers of other streams wait for this recompute before their own ANALYZE.
GROWN_TABLES = """
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relname IN ('scans', 'occurrences', 'episodes', 'findings')
  AND pg_relation_size(c.oid) > 1.1 * c.relpages * current_setting('block_size')::BIGINT + 65536
ORDER BY 1
"""


def analyse_grown_tables(conn: Connection) -> list[str]:
    """PostgreSQL: refresh the statistics of the lifecycle's tables that outgrew them; their names."""
    if sql.engine_of(conn) is not sql.Engine.POSTGRES:
        return []
    with conn.begin():
        grown = [str(row[0]) for row in sql.rows(conn, GROWN_TABLES)]
        if grown:
            sql.execute(conn, "ANALYZE " + ", ".join(f'"{name}"' for name in grown))
    return grown


def recompute_dirty(conn: Connection) -> int:
    """Recompute every stream marked dirty, in one transaction; returns how many."""
    analyse_grown_tables(conn)
    with conn.begin():
        stale = [row[0] for row in sql.rows(conn, "SELECT stream_id FROM dirty_streams ORDER BY 1")]
        recompute_now(conn, stale)
    return len(stale)
