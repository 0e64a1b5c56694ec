//! The credential store: one schema over SQLite (default, a file) or PostgreSQL (replicas),
//! through `sqlx`'s `Any` driver so every query is written once.
//!
//! Every query about a user's data is scoped by `(project_id, user_id)` taken from a verified
//! user token, so one user can never read or change another's rows. Secrets (tokens, API keys,
//! client secrets, PKCE verifiers) are encrypted with [`Cipher`] before they reach the database;
//! metadata used to list credentials stays in the clear.

use crate::cache::{CredentialCache, Listener};
use crate::crypto::{Cipher, CryptoError};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{AnyPool, Row, SqlSafeStr};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database URL is not one this server understands.
    #[error("unsupported database URL (expected a SQLite file path, sqlite:… or postgres://…)")]
    UnsupportedUrl,
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

/// What re-encrypting the store under the current key did: see [`crate::rekey`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RekeyReport {
    /// Secrets this run re-encrypted from a previous key to the current key.
    pub reencrypted: u64,
    /// Secrets left under a key that no configured key matches, by key id: they cannot be
    /// read until that key is configured (current or previous).
    pub unknown_keys: BTreeMap<String, u64>,
    /// Secrets under a configured key that failed authentication (corrupted rows).
    pub corrupt: u64,
    /// Secrets still under a previous key when the run ended: written meanwhile by a server
    /// that still uses that key as its current key. Run again once every server has the new
    /// key.
    pub remaining_previous: u64,
}

impl RekeyReport {
    /// Secrets under keys that no configured key matches.
    pub fn unknown(&self) -> u64 {
        self.unknown_keys.values().sum()
    }

    /// Whether every stored secret is now under the current key, so previous keys can go.
    pub fn is_complete(&self) -> bool {
        self.unknown() == 0 && self.corrupt == 0 && self.remaining_previous == 0
    }
}

impl fmt::Display for RekeyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "re-encrypted {} secret(s) under the current key; {} remain under unknown keys",
            self.reencrypted,
            self.unknown()
        )?;
        if !self.unknown_keys.is_empty() {
            let ids: Vec<String> = self
                .unknown_keys
                .iter()
                .map(|(id, n)| format!("{id} ({n})"))
                .collect();
            write!(f, " (key ids {})", ids.join(", "))?;
        }
        if self.corrupt > 0 {
            write!(f, "; {} failed authentication (corrupt)", self.corrupt)?;
        }
        if self.remaining_previous > 0 {
            write!(
                f,
                "; {} are still under a previous key (written meanwhile by a server still \
                 using it as its current key: run again)",
                self.remaining_previous
            )?;
        }
        Ok(())
    }
}

/// A table holding encrypted values, and the queries that rotate its key. The row's own key
/// (`id` / `state`) is the associated data its value is sealed with.
struct Sealed {
    what: &'static str,
    /// Whether row ids may be logged (a credential id may; an OAuth state is a secret).
    loggable_ids: bool,
    /// `$1` current key id, `$2` last id seen, `$3` batch size.
    select: &'static str,
    /// Compare-and-swap: `$1` new value, `$2` current key id, `$3` id, `$4` old key id,
    /// `$5` old value.
    update: &'static str,
    /// `$1` current key id.
    count: &'static str,
}

const SEALED: [Sealed; 2] = [
    Sealed {
        what: "credential",
        loggable_ids: true,
        select: "SELECT id AS row_id, key_id, secret FROM credentials \
                 WHERE key_id <> $1 AND id > $2 ORDER BY id LIMIT $3",
        update: "UPDATE credentials SET secret = $1, key_id = $2 \
                 WHERE id = $3 AND key_id = $4 AND secret = $5",
        count: "SELECT key_id, COUNT(*) AS n FROM credentials WHERE key_id <> $1 GROUP BY key_id",
    },
    Sealed {
        what: "oauth state",
        loggable_ids: false,
        select: "SELECT state AS row_id, key_id, secret FROM oauth_states \
                 WHERE key_id <> $1 AND state > $2 ORDER BY state LIMIT $3",
        update: "UPDATE oauth_states SET secret = $1, key_id = $2 \
                 WHERE state = $3 AND key_id = $4 AND secret = $5",
        count: "SELECT key_id, COUNT(*) AS n FROM oauth_states WHERE key_id <> $1 GROUP BY key_id",
    },
];

