-- The official JavaScript SDK's OAuth popups (issue 18): once the callback has stored the
-- credential, the SDK learns its id by polling `/sdk/actions/session-id/{oauthMetaKeyId}`.
-- Rows are keyed by a SHA-256 of project, user and that id, so only the user who started the
-- flow can read the answer; they expire after ten minutes.
CREATE TABLE sdk_oauth_sessions (
    key_hash      TEXT PRIMARY KEY,
    credential_id TEXT NOT NULL,
    expires_at    BIGINT NOT NULL
);
CREATE INDEX sdk_oauth_sessions_by_expiry ON sdk_oauth_sessions (expires_at);
