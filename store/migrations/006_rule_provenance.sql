-- A rule's metadata (name, descriptions, help, tags, CWEs, default level, security severity) is
-- the newest scan's: files of different scanner versions word a rule differently, and the store
-- must not depend on the order they were loaded in. seen_at is the scan time of the file the
-- stored metadata came from, seen_in that file's key (the tie-break). Rows stored before this
-- migration have neither: any file that brings the rule again replaces them.
ALTER TABLE rules ADD COLUMN seen_at TIMESTAMP;
ALTER TABLE rules ADD COLUMN seen_in VARCHAR;