/// Rows read per re-encryption batch.
const REKEY_BATCH: i64 = 100;

/// Re-encrypts every secret in the store at `database_url` that is under one of `previous`
/// with `current`: what `paragon-local rekey` runs. Safe while servers use the store (each row
/// is swapped atomically, a concurrent write wins) and safe to stop at any moment (run it
/// again to finish). The store is migrated first if needed, as a starting server would.
///
/// Check [`RekeyReport::is_complete`] before dropping the previous keys.
///
/// ```no_run
/// use paragon_local::EncryptionKey;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let current = EncryptionKey::parse(&std::env::var("NEW_KEY")?)?;
/// let old = EncryptionKey::parse(&std::env::var("OLD_KEY")?)?;
/// let report = paragon_local::rekey("paragon-local.db", &current, &[old]).await?;
/// println!("{report}");
/// assert!(report.is_complete());
/// # Ok(())
/// # }
/// ```
pub async fn rekey(
    database_url: &str,
    current: &crate::EncryptionKey,
    previous: &[crate::EncryptionKey],
) -> Result<RekeyReport, StoreError> {
    let cipher = Cipher::with_previous(current, previous);
    // Re-encryption keeps every plaintext, so no replica's credential cache goes stale, and
    // this short-lived store caches nothing (so it needs no change notifications either).
    let store = Store::open(database_url, cipher, Duration::ZERO).await?;
    let report = store.rekey().await;
    store.close().await;
    report
}

/// The state of a credential, as the Connect API reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Valid,
    Invalid,
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Valid => "VALID",
            Status::Invalid => "INVALID",
        }
    }
    fn parse(s: &str) -> Status {
        if s == "VALID" {
            Status::Valid
        } else {
            Status::Invalid
        }
    }
}

/// The encrypted part of a credential. `Debug` shows field names only.
#[derive(Clone, Default, Serialize, Deserialize)]
pub(crate) struct Secret {
    /// The user's input fields (API keys, subdomains, client id/secret for client credentials).
    #[serde(default)]
    pub inputs: BTreeMap<String, String>,
    #[serde(default)]
    pub access_token: Option<String>,
    #[serde(default)]
    pub refresh_token: Option<String>,
    /// Values captured from the token response (`{credential.<name>}`).
    #[serde(default)]
    pub captured: BTreeMap<String, String>,
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secret")
            .field("inputs", &self.inputs.keys().collect::<Vec<_>>())
            .field(
                "access_token",
                &self.access_token.as_ref().map(|_| "<redacted>"),
            )
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "<redacted>"),
            )
            .field("captured", &self.captured.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// One connected account of a user.
#[derive(Debug, Clone)]
pub(crate) struct Credential {
    pub id: String,
    pub project_id: String,
    pub user_id: String,
    pub integration: String,
    pub status: Status,
    pub status_reason: Option<String>,
    pub provider_id: Option<String>,
    pub config: Value,
    pub secret: Secret,
    /// When the access token expires (ms), if known.
    pub expires_at: Option<i64>,
    /// Bumped on every write of the secret: the compare-and-swap token for refreshes.
    pub version: i64,
    pub created_at: i64,
    pub refreshed_at: Option<i64>,
}

/// A configuration attached to a credential.
#[derive(Debug, Clone)]
pub(crate) struct Configuration {
    pub id: String,
    pub credential_id: String,
    pub external_id: Option<String>,
    pub meta: Value,
    pub created_at: i64,
}

/// A pending OAuth authorization: what the callback needs to finish it.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct PendingOAuth {
    pub project_id: String,
    pub user_id: String,
    pub integration: String,
    pub pkce_verifier: Option<String>,
    pub inputs: BTreeMap<String, String>,
    pub redirect_url: Option<String>,
    pub redirect_uri: String,
}

