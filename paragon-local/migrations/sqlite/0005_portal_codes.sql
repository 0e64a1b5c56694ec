-- Single-use Connect Portal sign-in codes (issue 12, finding 14). Only a SHA-256 of each code
-- is kept, so a database dump opens no portal; a code is deleted when it is used.
CREATE TABLE portal_codes (
    code_hash    TEXT PRIMARY KEY,
    project_id   TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    integration  TEXT NOT NULL,
    permissions  TEXT,
    session_exp  BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX portal_codes_by_expiry ON portal_codes (expires_at);
