//! Connected accounts: reads, writes and the refresh lease.

use super::model::{Credential, Secret};
use super::{AAD_BOUND, Store, StoreError, now_ms};
use serde_json::Value;
use sqlx::Row;

impl Store {
    pub(crate) async fn insert_credential(&self, c: &Credential) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO credentials (id, project_id, user_id, integration, status, status_reason, \
             provider_id, config, secret, key_id, expires_at, version, lease_until, created_at, \
             refreshed_at, aad_version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0, $13, $14, $15)",
        )
        .bind(&c.id)
        .bind(&c.project_id)
        .bind(&c.user_id)
        .bind(&c.integration)
        .bind(c.status.as_str())
        .bind(c.status_reason.clone())
        .bind(c.provider_id.clone())
        .bind(c.config.to_string())
        .bind(self.seal_secret(c, &c.secret))
        .bind(self.cipher.key_id())
        .bind(c.expires_at)
        .bind(c.version)
        .bind(c.created_at)
        .bind(c.refreshed_at)
        .bind(AAD_BOUND)
        .execute(&self.pool)
        .await?;
        self.changed(&c.project_id, &c.user_id).await;
        Ok(())
    }

    /// The integrations the project's credentials are stored under, with how many each.
    pub(crate) async fn integrations_in_use(
        &self,
        project: &str,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT integration, COUNT(*) AS n FROM credentials WHERE project_id = $1 \
             GROUP BY integration ORDER BY integration",
        )
        .bind(project)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("integration")?, row.try_get("n")?)))
            .collect()
    }

    /// The user's credentials, oldest first, optionally for one integration.
    pub(crate) async fn list_credentials(
        &self,
        project: &str,
        user: &str,
        integration: Option<&str>,
    ) -> Result<Vec<Credential>, StoreError> {
        let rows = match integration {
            Some(integration) => {
                sqlx::query(
                    "SELECT * FROM credentials WHERE project_id = $1 AND user_id = $2 \
                     AND integration = $3 ORDER BY created_at, id",
                )
                .bind(project)
                .bind(user)
                .bind(integration)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(
                    "SELECT * FROM credentials WHERE project_id = $1 AND user_id = $2 \
                     ORDER BY created_at, id",
                )
                .bind(project)
                .bind(user)
                .fetch_all(&self.pool)
                .await?
            }
        };
        rows.iter().map(|r| self.credential_from_row(r)).collect()
    }

    pub(crate) async fn get_credential(
        &self,
        project: &str,
        user: &str,
        id: &str,
    ) -> Result<Option<Credential>, StoreError> {
        let row = sqlx::query(
            "SELECT * FROM credentials WHERE project_id = $1 AND user_id = $2 AND id = $3",
        )
        .bind(project)
        .bind(user)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref()
            .map(|r| self.credential_from_row(r))
            .transpose()
    }

    /// Replaces the secret if nobody wrote it since `expected_version` was read; returns
    /// whether this write won. Committed before it returns, so a rotated refresh token is
    /// durable before the new access token is used.
    pub(crate) async fn swap_secret(
        &self,
        c: &Credential,
        expected_version: i64,
        secret: &Secret,
        expires_at: Option<i64>,
    ) -> Result<bool, StoreError> {
        self.swap(c, expected_version, secret, expires_at, None)
            .await
    }

    /// [`swap_secret`](Self::swap_secret) for a reconnect: the account may be another one at
    /// the provider, so its id (`providerId`) is replaced too, in the same write.
    pub(crate) async fn swap_secret_reconnected(
        &self,
        c: &Credential,
        expected_version: i64,
        secret: &Secret,
        expires_at: Option<i64>,
        provider_id: Option<&str>,
    ) -> Result<bool, StoreError> {
        self.swap(c, expected_version, secret, expires_at, Some(provider_id))
            .await
    }

    /// The write of both swaps; `provider_id`: `Some` replaces the stored id.
    async fn swap(
        &self,
        c: &Credential,
        expected_version: i64,
        secret: &Secret,
        expires_at: Option<i64>,
        provider_id: Option<Option<&str>>,
    ) -> Result<bool, StoreError> {
        let now = now_ms();
        let sql = if provider_id.is_some() {
            "UPDATE credentials SET secret = $1, key_id = $2, expires_at = $3, aad_version = $9, \
             version = version + 1, status = 'VALID', status_reason = NULL, refreshed_at = $4, \
             lease_until = 0, provider_id = $10 WHERE id = $5 AND project_id = $6 \
             AND user_id = $7 AND version = $8"
        } else {
            "UPDATE credentials SET secret = $1, key_id = $2, expires_at = $3, aad_version = $9, \
             version = version + 1, status = 'VALID', status_reason = NULL, refreshed_at = $4, \
             lease_until = 0 WHERE id = $5 AND project_id = $6 AND user_id = $7 AND version = $8"
        };
        let mut query = sqlx::query(sql)
            .bind(self.seal_secret(c, secret))
            .bind(self.cipher.key_id())
            .bind(expires_at)
            .bind(now)
            .bind(&c.id)
            .bind(&c.project_id)
            .bind(&c.user_id)
            .bind(expected_version)
            .bind(AAD_BOUND);
        if let Some(id) = provider_id {
            query = query.bind(id.map(str::to_owned));
        }
        let done = query.execute(&self.pool).await?;
        self.changed(&c.project_id, &c.user_id).await;
        Ok(done.rows_affected() == 1)
    }

    /// Marks a credential INVALID with the reason, unless it changed since `expected_version`.
    pub(crate) async fn mark_invalid(
        &self,
        c: &Credential,
        expected_version: i64,
        reason: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE credentials SET status = 'INVALID', status_reason = $1, lease_until = 0, \
             version = version + 1 WHERE id = $2 AND project_id = $3 AND user_id = $4 \
             AND version = $5",
        )
        .bind(reason)
        .bind(&c.id)
        .bind(&c.project_id)
        .bind(&c.user_id)
        .bind(expected_version)
        .execute(&self.pool)
        .await?;
        self.changed(&c.project_id, &c.user_id).await;
        Ok(done.rows_affected() == 1)
    }

    /// Takes the cross-replica refresh lease on a credential until `until` (ms) if it is free.
    pub(crate) async fn try_lease(&self, id: &str, until: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE credentials SET lease_until = $1 WHERE id = $2 AND lease_until < $3",
        )
        .bind(until)
        .bind(id)
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub(crate) async fn release_lease(&self, id: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE credentials SET lease_until = 0 WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub(crate) async fn update_config(
        &self,
        project: &str,
        user: &str,
        id: &str,
        config: &Value,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE credentials SET config = $1 WHERE project_id = $2 AND user_id = $3 AND id = $4",
        )
        .bind(config.to_string())
        .bind(project)
        .bind(user)
        .bind(id)
        .execute(&self.pool)
        .await?;
        self.changed(project, user).await;
        Ok(done.rows_affected() == 1)
    }

    pub(crate) async fn delete_credential(
        &self,
        project: &str,
        user: &str,
        id: &str,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "DELETE FROM configurations WHERE credential_id = $1 AND project_id = $2 AND user_id = $3",
        )
        .bind(id)
        .bind(project)
        .bind(user)
        .execute(&mut *tx)
        .await?;
        let done = sqlx::query(
            "DELETE FROM credentials WHERE project_id = $1 AND user_id = $2 AND id = $3",
        )
        .bind(project)
        .bind(user)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.changed(project, user).await;
        Ok(done.rows_affected() == 1)
    }
}
