-- The expired-state sweep (DELETE ... WHERE expires_at < now) reads only what it deletes.
CREATE INDEX oauth_states_by_expiry ON oauth_states (expires_at);
