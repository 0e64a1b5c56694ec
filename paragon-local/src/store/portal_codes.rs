//! Single-use Connect Portal sign-in codes, kept by hash only (see [`crate::session`]).

use super::{Store, StoreError, now_ms};
use serde_json::{Map, Value};
use sqlx::Row;
use std::time::Duration;

/// Who a portal code signs in, and for how long the session it opens may last.
#[derive(Debug, Clone)]
pub(crate) struct PortalCode {
    pub project_id: String,
    pub user_id: String,
    pub integration: String,
    /// The permissions claim of the token that minted the code, carried into the session.
    pub permissions: Option<Map<String, Value>>,
    /// The minting token's `exp` (seconds): no session outlives the token it came from.
    pub session_exp: i64,
}

/// What redeeming a code found.
#[derive(Debug)]
pub(crate) enum Redeemed {
    /// The code was fresh; it is now used up.
    Fresh(PortalCode),
    /// The code existed but its time ran out (it is gone now too).
    Expired,
    /// No such code: never minted, already used, or swept after expiring.
    Unknown,
}

impl Store {
    /// Stores a code under its hash for `ttl`, sweeping expired ones while here.
    pub(crate) async fn put_portal_code(
        &self,
        code_hash: &str,
        code: &PortalCode,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        sqlx::query("DELETE FROM portal_codes WHERE expires_at < $1")
            .bind(now)
            .execute(&self.pool)
            .await?;
        let permissions = code
            .permissions
            .as_ref()
            .map(|p| Value::Object(p.clone()).to_string());
        sqlx::query(
            "INSERT INTO portal_codes (code_hash, project_id, user_id, integration, permissions, \
             session_exp, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(code_hash)
        .bind(&code.project_id)
        .bind(&code.user_id)
        .bind(&code.integration)
        .bind(permissions)
        .bind(code.session_exp)
        .bind(now.saturating_add(ttl.as_millis() as i64))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Removes the code with this hash in one statement, so two concurrent redemptions
    /// (even on two replicas) cannot both get it.
    pub(crate) async fn take_portal_code(&self, code_hash: &str) -> Result<Redeemed, StoreError> {
        let row = sqlx::query(
            "DELETE FROM portal_codes WHERE code_hash = $1 RETURNING project_id, user_id, \
             integration, permissions, session_exp, expires_at",
        )
        .bind(code_hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(Redeemed::Unknown);
        };
        let expires_at: i64 = row.try_get("expires_at")?;
        if expires_at < now_ms() {
            return Ok(Redeemed::Expired);
        }
        let permissions: Option<String> = row.try_get("permissions")?;
        let permissions = match permissions {
            None => None,
            Some(text) => match serde_json::from_str(&text) {
                Ok(Value::Object(map)) => Some(map),
                _ => {
                    return Err(StoreError::Corrupt {
                        id: "portal code".into(),
                        message: "its permissions are not a JSON object".into(),
                    });
                }
            },
        };
        Ok(Redeemed::Fresh(PortalCode {
            project_id: row.try_get("project_id")?,
            user_id: row.try_get("user_id")?,
            integration: row.try_get("integration")?,
            permissions,
            session_exp: row.try_get("session_exp")?,
        }))
    }
}
