//! The credential store: one schema over SQLite (default, a file) or PostgreSQL (replicas),
//! through `sqlx`'s `Any` driver so every query is written once.
//!
//! Every query about a user's data is scoped by `(project_id, user_id)` taken from a verified
//! user token, so one user can never read or change another's rows. Secrets (tokens, API keys,
//! client secrets, PKCE verifiers) are encrypted with [`Cipher`] before they reach the database;
//! metadata used to list credentials stays in the clear.

mod configurations;
mod credentials;
mod events;
mod model;
mod notify;
mod oauth_states;
mod portal_codes;
mod rekey;
mod sdk_sessions;
mod users;

pub(crate) use events::insert_event;
pub(crate) use model::{Configuration, Credential, PendingOAuth, Secret, Status};
pub(crate) use portal_codes::{PortalCode, Redeemed};
pub use rekey::{RekeyReport, rekey};

use crate::cache::CredentialCache;
use crate::crypto::{Cipher, CryptoError};
use notify::Listener;
use serde_json::Value;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{AnyPool, Row, SqlSafeStr};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database URL is not one this server understands.
    #[error("unsupported database URL (expected a SQLite file path, sqlite:… or postgres://…)")]
    UnsupportedUrl,
    /// The SQLite database file could not be created.
    #[error("cannot create the database file {path}: {source}")]
    Create {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The database answered with an error.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// Migrating the schema failed.
    #[error("schema migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored secret could not be decrypted.
    #[error("credential {id}: {source}")]
    Crypto {
        /// The row whose secret failed.
        id: String,
        /// What went wrong.
        source: CryptoError,
    },
    /// A stored value is not what this version wrote.
    #[error("corrupt row {id}: {message}")]
    Corrupt {
        /// The row.
        id: String,
        /// What is wrong.
        message: String,
    },
}

/// Which database a store is backed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// The `aad_version` of secrets bound to their project, user, integration and id. Version 1
/// (rows written before it) is bound to the id only; `rekey` moves such rows up.
pub(super) const AAD_BOUND: i64 = 2;

