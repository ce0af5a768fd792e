-- Ownership rules imported from a repository's CODEOWNERS file (python -m ingest codeowners FILE
-- --project P; docs/teams.md). One row per rule line; an import replaces the project's rows. The
-- line's pattern is kept as written and as the anchored regular expression the queries match
-- paths with (project_re matches the project's name exactly), with its count of literal
-- characters (how specific it is). `owner` is the line's first owner, mapped to a team at query
-- time by [team_owners] in the config (so the mapping changes without a new import).
CREATE TABLE codeowners (
    project    VARCHAR NOT NULL,
    line_no    INTEGER NOT NULL,
    pattern    VARCHAR NOT NULL,
    owners     VARCHAR NOT NULL,
    owner      VARCHAR NOT NULL,
    project_re VARCHAR NOT NULL,
    path_re    VARCHAR NOT NULL,
    literals   INTEGER NOT NULL,
    source     VARCHAR NOT NULL,
    loaded_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (project, line_no)
);
