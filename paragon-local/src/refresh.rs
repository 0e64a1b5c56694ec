//! Keeping access tokens fresh: ahead of expiry and once after a provider 401, single-flight
//! per credential.
//!
//! In one process a `tokio` mutex per credential id serializes refreshes; across replicas a
//! lease column in the store does. Whoever holds both re-reads the credential first, so N
//! concurrent callers on an expired token cause exactly one token request; the others find the
//! refreshed token on their re-read. The new tokens (including a rotated refresh token) are
//! committed with a compare-and-swap on the credential's version before anyone uses them.

use crate::error::ApiError;
use crate::integration::Integration;
use crate::oauth::{Grant, TokenEndpoint, TokenError, request_token};
use crate::state::AppState;
use crate::store::{Credential, Status, now_ms};
use axum::http::StatusCode;
use paragon_manifest::Auth;
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Refresh this long before the provider's expiry (at most).
const SKEW_MS: i64 = 60_000;
/// How long a replica may hold the refresh lease.
const LEASE_MS: i64 = 30_000;

#[derive(Default)]
pub(crate) struct Refresher {
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl Refresher {
    fn lock_for(&self, id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut map = self.locks.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(id.to_string()).or_default().clone()
    }

    fn forget(&self, id: &str, lock: Arc<tokio::sync::Mutex<()>>) {
        let mut map = self.locks.lock().unwrap_or_else(|e| e.into_inner());
        // Ours and the map's: nobody else waits, so the entry can go.
        if Arc::strong_count(&lock) <= 2 {
            map.remove(id);
        }
    }
}

/// An error for a credential that can no longer be used.
pub(crate) fn invalid_error(c: &Credential) -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "credential_invalid",
        format!(
            "the credential {} is INVALID: {}; reconnect the account",
            c.id,
            c.status_reason.as_deref().unwrap_or("no reason recorded")
        ),
    )
    .with_meta(json!({ "isIntegrationError": true, "credentialId": c.id }))
}

fn needs_refresh(c: &Credential, failed_token: Option<&str>) -> bool {
    if let Some(failed) = failed_token {
        return c.secret.access_token.as_deref() == Some(failed);
    }
    match c.expires_at {
        Some(at) => {
            // A minute ahead, or a quarter of the token's lifetime if that is shorter.
            let lifetime = at - c.refreshed_at.unwrap_or(c.created_at);
            at - SKEW_MS.min(lifetime / 4).max(0) <= now_ms()
        }
        None => c.secret.access_token.is_none(),
    }
}

fn can_refresh(integration: &Integration, c: &Credential) -> bool {
    match integration.manifest.auth() {
        Auth::OAuth(_) => c.secret.refresh_token.is_some(),
        Auth::ClientCredentials(_) => true,
        _ => false,
    }
}

/// The token endpoint and grant for renewing `c`'s access token.
pub(crate) fn renewal_endpoint(
    app: &AppState,
    integration: &Integration,
    c: &Credential,
) -> Result<TokenEndpoint, ApiError> {
    let ctx = integration.context(&app.secrets, &c.secret, None);
    let render =
        |e: paragon_manifest::RenderError| ApiError::internal(format!("{}: {e}", integration.slug));
    match integration.manifest.auth() {
        Auth::OAuth(o) => Ok(TokenEndpoint {
            url: o.refresh_url(&ctx).map_err(render)?,
            client_id: o.client_id(&ctx).map_err(render)?,
            client_secret: o.client_secret(&ctx).map_err(render)?.into_exposed(),
            client_auth: o.client_auth(),
            extra_params: o.token_params(&ctx).map_err(render)?,
        }),
        Auth::ClientCredentials(cc) => Ok(TokenEndpoint {
            url: cc.token_url(&ctx).map_err(render)?,
            client_id: cc.client_id(&ctx).map_err(render)?,
            client_secret: cc.client_secret(&ctx).map_err(render)?.into_exposed(),
            client_auth: cc.client_auth(),
            extra_params: cc.token_params(&ctx).map_err(render)?,
        }),
        _ => Err(ApiError::internal(
            "this integration has no tokens to renew",
        )),
    }
}

