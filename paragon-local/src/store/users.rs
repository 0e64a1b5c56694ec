//! Per-user metadata.

use super::{Backend, Store, StoreError, now_ms};
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
        // Read-modify-write without lost updates: the insert makes the row exist and (on
        // SQLite) takes the write lock; on PostgreSQL `FOR UPDATE` holds the row until commit,
        // so a concurrent merge waits and then reads this one's result.
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO users (project_id, user_id, meta, created_at) VALUES ($1, $2, '{}', $3) \
             ON CONFLICT (project_id, user_id) DO NOTHING",
        )
        .bind(project)
        .bind(user)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        let select = match self.backend {
            Backend::Postgres => {
                "SELECT meta FROM users WHERE project_id = $1 AND user_id = $2 FOR UPDATE"
            }
            Backend::Sqlite => "SELECT meta FROM users WHERE project_id = $1 AND user_id = $2",
        };
        let row = sqlx::query(select)
            .bind(project)
            .bind(user)
            .fetch_one(&mut *tx)
            .await?;
        let s: String = row.try_get("meta")?;
        let mut current =
            serde_json::from_str::<serde_json::Map<String, Value>>(&s).unwrap_or_default();
        for (k, v) in meta {
            if v.is_null() {
                current.remove(k);
            } else {
                current.insert(k.clone(), v.clone());
            }
        }
        let text = Value::Object(current.clone()).to_string();
        sqlx::query("UPDATE users SET meta = $1 WHERE project_id = $2 AND user_id = $3")
            .bind(text)
            .bind(project)
            .bind(user)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Value::Object(current))
    }
}
