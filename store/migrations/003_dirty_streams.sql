-- Streams whose episodes and findings must be recomputed: a file's load marks its streams here
-- in the same transaction; the recompute (at the end of a write lease, or by the next ingest after
-- a crash) removes them in its own transaction. Readers can tell that a recompute is pending.
CREATE TABLE dirty_streams (
    stream_id VARCHAR PRIMARY KEY,
    marked_at TIMESTAMP NOT NULL
);
