//! Cross-replica cache invalidation over PostgreSQL `LISTEN`/`NOTIFY`.

use super::Credential;
use super::{Backend, Store};
use crate::cache::CredentialCache;
use sqlx::postgres::PgListener;
use std::sync::Weak;
use std::time::Duration;

/// The PostgreSQL channel credential writes are announced on; the payload is
/// `["<project id>", "<user id>"]`.
pub(crate) const CHANNEL: &str = "paragon_local_credentials";

/// The payload announcing a change to one user's credentials.
pub(crate) fn payload(project: &str, user: &str) -> String {
    serde_json::json!([project, user]).to_string()
}

/// Listens on [`CHANNEL`] and invalidates `cache` until dropped.
pub(crate) struct Listener(tokio::task::AbortHandle);

impl Drop for Listener {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Subscribes to credential changes announced by every replica sharing the database at `url`.
pub(crate) async fn listen(
    url: &str,
    cache: Weak<CredentialCache<Credential>>,
) -> Result<Listener, sqlx::Error> {
    let mut listener = PgListener::connect(url).await?;
    listener.listen(CHANNEL).await?;
    let task = tokio::spawn(async move {
        loop {
            let received = listener.try_recv().await;
            let Some(cache) = cache.upgrade() else {
                return;
            };
            match received {
                Ok(Some(n)) => match serde_json::from_str::<(String, String)>(n.payload()) {
                    Ok((project, user)) => cache.invalidate(&project, &user),
                    Err(_) => cache.clear(),
                },
                // The connection was lost and is re-made on the next call: whatever was
                // announced meanwhile is gone.
                Ok(None) => cache.clear(),
                Err(e) => {
                    cache.clear();
                    tracing::warn!(error = %e, "credential change notifications: reconnecting in 1 s");
                    drop(cache);
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    });
    Ok(Listener(task.abort_handle()))
}

impl Store {
    /// After a committed write to a user's credentials: forget them here, and tell the other
    /// replicas. A failed announcement is logged, not returned: the write itself succeeded,
    /// and the other replicas' time-to-live bounds what they keep.
    pub(super) async fn changed(&self, project: &str, user: &str) {
        self.cache.invalidate(project, user);
        if self.backend == Backend::Postgres {
            let sent = sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANNEL)
                .bind(payload(project, user))
                .execute(&self.pool)
                .await;
            if let Err(e) = sent {
                tracing::warn!(error = %e, "could not announce a credential change to other replicas");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_payload_names_project_and_user() {
        let (p, u): (String, String) = serde_json::from_str(&payload("p\"1", "a,b")).unwrap();
        assert_eq!((p.as_str(), u.as_str()), ("p\"1", "a,b"));
    }
}
