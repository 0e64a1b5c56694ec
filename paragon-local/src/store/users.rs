//! Per-user metadata.

use super::{Store, StoreError, now_ms};
use serde_json::Value;
use sqlx::Row;

impl Store {
    pub(crate) async fn user_meta(&self, project: &str, user: &str) -> Result<Value, StoreError> {
        let row = sqlx::query("SELECT meta FROM users WHERE project_id = $1 AND user_id = $2")
            .bind(project)
            .bind(user)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(row) => {
                let meta: String = row.try_get("meta")?;
                serde_json::from_str(&meta).unwrap_or(Value::Object(Default::default()))
            }
            None => Value::Object(Default::default()),
        })
    }

    /// Merges `meta` into the user's metadata (keys set to `null` are removed).
    pub(crate) async fn merge_user_meta(
        &self,
        project: &str,
        user: &str,
        meta: &serde_json::Map<String, Value>,
    ) -> Result<Value, StoreError> {
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query("SELECT meta FROM users WHERE project_id = $1 AND user_id = $2")
            .bind(project)
            .bind(user)
            .fetch_optional(&mut *tx)
            .await?;
        let mut current = match &row {
            Some(row) => {
                let s: String = row.try_get("meta")?;
                serde_json::from_str::<serde_json::Map<String, Value>>(&s).unwrap_or_default()
            }
            None => Default::default(),
        };
        for (k, v) in meta {
            if v.is_null() {
                current.remove(k);
            } else {
                current.insert(k.clone(), v.clone());
            }
        }
        let text = Value::Object(current.clone()).to_string();
        if row.is_some() {
            sqlx::query("UPDATE users SET meta = $1 WHERE project_id = $2 AND user_id = $3")
                .bind(text)
                .bind(project)
                .bind(user)
                .execute(&mut *tx)
                .await?;
        } else {
            sqlx::query(
                "INSERT INTO users (project_id, user_id, meta, created_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(project)
            .bind(user)
            .bind(text)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(Value::Object(current))
    }
}