impl fmt::Debug for PendingOAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingOAuth")
            .field("user_id", &self.user_id)
            .field("integration", &self.integration)
            .finish_non_exhaustive()
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
    cache: Arc<CredentialCache>,
    /// On PostgreSQL: other replicas' writes invalidate `cache` (dropped with the last clone).
    _listener: Option<Arc<Listener>>,
}

fn migrator(backend: Backend) -> Migrator {
    let (init, workflows) = match backend {
        Backend::Sqlite => (
            include_str!("../migrations/sqlite/0001_init.sql"),
            include_str!("../migrations/sqlite/0002_workflows.sql"),
        ),
        Backend::Postgres => (
            include_str!("../migrations/postgres/0001_init.sql"),
            include_str!("../migrations/postgres/0002_workflows.sql"),
        ),
    };
    let migration = |version, name: &str, sql: &'static str| {
        Migration::new(
            version,
            name.to_owned().into(),
            MigrationType::Simple,
            sql.into_sql_str(),
            false,
        )
    };
    Migrator::with_migrations(vec![
        migration(1, "init", init),
        migration(2, "workflows", workflows),
    ])
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
                crate::cache::listen(&url, Arc::downgrade(&cache)).await?,
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

    /// After a committed write to a user's credentials: forget them here, and tell the other
    /// replicas. A failed announcement is logged, not returned: the write itself succeeded,
    /// and the other replicas' time-to-live bounds what they keep.
    async fn changed(&self, project: &str, user: &str) {
        self.cache.invalidate(project, user);
        if self.backend == Backend::Postgres {
            let sent = sqlx::query("SELECT pg_notify($1, $2)")
                .bind(crate::cache::CHANNEL)
                .bind(crate::cache::payload(project, user))
                .execute(&self.pool)
                .await;
            if let Err(e) = sent {
                tracing::warn!(error = %e, "could not announce a credential change to other replicas");
            }
        }
    }

    pub(crate) fn backend(&self) -> Backend {
        self.backend
    }

    fn seal_secret(&self, id: &str, secret: &Secret) -> Vec<u8> {
        let json = serde_json::to_vec(secret).unwrap_or_default();
        self.cipher.seal(id, &json)
    }

    fn credential_from_row(&self, row: &AnyRow) -> Result<Credential, StoreError> {
        let id: String = row.try_get("id")?;
        let key_id: String = row.try_get("key_id")?;
        let sealed: Vec<u8> = row.try_get("secret")?;
        let plain =
            self.cipher
                .open(&key_id, &id, &sealed)
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
            project_id: row.try_get("project_id")?,
            user_id: row.try_get("user_id")?,
            integration: row.try_get("integration")?,
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

    // ---- users ----

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

    // ---- credentials ----

    pub(crate) async fn insert_credential(&self, c: &Credential) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO credentials (id, project_id, user_id, integration, status, status_reason, \
             provider_id, config, secret, key_id, expires_at, version, lease_until, created_at, \
             refreshed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0, $13, $14)",
        )
        .bind(&c.id)
        .bind(&c.project_id)
        .bind(&c.user_id)
        .bind(&c.integration)
        .bind(c.status.as_str())
        .bind(c.status_reason.clone())
        .bind(c.provider_id.clone())
        .bind(c.config.to_string())
        .bind(self.seal_secret(&c.id, &c.secret))
        .bind(self.cipher.key_id())
        .bind(c.expires_at)
        .bind(c.version)
        .bind(c.created_at)
        .bind(c.refreshed_at)
        .execute(&self.pool)
        .await?;
        self.changed(&c.project_id, &c.user_id).await;
        Ok(())
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
        let now = now_ms();
        let done = sqlx::query(
            "UPDATE credentials SET secret = $1, key_id = $2, expires_at = $3, \
             version = version + 1, status = 'VALID', status_reason = NULL, refreshed_at = $4, \
             lease_until = 0 WHERE id = $5 AND project_id = $6 AND user_id = $7 AND version = $8",
        )
        .bind(self.seal_secret(&c.id, secret))
        .bind(self.cipher.key_id())
        .bind(expires_at)
        .bind(now)
        .bind(&c.id)
        .bind(&c.project_id)
        .bind(&c.user_id)
        .bind(expected_version)
        .execute(&self.pool)
        .await?;
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

    // ---- configurations ----

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

    // ---- OAuth states ----

    pub(crate) async fn put_oauth_state(
        &self,
        state: &str,
        pending: &PendingOAuth,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let json = serde_json::to_vec(pending).unwrap_or_default();
        let now = now_ms();
        // Expired states are garbage; drop them while we are here.
        sqlx::query("DELETE FROM oauth_states WHERE expires_at < $1")
            .bind(now)
            .execute(&self.pool)
            .await?;
        sqlx::query(
            "INSERT INTO oauth_states (state, project_id, user_id, integration, secret, key_id, \
             expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(state)
        .bind(&pending.project_id)
        .bind(&pending.user_id)
        .bind(&pending.integration)
        .bind(self.cipher.seal(state, &json))
        .bind(self.cipher.key_id())
        .bind(now + ttl.as_millis() as i64)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Removes and returns a pending authorization (one use only), if it exists and is fresh.
    pub(crate) async fn take_oauth_state(
        &self,
        state: &str,
    ) -> Result<Option<PendingOAuth>, StoreError> {
        let row = sqlx::query(
            "DELETE FROM oauth_states WHERE state = $1 RETURNING secret, key_id, expires_at",
        )
        .bind(state)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let expires_at: i64 = row.try_get("expires_at")?;
        if expires_at < now_ms() {
            return Ok(None);
        }
        let key_id: String = row.try_get("key_id")?;
        let sealed: Vec<u8> = row.try_get("secret")?;
        let plain = self
            .cipher
            .open(&key_id, state, &sealed)
            .map_err(|source| StoreError::Crypto {
                id: "oauth state".into(),
                source,
            })?;
        serde_json::from_slice(&plain)
            .map(Some)
            .map_err(|e| StoreError::Corrupt {
                id: "oauth state".into(),
                message: e.to_string(),
            })
    }

    // ---- events and workflows ----

    pub(crate) async fn insert_event(
        &self,
        project: &str,
        user: &str,
        name: &str,
        payload: &Value,
    ) -> Result<String, StoreError> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO events (id, project_id, user_id, name, payload, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&id)
        .bind(project)
        .bind(user)
        .bind(name)
        .bind(payload.to_string())
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(id)
    }

    pub(crate) async fn set_workflow(
        &self,
        project: &str,
        user: &str,
        workflow: &str,
        enabled: bool,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "DELETE FROM workflow_states WHERE project_id = $1 AND user_id = $2 AND workflow_id = $3",
        )
        .bind(project)
        .bind(user)
        .bind(workflow)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO workflow_states (project_id, user_id, workflow_id, enabled) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(project)
        .bind(user)
        .bind(workflow)
        .bind(i64::from(enabled))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    // ---- key rotation ----

    /// How many stored secrets are under each key other than the current one.
    pub(crate) async fn key_usage(&self) -> Result<BTreeMap<String, u64>, StoreError> {
        let mut usage = BTreeMap::new();
        for table in &SEALED {
            let rows = sqlx::query(table.count)
                .bind(self.cipher.key_id())
                .fetch_all(&self.pool)
                .await?;
            for row in rows {
                let key_id: String = row.try_get("key_id")?;
                let n: i64 = row.try_get("n")?;
                *usage.entry(key_id).or_insert(0) += u64::try_from(n).unwrap_or(0);
            }
        }
        Ok(usage)
    }

    /// Logs how many secrets still use a previous key or a key that is not configured.
    pub(crate) async fn log_key_usage(&self) -> Result<(), StoreError> {
        let (mut previous, mut unknown) = (0, BTreeMap::new());
        for (id, n) in self.key_usage().await? {
            if self.cipher.is_previous(&id) {
                previous += n;
            } else {
                unknown.insert(id, n);
            }
        }
        if previous > 0 {
            tracing::info!(
                secrets = previous,
                "stored secrets still use a previous encryption key: run `paragon-local rekey`"
            );
        }
        if !unknown.is_empty() {
            tracing::warn!(
                key_ids = ?unknown,
                "stored secrets use encryption keys that are not configured: they cannot be read"
            );
        }
        Ok(())
    }

    /// Re-encrypts every secret stored under a previous key with the current key, in batches.
    ///
    /// Each row is rewritten by one compare-and-swap on its old key id and ciphertext, so a
    /// concurrent write (a refresh storing a rotated token) is never overwritten, and stopping
    /// at any moment loses nothing: running again finishes the job. The plaintext is unchanged,
    /// so the row's `version` is kept and an in-flight refresh still wins its own swap.
    pub(crate) async fn rekey(&self) -> Result<RekeyReport, StoreError> {
        let mut report = RekeyReport::default();
        // Expired OAuth states can never be used again: drop them rather than re-encrypt them.
        sqlx::query("DELETE FROM oauth_states WHERE expires_at < $1")
            .bind(now_ms())
            .execute(&self.pool)
            .await?;
        let mut corrupt = std::collections::BTreeSet::new();
        for table in &SEALED {
            // A row that lost its swap was rewritten meanwhile; a later pass sees where it is.
            for _ in 0..3 {
                let raced = self.rekey_pass(table, &mut report, &mut corrupt).await?;
                if raced == 0 {
                    break;
                }
            }
        }
        report.corrupt = corrupt.len() as u64;
        for (id, n) in self.key_usage().await? {
            if self.cipher.is_previous(&id) {
                report.remaining_previous += n;
            } else {
                report.unknown_keys.insert(id, n);
            }
        }
        // Rows that failed authentication are also still under a previous key.
        report.remaining_previous = report.remaining_previous.saturating_sub(report.corrupt);
        Ok(report)
    }

    /// One pass over `table` in id order; returns how many rows changed under it.
    async fn rekey_pass(
        &self,
        table: &Sealed,
        report: &mut RekeyReport,
        corrupt: &mut std::collections::BTreeSet<(&'static str, String)>,
    ) -> Result<u64, StoreError> {
        let mut last = String::new();
        let mut raced = 0;
        loop {
            let before = report.reencrypted;
            let rows = sqlx::query(table.select)
                .bind(self.cipher.key_id())
                .bind(&last)
                .bind(REKEY_BATCH)
                .fetch_all(&self.pool)
                .await?;
            let Some(row) = rows.last() else {
                return Ok(raced);
            };
            last = row.try_get("row_id")?;
            for row in &rows {
                let id: String = row.try_get("row_id")?;
                let key_id: String = row.try_get("key_id")?;
                if !self.cipher.is_previous(&key_id) {
                    continue; // not configured: counted by the caller
                }
                let sealed: Vec<u8> = row.try_get("secret")?;
                let plain = match self.cipher.open(&key_id, &id, &sealed) {
                    Ok(plain) => plain,
                    Err(e) => {
                        if table.loggable_ids {
                            tracing::warn!(table = table.what, row = %id, error = %e, "cannot re-encrypt");
                        } else {
                            tracing::warn!(table = table.what, error = %e, "cannot re-encrypt");
                        }
                        corrupt.insert((table.what, id));
                        continue;
                    }
                };
                let done = sqlx::query(table.update)
                    .bind(self.cipher.seal(&id, &plain))
                    .bind(self.cipher.key_id())
                    .bind(&id)
                    .bind(&key_id)
                    .bind(&sealed)
                    .execute(&self.pool)
                    .await?;
                if done.rows_affected() == 1 {
                    report.reencrypted += 1;
                } else {
                    raced += 1;
                }
            }
            tracing::info!(
                table = table.what,
                rows = rows.len(),
                reencrypted = report.reencrypted - before,
                "re-encrypted a batch"
            );
            if (rows.len() as i64) < REKEY_BATCH {
                return Ok(raced);
            }
        }
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