impl AppState {
    /// Returns `c` with a usable access token: renewed if it expires within a minute, or if
    /// `failed_token` (the token the provider just refused) is still the stored one.
    pub(crate) async fn fresh(
        &self,
        integration: &Integration,
        c: Credential,
        failed_token: Option<&str>,
    ) -> Result<Credential, ApiError> {
        if c.status == Status::Invalid {
            return Err(invalid_error(&c));
        }
        if !needs_refresh(&c, failed_token) || !can_refresh(integration, &c) {
            return Ok(c);
        }
        let lock = self.refresher.lock_for(&c.id);
        let result = {
            let _guard = lock.lock().await;
            self.refresh_locked(integration, &c, failed_token).await
        };
        self.refresher.forget(&c.id, lock);
        result
    }

    async fn reread(&self, c: &Credential) -> Result<Credential, ApiError> {
        self.store
            .get_credential(&c.project_id, &c.user_id, &c.id)
            .await?
            .ok_or_else(|| ApiError::not_found(format!("the credential {} was deleted", c.id)))
    }

    async fn refresh_locked(
        &self,
        integration: &Integration,
        c: &Credential,
        failed_token: Option<&str>,
    ) -> Result<Credential, ApiError> {
        let waited_since = now_ms();
        let current = loop {
            let current = self.reread(c).await?;
            if current.status == Status::Invalid {
                return Err(invalid_error(&current));
            }
            if !needs_refresh(&current, failed_token) {
                return Ok(current);
            }
            if self
                .store
                .try_lease(&current.id, now_ms() + LEASE_MS)
                .await?
            {
                // Another replica may have finished between our read and the lease: re-check
                // under the lease, so a consumed refresh token is never used twice.
                let current = self.reread(c).await?;
                if current.status == Status::Invalid || !needs_refresh(&current, failed_token) {
                    self.store.release_lease(&current.id).await?;
                    if current.status == Status::Invalid {
                        return Err(invalid_error(&current));
                    }
                    return Ok(current);
                }
                break current;
            }
            // Another replica is refreshing; its result appears on a re-read.
            if now_ms() - waited_since > LEASE_MS + 5_000 {
                return Err(ApiError::integration(
                    StatusCode::BAD_GATEWAY,
                    "timed out waiting for another replica to refresh the credential",
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let endpoint = match renewal_endpoint(self, integration, &current) {
            Ok(e) => e,
            Err(e) => {
                self.store.release_lease(&current.id).await?;
                return Err(e);
            }
        };
        let grant = match (integration.manifest.auth(), &current.secret.refresh_token) {
            (Auth::ClientCredentials(cc), _) => Grant::ClientCredentials {
                scopes: cc.scopes(),
            },
            (_, Some(rt)) => Grant::Refresh { refresh_token: rt },
            (_, None) => {
                self.store.release_lease(&current.id).await?;
                return Ok(current);
            }
        };
        let capture = integration.manifest.auth().capture();
        match request_token(&self.http, &endpoint, grant, capture).await {
            Ok(tokens) => {
                let mut secret = current.secret.clone();
                secret.access_token = Some(tokens.access_token);
                if let Some(rt) = tokens.refresh_token {
                    secret.refresh_token = Some(rt);
                }
                secret.captured.extend(tokens.captured);
                if self
                    .store
                    .swap_secret(&current, current.version, &secret, tokens.expires_at)
                    .await?
                {
                    tracing::info!(credential = %current.id, "access token renewed");
                } else {
                    tracing::warn!(credential = %current.id, "lost a refresh race; using the winner's token");
                }
                self.reread(&current).await
            }
            Err(TokenError::Rejected(reason)) => {
                let reason = format!("token refresh failed: {reason}");
                tracing::warn!(credential = %current.id, %reason, "credential marked INVALID");
                if !self
                    .store
                    .mark_invalid(&current, current.version, &reason)
                    .await?
                {
                    // Someone else wrote it meanwhile (e.g. a reconnect): use theirs.
                    return self.reread(&current).await;
                }
                Err(invalid_error(&self.reread(&current).await?))
            }
            Err(e @ TokenError::Unavailable(_)) => {
                self.store.release_lease(&current.id).await?;
                Err(ApiError::integration(
                    StatusCode::BAD_GATEWAY,
                    e.to_string(),
                ))
            }
        }
    }
}
