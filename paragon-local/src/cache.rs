//! Each user's credentials kept in memory for the proxy's hot path, and (on PostgreSQL) kept
//! in step across replicas with `LISTEN`/`NOTIFY`.
//!
//! A write through this process invalidates the user's entry at once. A write through another
//! replica is announced on `crate::store`'s notification channel after it commits; every replica listens and drops the
//! entry. Notifications are not durable (a replica that loses its listening connection misses
//! them), so a lost connection clears the whole cache, and the time-to-live bounds what is
//! left: a notification sent by a replica that died between its commit and its `NOTIFY`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Users kept at most; past that the cache starts over.
const MAX_USERS: usize = 10_000;

type Key = (String, String);
type Entries<T> = HashMap<Key, (Instant, Arc<Vec<T>>)>;

/// Users' credential lists until `ttl` after they were read.
pub(crate) struct CredentialCache<T> {
    map: Mutex<Entries<T>>,
    /// Bumped by every invalidation, so a read racing a write is not cached.
    generation: AtomicU64,
    ttl: Duration,
}

impl<T> CredentialCache<T> {
    pub(crate) fn new(ttl: Duration) -> Self {
        Self {
            map: Mutex::default(),
            generation: AtomicU64::new(0),
            ttl,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries<T>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The user's credentials, if read less than the time-to-live ago.
    pub(crate) fn get(&self, project: &str, user: &str) -> Option<Arc<Vec<T>>> {
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
        list: Arc<Vec<T>>,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_racing_an_invalidation_is_not_kept() {
        let cache = CredentialCache::<()>::new(Duration::from_secs(60));
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
        let cache = CredentialCache::<()>::new(Duration::from_secs(1));
        let old = Instant::now() - Duration::from_secs(2);
        cache.put("p", "alice", old, cache.generation(), Arc::default());
        assert!(cache.get("p", "alice").is_none());
        let off = CredentialCache::<()>::new(Duration::ZERO);
        off.put(
            "p",
            "alice",
            Instant::now(),
            off.generation(),
            Arc::default(),
        );
        assert!(off.get("p", "alice").is_none());
    }
}
