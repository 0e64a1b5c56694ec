-- paragon-local credential store, SQLite dialect. Times are Unix milliseconds.
CREATE TABLE users (
    project_id  TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    meta        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (project_id, user_id)
);

CREATE TABLE credentials (
    id             TEXT PRIMARY KEY,
    project_id     TEXT NOT NULL,
    user_id        TEXT NOT NULL,
    integration    TEXT NOT NULL,
    status         TEXT NOT NULL,
    status_reason  TEXT,
    provider_id    TEXT,
    config         TEXT NOT NULL,
    secret         BLOB NOT NULL,
    key_id         TEXT NOT NULL,
    expires_at     BIGINT,
    version        BIGINT NOT NULL,
    lease_until    BIGINT NOT NULL DEFAULT 0,
    created_at     BIGINT NOT NULL,
    refreshed_at   BIGINT
);
CREATE INDEX credentials_by_user ON credentials (project_id, user_id, integration);

CREATE TABLE configurations (
    id             TEXT PRIMARY KEY,
    credential_id  TEXT NOT NULL REFERENCES credentials (id) ON DELETE CASCADE,
    project_id     TEXT NOT NULL,
    user_id        TEXT NOT NULL,
    external_id    TEXT,
    meta           TEXT NOT NULL,
    created_at     BIGINT NOT NULL
);
CREATE INDEX configurations_by_credential ON configurations (credential_id);

CREATE TABLE oauth_states (
    state        TEXT PRIMARY KEY,
    project_id   TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    integration  TEXT NOT NULL,
    secret       BLOB NOT NULL,
    key_id       TEXT NOT NULL,
    expires_at   BIGINT NOT NULL
);

CREATE TABLE events (
    id          TEXT PRIMARY KEY,
    project_id  TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    name        TEXT NOT NULL,
    payload     TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE workflow_states (
    project_id   TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    workflow_id  TEXT NOT NULL,
    enabled      BIGINT NOT NULL,
    PRIMARY KEY (project_id, user_id, workflow_id)
);
