-- DevOps inputs for the DORA metrics (docs/definitions.md §7). All timestamps are naive UTC.

-- DevOps inputs as received: a deployments/incidents file (source_key = sha256 of its bytes + kind +
-- the --project given with it) or a git repository read (one key per repo path + project + options,
-- replaced on every re-read).
CREATE TABLE devops_sources (
    source_key VARCHAR PRIMARY KEY,
    kind       VARCHAR NOT NULL,          -- git | deployments | incidents
    path       VARCHAR NOT NULL,
    sha256     VARCHAR NOT NULL,          -- of the file bytes; for git, of the commit/tag listing read
    rows       INTEGER NOT NULL,
    loaded_at  TIMESTAMP NOT NULL
);

-- Changes: commits from `git log` of a repository (upserted on every read).
CREATE TABLE commits (
    project      VARCHAR NOT NULL,
    sha          VARCHAR NOT NULL,
    authored_at  TIMESTAMP NOT NULL,
    committed_at TIMESTAMP NOT NULL,
    parents      VARCHAR[] NOT NULL,
    PRIMARY KEY (project, sha)
);

CREATE TABLE deployments (
    deployment_id VARCHAR NOT NULL,
    project       VARCHAR NOT NULL,
    environment   VARCHAR NOT NULL,
    started_at    TIMESTAMP NOT NULL,
    finished_at   TIMESTAMP NOT NULL,
    status        VARCHAR NOT NULL CHECK (status IN ('success', 'failure')),
    sha           VARCHAR NOT NULL,
    commits       VARCHAR[],              -- the SHAs it shipped, when the input says (squash/cherry-pick flows)
    planned       BOOLEAN,                -- NULL = not told
    source_key    VARCHAR NOT NULL,
    PRIMARY KEY (project, deployment_id)
);

CREATE TABLE incidents (
    incident_id   VARCHAR NOT NULL,
    project       VARCHAR NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    resolved_at   TIMESTAMP,
    deployment_id VARCHAR,
    cause_sha     VARCHAR,
    source_key    VARCHAR NOT NULL,
    PRIMARY KEY (project, incident_id)
);

-- Derived (ingest.devops.recompute_deployment_commits), rebuilt per project after every load:
-- the commits each deployment shipped. source: 'list' = the deployment's own `commits` list;
-- 'git' = reachable from its sha and not from the previous successful deployment's sha in the same
-- environment; 'sha' = only its own sha is known (no git history, or beside a `commits` list).
CREATE TABLE deployment_commits (
    project       VARCHAR NOT NULL,
    deployment_id VARCHAR NOT NULL,
    sha           VARCHAR NOT NULL,
    source        VARCHAR NOT NULL,
    PRIMARY KEY (project, deployment_id, sha)
);
CREATE INDEX deployment_commits_sha ON deployment_commits (project, sha);
