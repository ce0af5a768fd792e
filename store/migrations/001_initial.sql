-- Files as received. file_key = sha256 of the decompressed bytes + the metadata given with them.
CREATE TABLE files (
    file_key        VARCHAR PRIMARY KEY,
    sha256          VARCHAR NOT NULL,
    path            VARCHAR NOT NULL,
    size_bytes      BIGINT NOT NULL,
    sarif_version   VARCHAR NOT NULL,
    given_project   VARCHAR,
    given_branch    VARCHAR,
    given_commit    VARCHAR,
    given_scanned_at TIMESTAMP,
    given_category  VARCHAR,
    scans           INTEGER NOT NULL,
    occurrences     INTEGER NOT NULL,
    warnings        VARCHAR[] NOT NULL,
    loaded_at       TIMESTAMP NOT NULL
);

-- Files that were refused, with the reason (none of their content is stored).
CREATE TABLE rejections (
    path        VARCHAR NOT NULL,
    sha256      VARCHAR,
    reason      VARCHAR NOT NULL,
    rejected_at TIMESTAMP NOT NULL
);

-- Streams: scans that can be compared with each other (docs/definitions.md §1).
CREATE TABLE streams (
    stream_id VARCHAR PRIMARY KEY,
    project   VARCHAR NOT NULL,
    branch    VARCHAR NOT NULL,
    tool      VARCHAR NOT NULL,
    category  VARCHAR NOT NULL
);

-- One scan = the runs of one file that belong to one stream.
CREATE TABLE scans (
    scan_id           VARCHAR PRIMARY KEY,
    file_key          VARCHAR NOT NULL,
    file_sha256       VARCHAR NOT NULL,
    scan_index        INTEGER NOT NULL,
    run_indexes       INTEGER[] NOT NULL,
    stream_id         VARCHAR NOT NULL,
    project           VARCHAR NOT NULL,
    branch            VARCHAR NOT NULL,
    commit_sha        VARCHAR,
    tool              VARCHAR NOT NULL,
    tool_name         VARCHAR NOT NULL,
    tool_version      VARCHAR,
    category          VARCHAR NOT NULL,
    scanned_at        TIMESTAMP NOT NULL,
    scanned_at_source VARCHAR NOT NULL,
    results_total     INTEGER NOT NULL,
    occurrences       INTEGER NOT NULL,
    skipped           INTEGER NOT NULL
);
CREATE INDEX scans_stream ON scans (stream_id);

CREATE TABLE rules (
    tool              VARCHAR NOT NULL,
    rule_id           VARCHAR NOT NULL,
    name              VARCHAR,
    short_description VARCHAR,
    full_description  VARCHAR,
    help_uri          VARCHAR,
    help_text         VARCHAR,
    tags              VARCHAR[] NOT NULL,
    cwes              VARCHAR[] NOT NULL,
    default_level     VARCHAR,
    security_severity DOUBLE,
    properties        VARCHAR,
    PRIMARY KEY (tool, rule_id)
);

-- One row per result of a scan (docs/definitions.md §1 "occurrence").
CREATE TABLE occurrences (
    scan_id            VARCHAR NOT NULL,
    stream_id          VARCHAR NOT NULL,
    result_index       INTEGER NOT NULL,
    finding_id         VARCHAR NOT NULL,
    rule_id            VARCHAR NOT NULL,
    fingerprint        VARCHAR NOT NULL,
    fingerprint_source VARCHAR NOT NULL,
    level              VARCHAR NOT NULL,
    severity           VARCHAR NOT NULL,
    severity_source    VARCHAR NOT NULL,
    security_severity  DOUBLE,
    tool_severity      VARCHAR,
    cwes               VARCHAR[] NOT NULL,
    cwe                VARCHAR,
    message            VARCHAR NOT NULL,
    path               VARCHAR NOT NULL,
    uri                VARCHAR,
    start_line         INTEGER,
    start_column       INTEGER,
    end_line           INTEGER,
    end_column         INTEGER,
    snippet            VARCHAR,
    suppressed         BOOLEAN NOT NULL,
    suppression_kind   VARCHAR,
    baseline_state     VARCHAR
);

-- The identity that persists across the scans of a stream, with its latest attributes.
-- Derived from occurrences; rebuilt for a stream whenever one of its scans is loaded.
CREATE TABLE findings (
    finding_id     VARCHAR PRIMARY KEY,
    stream_id      VARCHAR NOT NULL,
    project        VARCHAR NOT NULL,
    branch         VARCHAR NOT NULL,
    tool           VARCHAR NOT NULL,
    category       VARCHAR NOT NULL,
    rule_id        VARCHAR NOT NULL,
    fingerprint    VARCHAR NOT NULL,
    fingerprint_source VARCHAR NOT NULL,
    severity       VARCHAR NOT NULL,
    cwe            VARCHAR,
    cwes           VARCHAR[] NOT NULL,
    path           VARCHAR NOT NULL,
    start_line     INTEGER,
    message        VARCHAR NOT NULL,
    first_seen_at  TIMESTAMP NOT NULL,
    last_seen_at   TIMESTAMP NOT NULL,
    scans_seen     INTEGER NOT NULL,
    status         VARCHAR NOT NULL,   -- open | fixed | suppressed (of its latest episode or occurrence)
    episodes       INTEGER NOT NULL
);
CREATE INDEX findings_stream ON findings (stream_id);

-- Continuous open periods of a finding (docs/definitions.md §5). Derived; rebuilt per stream.
CREATE TABLE episodes (
    finding_id     VARCHAR NOT NULL,
    seq            INTEGER NOT NULL,      -- 1 = first episode; > 1 = reopened
    stream_id      VARCHAR NOT NULL,
    opened_at      TIMESTAMP NOT NULL,
    closed_at      TIMESTAMP,
    status         VARCHAR NOT NULL,      -- open | fixed | suppressed
    opened_scan_id VARCHAR NOT NULL,
    closed_scan_id VARCHAR,
    last_seen_scan_id VARCHAR NOT NULL,
    first_seen_at  TIMESTAMP NOT NULL,    -- the finding's first detection: the SLA clock start
    PRIMARY KEY (finding_id, seq)
);
CREATE INDEX episodes_stream ON episodes (stream_id);
