-- engines: postgresql
-- PostgreSQL reads a stream's occurrences and scans through indexes when it rebuilds the stream's
-- lifecycle, and the dashboard's filters and windows through these. DuckDB scans its columns
-- faster than it could keep these indexes up to date on every append, so it has none of them.
CREATE INDEX occurrences_stream ON occurrences (stream_id);
CREATE INDEX occurrences_scan ON occurrences (scan_id);
CREATE INDEX episodes_closed ON episodes (closed_at);
CREATE INDEX findings_project ON findings (project, tool);
CREATE INDEX deployments_project ON deployments (project, environment, finished_at);
CREATE INDEX incidents_project ON incidents (project, created_at);