/// The associated data a credential's secret is sealed with, for the row's `aad_version`.
/// A JSON array, so no choice of ids can make two different owners encode the same.
pub(super) fn credential_aad(
    version: i64,
    project: &str,
    user: &str,
    integration: &str,
    id: &str,
) -> String {
    if version >= AAD_BOUND {
        serde_json::json!(["credential", project, user, integration, id]).to_string()
    } else {
        id.to_string()
    }
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A new random id (UUID v4 text).
pub(crate) fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// How long the proxy reuses a user's credentials read from the store, by default. Writes
/// invalidate them at once, on every replica (see [`crate::cache`]); this bounds what a lost
/// notification can leave behind. A token refreshed elsewhere is picked up at once on a
/// provider 401 anyway, since refreshes always re-read the store.
pub(crate) const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(1);

/// The credential store.
#[derive(Clone)]
pub(crate) struct Store {
    pool: AnyPool,
    cipher: Cipher,
    backend: Backend,
    /// Each user's credentials for the hot proxy path (a store read per proxied request
    /// costs more than the rest of the proxy's own work).
    cache: Arc<CredentialCache<Credential>>,
    /// On PostgreSQL: other replicas' writes invalidate `cache` (dropped with the last clone).
    _listener: Option<Arc<Listener>>,
}

fn migrator(backend: Backend) -> Migrator {
    let sql: [(&str, &str); 6] = match backend {
        Backend::Sqlite => [
            (
                "init",
                include_str!("../../migrations/sqlite/0001_init.sql"),
            ),
            (
                "oauth states expiry",
                include_str!("../../migrations/sqlite/0002_oauth_states_expiry.sql"),
            ),
            (
                "credential binding",
                include_str!("../../migrations/sqlite/0003_credential_binding.sql"),
            ),
            (
                "workflows",
                include_str!("../../migrations/sqlite/0004_workflows.sql"),
            ),
            (
                "portal codes",
                include_str!("../../migrations/sqlite/0005_portal_codes.sql"),
            ),
            (
                "sdk oauth sessions",
                include_str!("../../migrations/sqlite/0006_sdk_oauth_sessions.sql"),
            ),
        ],
        Backend::Postgres => [
            (
                "init",
                include_str!("../../migrations/postgres/0001_init.sql"),
            ),
            (
                "oauth states expiry",
                include_str!("../../migrations/postgres/0002_oauth_states_expiry.sql"),
            ),
            (
                "credential binding",
                include_str!("../../migrations/postgres/0003_credential_binding.sql"),
            ),
            (
                "workflows",
                include_str!("../../migrations/postgres/0004_workflows.sql"),
            ),
            (
                "portal codes",
                include_str!("../../migrations/postgres/0005_portal_codes.sql"),
            ),
            (
                "sdk oauth sessions",
                include_str!("../../migrations/postgres/0006_sdk_oauth_sessions.sql"),
            ),
        ],
    };
    let migrations = (1..)
        .zip(sql)
        .map(|(version, (name, sql))| {
            Migration::new(
                version,
                name.into(),
                MigrationType::Simple,
                sql.into_sql_str(),
                false,
            )
        })
        .collect();
    Migrator::with_migrations(migrations)
}

/// Creates a SQLite database file readable and writable by its owner only (0600) before
/// SQLite opens it, which would create it 0644 under the usual umask. SQLite gives its
/// `-wal` and `-shm` files the database file's permissions. An existing file is left as is.
fn create_private(url: &str) -> Result<(), StoreError> {
    let Some(rest) = url.strip_prefix("sqlite://") else {
        return Ok(());
    };
    let encoded = rest.split_once('?').map_or(rest, |(path, _)| path);
    let path = percent_encoding::percent_decode_str(encoded).decode_utf8_lossy();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(&*path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(StoreError::Create {
            path: path.into_owned(),
            source: e,
        }),
    }
}

/// Turns the configured database location into a URL the `Any` driver accepts.
pub(crate) fn database_url(location: &str) -> Result<(String, Backend), StoreError> {
    if location.starts_with("postgres://") || location.starts_with("postgresql://") {
        return Ok((location.to_string(), Backend::Postgres));
    }
    if matches!(
        location,
        "sqlite::memory:" | ":memory:" | "sqlite://:memory:"
    ) {
        return Ok(("sqlite::memory:".to_string(), Backend::Sqlite));
    }
    if let Some(rest) = location.strip_prefix("sqlite:") {
        let rest = rest.trim_start_matches("//");
        let (path, params) = rest.split_once('?').unwrap_or((rest, ""));
        let params = if params.is_empty() {
            "mode=rwc".to_string()
        } else {
            params.to_string()
        };
        return Ok((format!("sqlite://{path}?{params}"), Backend::Sqlite));
    }
    if location.contains("://") {
        return Err(StoreError::UnsupportedUrl);
    }
    // A plain file path: percent-encode what the URL syntax would misread.
    let encoded: String = location
        .chars()
        .map(|c| match c {
            '%' | '?' | '#' | ' ' => format!("%{:02X}", c as u32),
            c => c.to_string(),
        })
        .collect();
    Ok((format!("sqlite://{encoded}?mode=rwc"), Backend::Sqlite))
}

impl Store {
    /// Opens (creating a SQLite file if needed) and migrates the store.
    pub(crate) async fn open(
        location: &str,
        cipher: Cipher,
        cache_ttl: Duration,
    ) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let (url, backend) = database_url(location)?;
        let memory = url == "sqlite::memory:";
        if backend == Backend::Sqlite && !memory {
            create_private(&url)?;
        }
        let mut options = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(10));
        options = match backend {
            // Each connection to `:memory:` is its own database: keep exactly one, forever.
            Backend::Sqlite if memory => options
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None),
            Backend::Sqlite => options.max_connections(8).after_connect(|conn, _| {
                Box::pin(async move {
                    // Durable on commit, even across a power cut (WAL + FULL).
                    sqlx::query("PRAGMA synchronous = FULL")
                        .execute(conn)
                        .await?;
                    Ok(())
                })
            }),
            Backend::Postgres => options.max_connections(16),
        };
        let pool = options.connect(&url).await?;
        if backend == Backend::Sqlite {
            // WAL: readers never wait for the writer; synchronous stays FULL (SQLite's default)
            // so a committed credential survives a killed process or a power cut.
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&pool)
                .await?;
        }
        migrator(backend).run(&pool).await?;
        let cache = Arc::new(CredentialCache::new(cache_ttl));
        // A cache that keeps nothing has nothing for other replicas' writes to invalidate.
        let listener = match backend {
            Backend::Postgres if !cache_ttl.is_zero() => Some(Arc::new(
                notify::listen(&url, Arc::downgrade(&cache)).await?,
            )),
            Backend::Postgres | Backend::Sqlite => None,
        };
        Ok(Store {
            pool,
            cipher,
            backend,
            cache,
            _listener: listener,
        })
    }

    /// The connection pool, for the workflow engine's own tables (`crate::workflows::store`).
    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The user's credentials, from the cache when read recently enough.
    pub(crate) async fn cached_credentials(
        &self,
        project: &str,
        user: &str,
    ) -> Result<Arc<Vec<Credential>>, StoreError> {
        if let Some(list) = self.cache.get(project, user) {
            return Ok(list);
        }
        let generation = self.cache.generation();
        let read_at = Instant::now();
        let list = Arc::new(self.list_credentials(project, user, None).await?);
        self.cache
            .put(project, user, read_at, generation, list.clone());
        Ok(list)
    }

    pub(crate) fn backend(&self) -> Backend {
        self.backend
    }

    /// Seals `secret` for the credential `c`, bound to its project, user, integration and id
    /// ([`AAD_BOUND`]): a row moved to another user or integration no longer opens.
    pub(super) fn seal_secret(&self, c: &Credential, secret: &Secret) -> Vec<u8> {
        let json = serde_json::to_vec(secret).unwrap_or_default();
        let aad = credential_aad(AAD_BOUND, &c.project_id, &c.user_id, &c.integration, &c.id);
        self.cipher.seal(&aad, &json)
    }

    pub(super) fn credential_from_row(&self, row: &AnyRow) -> Result<Credential, StoreError> {
        let id: String = row.try_get("id")?;
        let key_id: String = row.try_get("key_id")?;
        let sealed: Vec<u8> = row.try_get("secret")?;
        let project_id: String = row.try_get("project_id")?;
        let user_id: String = row.try_get("user_id")?;
        let integration: String = row.try_get("integration")?;
        let aad_version: i64 = row.try_get("aad_version")?;
        let aad = credential_aad(aad_version, &project_id, &user_id, &integration, &id);
        let plain =
            self.cipher
                .open(&key_id, &aad, &sealed)
                .map_err(|source| StoreError::Crypto {
                    id: id.clone(),
                    source,
                })?;
        let secret: Secret = serde_json::from_slice(&plain).map_err(|e| StoreError::Corrupt {
            id: id.clone(),
            message: e.to_string(),
        })?;
        let config: String = row.try_get("config")?;
        let status: String = row.try_get("status")?;
        Ok(Credential {
            project_id,
            user_id,
            integration,
            status: Status::parse(&status),
            status_reason: row.try_get("status_reason")?,
            provider_id: row.try_get("provider_id")?,
            config: serde_json::from_str(&config).unwrap_or(Value::Object(Default::default())),
            secret,
            expires_at: row.try_get("expires_at")?,
            version: row.try_get("version")?,
            created_at: row.try_get("created_at")?,
            refreshed_at: row.try_get("refreshed_at")?,
            id,
        })
    }

    pub(crate) async fn close(&self) {
        self.pool.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::EncryptionKey;

    fn credential(project: &str, user: &str) -> Credential {
        let secret = Secret {
            access_token: Some("at-1".into()),
            refresh_token: Some("rt-1".into()),
            ..Secret::default()
        };
        Credential {
            id: new_id(),
            project_id: project.into(),
            user_id: user.into(),
            integration: "custom.tasklab".into(),
            status: Status::Valid,
            status_reason: None,
            provider_id: None,
            config: serde_json::json!({}),
            secret,
            expires_at: Some(now_ms() + 3_600_000),
            version: 1,
            created_at: now_ms(),
            refreshed_at: None,
        }
    }

    async fn exercise(location: &str) {
        let key = EncryptionKey::generate();
        let store = Store::open(location, Cipher::new(&key), DEFAULT_CACHE_TTL)
            .await
            .unwrap();
        let project = new_id();
        let c = credential(&project, "alice");
        store.insert_credential(&c).await.unwrap();
        // Scoped by user: bob cannot see alice's credential.
        assert!(
            store
                .get_credential(&project, "bob", &c.id)
                .await
                .unwrap()
                .is_none()
        );
        let got = store
            .get_credential(&project, "alice", &c.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got.secret.refresh_token.as_deref(), Some("rt-1"));
        // Compare-and-swap: the second writer with a stale version loses.
        let mut s2 = got.secret.clone();
        s2.refresh_token = Some("rt-2".into());
        assert!(store.swap_secret(&got, 1, &s2, None).await.unwrap());
        assert!(!store.swap_secret(&got, 1, &s2, None).await.unwrap());
        // Leases are exclusive until released.
        assert!(store.try_lease(&c.id, now_ms() + 10_000).await.unwrap());
        assert!(!store.try_lease(&c.id, now_ms() + 10_000).await.unwrap());
        store.release_lease(&c.id).await.unwrap();
        assert!(store.try_lease(&c.id, now_ms() + 10_000).await.unwrap());
        store.close().await;
        // Reopen: data kept; a different key is reported as such.
        let store = Store::open(location, Cipher::new(&key), DEFAULT_CACHE_TTL)
            .await
            .unwrap();
        let got = store
            .get_credential(&project, "alice", &c.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got.secret.refresh_token.as_deref(), Some("rt-2"));
        assert_eq!(got.version, 2);
        // A reconnect replaces the account id with the secret; a refresh keeps it.
        let reconnected = store
            .swap_secret_reconnected(&got, 2, &s2, None, Some("acct-2"))
            .await
            .unwrap();
        assert!(reconnected);
        let got = store
            .get_credential(&project, "alice", &c.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got.provider_id.as_deref(), Some("acct-2"));
        assert!(store.swap_secret(&got, 3, &s2, None).await.unwrap());
        let got = store
            .get_credential(&project, "alice", &c.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (got.provider_id.as_deref(), got.version),
            (Some("acct-2"), 4)
        );
        store.close().await;
        let wrong = Store::open(
            location,
            Cipher::new(&EncryptionKey::generate()),
            DEFAULT_CACHE_TTL,
        )
        .await
        .unwrap();
        let err = wrong
            .get_credential(&project, "alice", &c.id)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("key id"), "{err}");
        assert!(
            wrong
                .delete_credential(&project, "alice", &c.id)
                .await
                .unwrap()
        );
        assert!(
            wrong
                .get_credential(&project, "alice", &c.id)
                .await
                .unwrap()
                .is_none()
        );
    }

    #[tokio::test]
    async fn sqlite_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub dir?#.db");
        exercise(path.to_str().unwrap()).await;
        assert!(path.exists());
    }

    #[tokio::test]
    async fn postgres_round_trip() {
        match std::env::var("PARAGON_TEST_DATABASE_URL") {
            Ok(url) if url.starts_with("postgres") => exercise(&url).await,
            _ => {
                use std::io::Write as _;
                let _ = writeln!(
                    std::io::stderr(),
                    "SKIPPED postgres_round_trip: PARAGON_TEST_DATABASE_URL is not set"
                );
            }
        }
    }
}
