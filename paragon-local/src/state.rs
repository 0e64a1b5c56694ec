//! The shared state of a running server.

use crate::auth::{ProjectKey, User};
use crate::error::ApiError;
use crate::integration::{Integration, Integrations};
use crate::refresh::Refresher;
pub(crate) use crate::secrets::SecretsLookup;
use crate::store::Store;
use crate::upstream::Upstream;
use axum::http::HeaderMap;
use std::sync::Arc;

/// Size and time limits.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub max_request_body: usize,
    pub max_response_body: usize,
}

pub(crate) struct AppState {
    pub project_id: String,
    pub key: ProjectKey,
    pub store: Store,
    pub integrations: Integrations,
    pub secrets: SecretsLookup,
    pub http: Upstream,
    /// Keeps access tokens fresh (its own store, client and secrets handles).
    pub refresher: Arc<Refresher>,
    /// The server's externally visible URL, without a trailing slash (for `redirect_uri`).
    pub public_url: String,
    /// The public URL's path without a trailing slash ("" at the root, "/paragon" behind a
    /// reverse proxy serving the server at `https://host/paragon/`): every link, form action,
    /// redirect and cookie path the server emits starts with it.
    pub public_path: String,
    /// How long a portal sign-in code is valid.
    pub portal_code_ttl: std::time::Duration,
    pub limits: Limits,
    /// Refuse user tokens without an `aud` claim.
    pub require_aud: bool,
    /// HMAC key for portal sessions and CSRF tokens (derived from the encryption key, so all
    /// replicas sharing the store agree).
    pub portal_key: [u8; 32],
    /// Tokens already verified, so the hot proxy path skips the RSA signature check.
    pub verified: TokenCache,
    /// The workflow engine: definitions, registered functions, waiting request triggers.
    pub workflows: crate::workflows::Engine,
    /// Browser origins allowed to call (CORS) and to frame the portal.
    pub origins: crate::cors::BrowserOrigins,
}

/// Verified user tokens until their `exp`. Bounded: when full, expired entries go, then all.
#[derive(Default)]
pub(crate) struct TokenCache {
    map: std::sync::Mutex<std::collections::HashMap<String, User>>,
}

const TOKEN_CACHE_MAX: usize = 10_000;

impl TokenCache {
    fn get(&self, token: &str) -> Option<User> {
        let map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.get(token)
            .filter(|u| u.exp > crate::store::now_ms() / 1000)
            .cloned()
    }

    fn put(&self, token: &str, user: &User) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= TOKEN_CACHE_MAX {
            let now = crate::store::now_ms() / 1000;
            map.retain(|_, u| u.exp > now);
            if map.len() >= TOKEN_CACHE_MAX {
                map.clear();
            }
        }
        map.insert(token.to_string(), user.clone());
    }
}

pub(crate) type Shared = Arc<AppState>;

impl AppState {
    /// Verifies the bearer token of a call under `/projects/{pid}`.
    pub(crate) fn user(&self, pid: &str, headers: &HeaderMap) -> Result<User, ApiError> {
        if pid != self.project_id {
            return Err(ApiError::not_found(format!(
                "unknown project {pid:?} (this server serves project {})",
                self.project_id
            )));
        }
        let value = headers.get(http::header::AUTHORIZATION).ok_or_else(|| {
            ApiError::unauthorized("missing `Authorization: Bearer <user token>`")
        })?;
        let value = value
            .to_str()
            .map_err(|_| ApiError::unauthorized("the Authorization header is not ASCII"))?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .ok_or_else(|| {
                ApiError::unauthorized("expected `Authorization: Bearer <user token>`")
            })?;
        let token = token.trim();
        if let Some(user) = self.verified.get(token) {
            return Ok(user);
        }
        let user = self.key.verify(token, pid, self.require_aud)?;
        self.verified.put(token, &user);
        Ok(user)
    }

    pub(crate) fn integration(&self, key: &str) -> Result<&Arc<Integration>, ApiError> {
        self.integrations
            .get(key)
            .ok_or_else(|| ApiError::not_found(format!("no integration {key:?} on this server")))
    }

    /// The integration whose UUID is `id`, for the calls the cloud addresses by UUID only
    /// (`POST /sdk/credentials`, `build-oauth`, `DELETE /sdk/integrations/{id}`): a slug is
    /// refused as the cloud refuses it, so code relying on slugs fails here too.
    pub(crate) fn integration_by_id(&self, id: &str) -> Result<&Arc<Integration>, ApiError> {
        match self.integrations.get(id) {
            Some(i) if i.id == id => Ok(i),
            Some(i) => Err(ApiError::bad_request(format!(
                "{id:?} is the slug of {}; this call takes the integration's UUID: the `id` \
                 of its entry in GET /projects/{}/sdk/integrations",
                i.slug, self.project_id
            ))),
            None => Err(ApiError::not_found(format!(
                "no integration with id {id:?} on this server (GET /projects/{}/sdk/integrations \
                 lists them)",
                self.project_id
            ))),
        }
    }
}
