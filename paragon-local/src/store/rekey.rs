//! Re-encrypting the store under the current key (`paragon-local rekey`).

use super::{AAD_BOUND, Store, StoreError, credential_aad, now_ms};
use crate::crypto::Cipher;
use sqlx::Row;
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

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

/// A table holding encrypted values, and the queries that rotate its key. An OAuth state is
/// sealed with its own key (`state`); a credential with its owner (see
/// `super::credential_aad`), and rows still bound to their id only are moved up too.
struct Sealed {
    what: &'static str,
    /// Whether rows carry `project_id`, `user_id`, `integration` and `aad_version`.
    bound_to_owner: bool,
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
        bound_to_owner: true,
        loggable_ids: true,
        select: "SELECT id AS row_id, key_id, secret, project_id, user_id, integration, \
                 aad_version FROM credentials \
                 WHERE (key_id <> $1 OR aad_version < 2) AND id > $2 ORDER BY id LIMIT $3",
        update: "UPDATE credentials SET secret = $1, key_id = $2, aad_version = 2 \
                 WHERE id = $3 AND key_id = $4 AND secret = $5",
        count: "SELECT key_id, COUNT(*) AS n FROM credentials WHERE key_id <> $1 GROUP BY key_id",
    },
    Sealed {
        what: "oauth state",
        bound_to_owner: false,
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

impl Store {
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
                if key_id != self.cipher.key_id() && !self.cipher.is_previous(&key_id) {
                    continue; // not configured: counted by the caller
                }
                let (old_aad, new_aad) = if table.bound_to_owner {
                    let owner: [String; 3] = [
                        row.try_get("project_id")?,
                        row.try_get("user_id")?,
                        row.try_get("integration")?,
                    ];
                    let version: i64 = row.try_get("aad_version")?;
                    let aad = |v| credential_aad(v, &owner[0], &owner[1], &owner[2], &id);
                    (aad(version), aad(AAD_BOUND))
                } else {
                    (id.clone(), id.clone())
                };
                let sealed: Vec<u8> = row.try_get("secret")?;
                let plain = match self.cipher.open(&key_id, &old_aad, &sealed) {
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
                    .bind(self.cipher.seal(&new_aad, &plain))
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
}
