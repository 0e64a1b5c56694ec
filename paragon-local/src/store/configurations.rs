//! Configurations attached to credentials.

use super::model::Configuration;
use super::{Store, StoreError};
use serde_json::Value;
use sqlx::Row;

impl Store {
    pub(crate) async fn configurations(
        &self,
        project: &str,
        user: &str,
        credential_id: &str,
    ) -> Result<Vec<Configuration>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM configurations WHERE project_id = $1 AND user_id = $2 \
             AND credential_id = $3 ORDER BY created_at, id",
        )
        .bind(project)
        .bind(user)
        .bind(credential_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let meta: String = r.try_get("meta")?;
                Ok(Configuration {
                    id: r.try_get("id")?,
                    credential_id: r.try_get("credential_id")?,
                    external_id: r.try_get("external_id")?,
                    meta: serde_json::from_str(&meta).unwrap_or(Value::Null),
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    pub(crate) async fn insert_configuration(
        &self,
        project: &str,
        user: &str,
        c: &Configuration,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO configurations (id, credential_id, project_id, user_id, external_id, \
             meta, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&c.id)
        .bind(&c.credential_id)
        .bind(project)
        .bind(user)
        .bind(c.external_id.clone())
        .bind(c.meta.to_string())
        .bind(c.created_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub(crate) async fn update_configuration(
        &self,
        project: &str,
        user: &str,
        credential_id: &str,
        id: &str,
        meta: &Value,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE configurations SET meta = $1 WHERE project_id = $2 AND user_id = $3 \
             AND credential_id = $4 AND id = $5",
        )
        .bind(meta.to_string())
        .bind(project)
        .bind(user)
        .bind(credential_id)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub(crate) async fn delete_configuration(
        &self,
        project: &str,
        user: &str,
        credential_id: &str,
        id: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "DELETE FROM configurations WHERE project_id = $1 AND user_id = $2 \
             AND credential_id = $3 AND id = $4",
        )
        .bind(project)
        .bind(user)
        .bind(credential_id)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
