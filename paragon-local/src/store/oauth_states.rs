//! Pending OAuth authorizations, sealed like credentials.

use super::model::PendingOAuth;
use super::{Store, StoreError, now_ms};
use sqlx::Row;
use std::time::Duration;

impl Store {
    pub(crate) async fn put_oauth_state(
        &self,
        state: &str,
        pending: &PendingOAuth,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let json = serde_json::to_vec(pending).unwrap_or_default();
        let now = now_ms();
        // Expired states are garbage; drop them while we are here.
        sqlx::query("DELETE FROM oauth_states WHERE expires_at < $1")
            .bind(now)
            .execute(&self.pool)
            .await?;
        sqlx::query(
            "INSERT INTO oauth_states (state, project_id, user_id, integration, secret, key_id, \
             expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(state)
        .bind(&pending.project_id)
        .bind(&pending.user_id)
        .bind(&pending.integration)
        .bind(self.cipher.seal(state, &json))
        .bind(self.cipher.key_id())
        .bind(now + ttl.as_millis() as i64)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Removes and returns a pending authorization (one use only), if it exists and is fresh.
    pub(crate) async fn take_oauth_state(
        &self,
        state: &str,
    ) -> Result<Option<PendingOAuth>, StoreError> {
        let row = sqlx::query(
            "DELETE FROM oauth_states WHERE state = $1 RETURNING secret, key_id, expires_at",
        )
        .bind(state)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let expires_at: i64 = row.try_get("expires_at")?;
        if expires_at < now_ms() {
            return Ok(None);
        }
        let key_id: String = row.try_get("key_id")?;
        let sealed: Vec<u8> = row.try_get("secret")?;
        let plain = self
            .cipher
            .open(&key_id, state, &sealed)
            .map_err(|source| StoreError::Crypto {
                id: "oauth state".into(),
                source,
            })?;
        serde_json::from_slice(&plain)
            .map(Some)
            .map_err(|e| StoreError::Corrupt {
                id: "oauth state".into(),
                message: e.to_string(),
            })
    }
}
