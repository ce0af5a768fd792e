-- Bearer tokens of the HTTP API (python -m service). A token is "fnd_<token_id>_<secret>": the id
-- finds the row, and only the SHA-256 of the secret is kept, so a copy of the database cannot be
-- used to call the API. Scopes: upload, read. Projects: shell-style patterns the token may touch.
CREATE TABLE api_tokens (
    token_id      VARCHAR PRIMARY KEY,
    name          VARCHAR NOT NULL,
    secret_sha256 VARCHAR NOT NULL,
    scopes        VARCHAR[] NOT NULL,
    projects      VARCHAR[] NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    expires_at    TIMESTAMP,
    revoked_at    TIMESTAMP
);
