-- Risk decisions (docs/decisions.md): append-only. A row is a decision (accepted, false_positive,
-- wont_fix) or the revocation of one (kind revoke, `revokes` = the decision's id); rows are never
-- updated or deleted, so the table is the audit trail. The scope is one finding (finding_id) or
-- every finding of a rule in a path pattern of a project (project, tool, rule_id, path_glob;
-- path_like is the same pattern for LIKE ... ESCAPE '\', written by the one writer).
CREATE TABLE decisions (
    decision_id VARCHAR PRIMARY KEY,
    kind        VARCHAR NOT NULL,      -- accepted | false_positive | wont_fix | revoke
    finding_id  VARCHAR,
    project     VARCHAR,
    tool        VARCHAR,
    rule_id     VARCHAR,
    path_glob   VARCHAR,
    path_like   VARCHAR,
    reason      VARCHAR NOT NULL,
    decided_by  VARCHAR NOT NULL,
    decided_at  TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP,
    revokes     VARCHAR
);
CREATE INDEX decisions_finding ON decisions (finding_id);
