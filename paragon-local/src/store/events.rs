//! Events and workflow state.

use super::{Store, StoreError, now_ms};
use serde_json::Value;

/// Inserts an app event on `conn`, inside the caller's transaction: the workflow engine
/// records the event and the runs it starts in one commit (`crate::workflows`).
pub(crate) async fn insert_event(
    conn: &mut sqlx::AnyConnection,
    id: &str,
    project: &str,
    user: &str,
    name: &str,
    payload: &Value,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO events (id, project_id, user_id, name, payload, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(project)
    .bind(user)
    .bind(name)
    .bind(payload.to_string())
    .bind(now_ms())
    .execute(conn)
    .await?;
    Ok(())
}

impl Store {
    pub(crate) async fn set_workflow(
        &self,
        project: &str,
        user: &str,
        workflow: &str,
        enabled: bool,
    ) -> Result<(), StoreError> {
        // One atomic upsert: a delete-then-insert pair raced on PostgreSQL (both deletes
        // found nothing, the second insert failed on the primary key).
        sqlx::query(
            "INSERT INTO workflow_states (project_id, user_id, workflow_id, enabled) \
             VALUES ($1, $2, $3, $4) \
             ON CONFLICT (project_id, user_id, workflow_id) DO UPDATE SET enabled = excluded.enabled",
        )
        .bind(project)
        .bind(user)
        .bind(workflow)
        .bind(i64::from(enabled))
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
