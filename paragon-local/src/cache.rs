//! Each user's credentials kept in memory for the proxy's hot path, and (on PostgreSQL) kept
//! in step across replicas with `LISTEN`/`NOTIFY`.
//!
//! A write through this process invalidates the user's entry at once. A write through another
//! replica is announced on [`CHANNEL`] after it commits; every replica listens and drops the
//! entry. Notifications are not durable (a replica that loses its listening connection misses
//! them), so a lost connection clears the whole cache, and the time-to-live bounds what is
//! left: a notification sent by a replica that died between its commit and its `NOTIFY`.

use crate::store::Credential;
use sqlx::postgres::PgListener;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

/// The PostgreSQL channel credential writes are announced on; the payload is
/// `["<project id>", "<user id>"]`.
pub(crate) const CHANNEL: &str = "paragon_local_credentials";

const MAX_USERS: usize = 10_000;

type Key = (String, String);
type Entries = HashMap<Key, (Instant, Arc<Vec<Credential>>)>;

/// Users' credential lists until `ttl` after they were read.
pub(crate) struct CredentialCache {
    map: Mutex<Entries>,
    /// Bumped by every invalidation, so a read racing a write is not cached.
    generation: AtomicU64,
    ttl: Duration,
}

impl CredentialCache {
    pub(crate) fn new(ttl: Duration) -> Self {
        Self {
            map: Mutex::default(),
            generation: AtomicU64::new(0),
            ttl,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The user's credentials, if read less than the time-to-live ago.
    pub(crate) fn get(&self, project: &str, user: &str) -> Option<Arc<Vec<Credential>>> {
        let key = (project.to_string(), user.to_string());
        let map = self.lock();
        map.get(&key)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, list)| list.clone())
    }

    /// The current generation: take it before reading the store, hand it to [`Self::put`].
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Keeps `list`, read at `read_at`, unless an invalidation happened since `generation`.
    pub(crate) fn put(
        &self,
        project: &str,
        user: &str,
        read_at: Instant,
        generation: u64,
        list: Arc<Vec<Credential>>,
    ) {
        if self.ttl.is_zero() {
            return;
        }
        let mut map = self.lock();
        if generation != self.generation() {
            return;
        }
        if map.len() >= MAX_USERS {
            map.retain(|_, (at, _)| at.elapsed() < self.ttl);
            if map.len() >= MAX_USERS {
                map.clear();
            }
        }
        map.insert((project.to_string(), user.to_string()), (read_at, list));
    }

    /// Forgets one user's credentials.
    pub(crate) fn invalidate(&self, project: &str, user: &str) {
        let mut map = self.lock();
        self.generation.fetch_add(1, Ordering::SeqCst);
        map.remove(&(project.to_string(), user.to_string()));
    }

    /// Forgets everything (notifications may have been missed).
    pub(crate) fn clear(&self) {
        let mut map = self.lock();
        self.generation.fetch_add(1, Ordering::SeqCst);
        map.clear();
    }
}

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
    cache: Weak<CredentialCache>,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_racing_an_invalidation_is_not_kept() {
        let cache = CredentialCache::new(Duration::from_secs(60));
        let generation = cache.generation();
        cache.invalidate("p", "alice");
        cache.put("p", "alice", Instant::now(), generation, Arc::default());
        assert!(cache.get("p", "alice").is_none());
        cache.put(
            "p",
            "alice",
            Instant::now(),
            cache.generation(),
            Arc::default(),
        );
        assert!(cache.get("p", "alice").is_some());
        cache.clear();
        assert!(cache.get("p", "alice").is_none());
    }

    #[test]
    fn entries_expire_and_a_zero_ttl_keeps_nothing() {
        let cache = CredentialCache::new(Duration::from_secs(1));
        let old = Instant::now() - Duration::from_secs(2);
        cache.put("p", "alice", old, cache.generation(), Arc::default());
        assert!(cache.get("p", "alice").is_none());
        let off = CredentialCache::new(Duration::ZERO);
        off.put(
            "p",
            "alice",
            Instant::now(),
            off.generation(),
            Arc::default(),
        );
        assert!(off.get("p", "alice").is_none());
    }

    #[test]
    fn the_payload_names_project_and_user() {
        let (p, u): (String, String) = serde_json::from_str(&payload("p\"1", "a,b")).unwrap();
        assert_eq!((p.as_str(), u.as_str()), ("p\"1", "a,b"));
    }
}
