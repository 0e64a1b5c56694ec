//! Finished OAuth popups of the official JavaScript SDK: which credential a flow stored, under
//! a hash of the flow's key (see [`crate::popup`]).

use super::{Store, StoreError, now_ms};
use sqlx::Row;
use std::time::Duration;

impl Store {
    /// Records that the flow keyed `key_hash` stored `credential_id`, for `ttl`; sweeps expired
    /// rows while here.
    pub(crate) async fn put_sdk_session(
        &self,
        key_hash: &str,
        credential_id: &str,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        sqlx::query("DELETE FROM sdk_oauth_sessions WHERE expires_at < $1")
            .bind(now)
            .execute(&self.pool)
            .await?;
        sqlx::query(
            "INSERT INTO sdk_oauth_sessions (key_hash, credential_id, expires_at) \
             VALUES ($1, $2, $3) ON CONFLICT (key_hash) DO UPDATE \
             SET credential_id = excluded.credential_id, expires_at = excluded.expires_at",
        )
        .bind(key_hash)
        .bind(credential_id)
        .bind(now.saturating_add(ttl.as_millis() as i64))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The credential the flow keyed `key_hash` stored, if it has finished and not expired.
    pub(crate) async fn sdk_session(&self, key_hash: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query(
            "SELECT credential_id FROM sdk_oauth_sessions WHERE key_hash = $1 AND expires_at >= $2",
        )
        .bind(key_hash)
        .bind(now_ms())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| r.try_get("credential_id")).transpose()?)
    }

    /// Forgets the flow keyed `key_hash` (the SDK's `DELETE` once it has its answer).
    pub(crate) async fn delete_sdk_session(&self, key_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sdk_oauth_sessions WHERE key_hash = $1")
            .bind(key_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
