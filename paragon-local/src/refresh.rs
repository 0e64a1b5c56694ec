//! Keeping access tokens fresh: ahead of expiry and once after a provider 401, single-flight
//! per credential.
//!
//! The [`Refresher`] has its own collaborators (the store, the upstream client, the secrets),
//! not the server's whole state. A refresh runs in a task owned by its single-flight entry, not
//! in the caller's future: a caller that disconnects mid-refresh cannot drop the token request
//! after the provider has rotated the refresh token, so the new tokens are always stored.
//! Every caller waiting on the same credential (and the same failed token) shares the task's
//! result.
//!
//! In one process a `tokio` mutex per credential id serializes refreshes; across replicas a
//! lease column in the store does. Whoever holds both re-reads the credential first, so N
//! concurrent callers on an expired token cause exactly one token request; the others find the
//! refreshed token on their re-read. The new tokens (including a rotated refresh token) are
//! committed with a compare-and-swap on the credential's version before anyone uses them, and
//! the lease is released on every path that did not write.

use crate::client_assertion::AssertionKey;
use crate::error::ApiError;
use crate::integration::Integration;
use crate::oauth::{Grant, TokenEndpoint, TokenError, Tokens, request_token};
use crate::secrets::SecretsLookup;
use crate::store::{Credential, Status, Store, now_ms};
use crate::token_reading::TokenReading;
use crate::upstream::{Reach, Upstream};
use axum::http::StatusCode;
use paragon_manifest::TokenGrant;
use paragon_manifest::{Auth, Secrets};
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Refresh this long before the provider's expiry (at most).
const SKEW_MS: i64 = 60_000;
/// How long a replica may hold the refresh lease.
const LEASE_MS: i64 = 30_000;

/// The wait after a token endpoint's first transient failure; it doubles with each further
/// one, up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(300);
/// At most one refresh per credential in this window is driven by a provider 401: a provider
/// that answers 401 for another reason (a missing scope, a deleted resource) must not cost a
/// token grant per call.
const WINDOW_401: Duration = Duration::from_secs(30);
/// Entries kept in the per-credential maps before old ones are pruned.
const MAX_TRACKED: usize = 10_000;

/// A credential whose token endpoint failed transiently: no new attempt before `until`.
struct Backoff {
    failures: u32,
    until: Instant,
}

/// What a refresh ends with: the usable credential, or why there is none.
type Outcome = Result<Credential, ApiError>;
/// A refresh under way: `None` until its task has finished.
type Flight = watch::Receiver<Option<Outcome>>;
/// A flight is shared by the callers on one credential that failed with the same token.
type FlightKey = (String, Option<String>);

/// Renews access tokens; shared by every request (`Arc`), since its tasks outlive callers.
pub(crate) struct Refresher {
    store: Store,
    http: Upstream,
    secrets: SecretsLookup,
    flights: Mutex<HashMap<FlightKey, Flight>>,
    /// One token request at a time per credential in this process, whatever the flight.
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    backoff: Mutex<HashMap<String, Backoff>>,
    /// When each credential last had a refresh driven by a provider 401.
    after_401: Mutex<HashMap<String, Instant>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Removes a flight's entry when its task ends, even by a panic, so no caller joins a flight
/// that will never land.
struct Landing {
    refresher: Arc<Refresher>,
    key: FlightKey,
}

impl Drop for Landing {
    fn drop(&mut self) {
        lock(&self.refresher.flights).remove(&self.key);
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
        Auth::ClientCredentials(_) | Auth::TokenExchange(_) => true,
        _ => false,
    }
}

/// Whose addresses a URL template may reach: any when the manifest fixes its host, public
/// ones when an input, user metadata or a captured value forms it.
pub(crate) fn reach_of(template: &paragon_manifest::Template) -> Reach {
    reach_by(template.host_from_values())
}

/// Whose addresses a URL may reach when its host is `user_chosen` (public ones only) or the
/// manifest owner's (any: a literal, `{env.*}`, a callback value held to `one_of`).
pub(crate) fn reach_by(user_chosen: bool) -> Reach {
    if user_chosen {
        Reach::Public
    } else {
        Reach::Owner
    }
}

/// The token endpoint for renewing `c`'s access token; `meta`, the user's metadata, for the
/// parameters' `{user.*}` values.
pub(crate) fn renewal_endpoint(
    secrets: &dyn Secrets,
    integration: &Integration,
    c: &Credential,
    meta: Option<&serde_json::Value>,
) -> Result<TokenEndpoint, ApiError> {
    let ctx = integration.credential_context(secrets, c, meta);
    let render =
        |e: paragon_manifest::RenderError| ApiError::internal(format!("{}: {e}", integration.slug));
    match integration.manifest.auth() {
        Auth::OAuth(o) => Ok(TokenEndpoint {
            reach: reach_by(o.host_chosen_by_user(o.refresh_url_chosen(&ctx))),
            url: o.refresh_url(&ctx).map_err(render)?,
            client_id: o.client_id(&ctx).map_err(render)?,
            client_secret: o.client_secret(&ctx).map_err(render)?.into_exposed(),
            client_auth: o.client_auth(),
            client_assertion: o
                .client_assertion()
                .map(|a| AssertionKey::render(a, &ctx))
                .transpose()
                .map_err(render)?,
            encoding: o.token_encoding(),
            extra_params: o.refresh_params(&ctx).map_err(render)?,
            reading: TokenReading::of(integration.manifest.auth()),
        }),
        Auth::ClientCredentials(cc) => Ok(TokenEndpoint {
            reach: reach_of(cc.token_url_chosen(&ctx)),
            url: cc.token_url(&ctx).map_err(render)?,
            client_id: cc.client_id(&ctx).map_err(render)?,
            client_secret: cc.client_secret(&ctx).map_err(render)?.into_exposed(),
            client_auth: cc.client_auth(),
            client_assertion: cc
                .client_assertion()
                .map(|a| AssertionKey::render(a, &ctx))
                .transpose()
                .map_err(render)?,
            encoding: cc.token_encoding(),
            extra_params: cc.token_params(&ctx).map_err(render)?,
            reading: TokenReading::of(integration.manifest.auth()),
        }),
        _ => Err(ApiError::internal(
            "this integration has no tokens to renew",
        )),
    }
}

/// A client-credentials manifest's grant, with the values it needs rendered (the render
/// context borrows data that must not live across an await).
pub(crate) enum GrantValues {
    ClientCredentials,
    Password { username: String, password: String },
    PastedRefreshToken(String),
}

impl GrantValues {
    /// Renders `cc`'s grant for `c`.
    pub(crate) fn render(
        secrets: &dyn Secrets,
        integration: &Integration,
        cc: &paragon_manifest::ClientCredentials,
        c: &Credential,
    ) -> Result<GrantValues, ApiError> {
        let ctx = integration.credential_context(secrets, c, None);
        let render = |e: paragon_manifest::RenderError| {
            ApiError::bad_request(format!("{}: {e}", integration.slug))
        };
        Ok(match cc.grant() {
            TokenGrant::Password { username, password } => GrantValues::Password {
                username: username.render(&ctx).map_err(render)?,
                password: password.render(&ctx).map_err(render)?,
            },
            TokenGrant::RefreshToken { refresh_token } => {
                GrantValues::PastedRefreshToken(refresh_token.render(&ctx).map_err(render)?)
            }
            _ => GrantValues::ClientCredentials,
        })
    }

    /// The grant to ask with: the stored refresh token when the provider gave one (password
    /// and pasted-refresh-token grants), else the manifest's own.
    pub(crate) fn grant<'a>(&'a self, stored: Option<&'a str>, scopes: &'a [String]) -> Grant<'a> {
        match (self, stored) {
            (GrantValues::ClientCredentials, _) => Grant::ClientCredentials { scopes },
            (_, Some(refresh_token)) => Grant::Refresh { refresh_token },
            (GrantValues::Password { username, password }, None) => Grant::Password {
                username: username.clone(),
                password: password.clone(),
                scopes,
            },
            (GrantValues::PastedRefreshToken(refresh_token), None) => {
                Grant::Refresh { refresh_token }
            }
        }
    }
}

impl Refresher {
    /// A refresher writing to `store`, asking providers through `http`, rendering token
    /// endpoints with `secrets`.
    pub(crate) fn new(store: Store, http: Upstream, secrets: SecretsLookup) -> Arc<Self> {
        Arc::new(Self {
            store,
            http,
            secrets,
            flights: Mutex::default(),
            locks: Mutex::default(),
            backoff: Mutex::default(),
            after_401: Mutex::default(),
        })
    }

    /// Returns `c` with a usable access token: renewed if it expires within a minute, or if
    /// `failed_token` (the token the provider just refused) is still the stored one.
    pub(crate) async fn fresh(
        self: &Arc<Self>,
        integration: &Arc<Integration>,
        c: Credential,
        failed_token: Option<&str>,
    ) -> Outcome {
        if c.status == Status::Invalid {
            return Err(invalid_error(&c));
        }
        if !needs_refresh(&c, failed_token) || !can_refresh(integration, &c) {
            return Ok(c);
        }
        let mut flight = self.join(integration, c, failed_token);
        let landed = flight.wait_for(Option::is_some).await;
        match landed {
            Ok(outcome) => outcome.clone().unwrap_or_else(|| Err(lost())),
            Err(_) => Err(lost()),
        }
    }

    /// The flight renewing `c` for this failed token: the one under way, or a new task.
    fn join(
        self: &Arc<Self>,
        integration: &Arc<Integration>,
        c: Credential,
        failed_token: Option<&str>,
    ) -> Flight {
        let key: FlightKey = (c.id.clone(), failed_token.map(str::to_string));
        let mut flights = lock(&self.flights);
        if let Some(flight) = flights.get(&key) {
            return flight.clone();
        }
        let (done, flight) = watch::channel(None);
        flights.insert(key.clone(), flight.clone());
        drop(flights);
        let landing = Landing {
            refresher: self.clone(),
            key,
        };
        let integration = integration.clone();
        tokio::spawn(async move {
            let this = &landing.refresher;
            let outcome = this
                .refresh_serialized(&integration, &c, landing.key.1.as_deref())
                .await;
            drop(landing);
            let _ = done.send(Some(outcome));
        });
        flight
    }

    async fn refresh_serialized(
        &self,
        integration: &Integration,
        c: &Credential,
        failed_token: Option<&str>,
    ) -> Outcome {
        let credential_lock = lock(&self.locks).entry(c.id.clone()).or_default().clone();
        let outcome = {
            let _guard = credential_lock.lock().await;
            self.refresh_locked(integration, c, failed_token).await
        };
        let mut locks = lock(&self.locks);
        // Ours and the map's: nobody else waits, so the entry can go.
        if Arc::strong_count(&credential_lock) <= 2 {
            locks.remove(&c.id);
        }
        outcome
    }

    async fn reread(&self, c: &Credential) -> Outcome {
        self.store
            .get_credential(&c.project_id, &c.user_id, &c.id)
            .await?
            .ok_or_else(|| ApiError::not_found(format!("the credential {} was deleted", c.id)))
    }

    /// Takes the store lease (waiting for another replica's refresh), renews, and releases
    /// the lease unless a write already did.
    async fn refresh_locked(
        &self,
        integration: &Integration,
        c: &Credential,
        failed_token: Option<&str>,
    ) -> Outcome {
        let waited_since = now_ms();
        loop {
            let current = self.reread(c).await?;
            if current.status == Status::Invalid {
                return Err(invalid_error(&current));
            }
            if !needs_refresh(&current, failed_token) {
                return Ok(current);
            }
            if let Some(held_back) = self.hold_back(&current, failed_token) {
                return held_back;
            }
            if self
                .store
                .try_lease(&current.id, now_ms() + LEASE_MS)
                .await?
            {
                let (outcome, released) = self.renew_leased(integration, c, failed_token).await;
                if !released && let Err(e) = self.store.release_lease(&c.id).await {
                    tracing::warn!(credential = %c.id, error = %e, "could not release the refresh lease; it expires on its own");
                }
                return outcome;
            }
            // Another replica is refreshing; its result appears on a re-read.
            if now_ms() - waited_since > LEASE_MS + 5_000 {
                return Err(ApiError::integration(
                    StatusCode::BAD_GATEWAY,
                    "timed out waiting for another replica to refresh the credential",
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Under the lease: re-checks (another replica may have finished between our read and the
    /// lease, and a consumed refresh token must never be used twice), asks for tokens and
    /// stores the answer. The flag says whether a store write released the lease.
    async fn renew_leased(
        &self,
        integration: &Integration,
        c: &Credential,
        failed_token: Option<&str>,
    ) -> (Outcome, bool) {
        let current = match self.reread(c).await {
            Ok(current) => current,
            Err(e) => return (Err(e), false),
        };
        if current.status == Status::Invalid {
            return (Err(invalid_error(&current)), false);
        }
        if !needs_refresh(&current, failed_token) {
            return (Ok(current), false);
        }
        let answer = match self.ask(integration, &current).await {
            Ok(answer) => answer,
            Err(outcome) => return (outcome, false),
        };
        // Only a refresh that worked counts against the 401 budget: after a failed one the
        // backoff decides.
        if failed_token.is_some() && answer.is_ok() {
            self.note_401_refresh(&current.id);
        }
        if !matches!(answer, Err(TokenError::Unavailable(_))) {
            lock(&self.backoff).remove(&current.id);
        }
        // An exchange's answer says whether there is a refresh token: one it leaves out is
        // gone (the next renewal exchanges again), where OAuth keeps the old one.
        let replace_refresh = matches!(integration.manifest.auth(), Auth::TokenExchange(_));
        match answer {
            Ok(tokens) => self.store_tokens(&current, tokens, replace_refresh).await,
            Err(TokenError::Rejected(reason)) => self.invalidate(&current, reason).await,
            Err(e @ TokenError::Unavailable(_)) => {
                let wait = self.back_off(&current.id);
                tracing::warn!(credential = %current.id, error = %e, retry_in = ?wait, "token refresh failed; will retry");
                if still_usable(&current, failed_token) {
                    return (Ok(current), false);
                }
                (
                    Err(ApiError::integration(
                        StatusCode::BAD_GATEWAY,
                        e.to_string(),
                    )),
                    false,
                )
            }
        }
    }

    /// Asks the provider for new tokens: a token exchange of the stored inputs, or a refresh /
    /// client-credentials grant. `Err` is an outcome that needs no request.
    async fn ask(
        &self,
        integration: &Integration,
        current: &Credential,
    ) -> Result<Result<Tokens, TokenError>, Outcome> {
        let meta = self
            .store
            .user_meta(&current.project_id, &current.user_id)
            .await
            .map_err(|e| Err(e.into()))?;
        if let Auth::TokenExchange(_) = integration.manifest.auth() {
            let secrets: &(dyn Secrets + Sync) = &self.secrets;
            return Ok(crate::exchange::exchange(
                &self.http,
                secrets,
                integration,
                &current.secret,
                Some(&meta),
            )
            .await);
        }
        let endpoint =
            renewal_endpoint(&self.secrets, integration, current, Some(&meta)).map_err(Err)?;
        let values = match integration.manifest.auth() {
            Auth::ClientCredentials(cc) => {
                Some(GrantValues::render(&self.secrets, integration, cc, current).map_err(Err)?)
            }
            _ => None,
        };
        let stored = current.secret.refresh_token.as_deref();
        let grant = match (integration.manifest.auth(), &values, stored) {
            (Auth::ClientCredentials(cc), Some(values), _) => values.grant(stored, cc.scopes()),
            (_, _, Some(rt)) => Grant::Refresh { refresh_token: rt },
            (_, _, None) => return Err(Ok(current.clone())),
        };
        let capture = integration.manifest.auth().capture_at();
        Ok(request_token(&self.http, &endpoint, grant, capture).await)
    }

    /// Commits the new tokens (compare-and-swap on the version read under the lease).
    async fn store_tokens(
        &self,
        current: &Credential,
        tokens: Tokens,
        replace_refresh: bool,
    ) -> (Outcome, bool) {
        let mut secret = current.secret.clone();
        secret.access_token = Some(tokens.access_token);
        if tokens.refresh_token.is_some() || replace_refresh {
            secret.refresh_token = tokens.refresh_token;
        }
        secret.captured.extend(tokens.captured);
        let swapped = self
            .store
            .swap_secret(current, current.version, &secret, tokens.expires_at)
            .await;
        match swapped {
            Ok(true) => {
                tracing::info!(credential = %current.id, "access token renewed");
                (self.reread(current).await, true)
            }
            Ok(false) => {
                tracing::warn!(credential = %current.id, "lost a refresh race; using the winner's token");
                (self.reread(current).await, false)
            }
            Err(e) => (Err(e.into()), false),
        }
    }

    /// Marks the credential INVALID after the provider refused its grant for good.
    async fn invalidate(&self, current: &Credential, reason: String) -> (Outcome, bool) {
        let reason = format!("token refresh failed: {reason}");
        tracing::warn!(credential = %current.id, %reason, "credential marked INVALID");
        match self
            .store
            .mark_invalid(current, current.version, &reason)
            .await
        {
            Ok(true) => match self.reread(current).await {
                Ok(c) => (Err(invalid_error(&c)), true),
                Err(e) => (Err(e), true),
            },
            // Someone else wrote it meanwhile (e.g. a reconnect): use theirs.
            Ok(false) => (self.reread(current).await, false),
            Err(e) => (Err(e.into()), false),
        }
    }
}

impl Refresher {
    /// Why not to ask for a token now, if there is a reason: a 401-driven refresh of this
    /// credential happened within [`WINDOW_401`] (the caller gets the provider's 401), or the
    /// token endpoint is backing off (the current token is used while it lasts).
    fn hold_back(&self, current: &Credential, failed_token: Option<&str>) -> Option<Outcome> {
        if failed_token.is_some() {
            let last = lock(&self.after_401).get(&current.id).copied();
            if last.is_some_and(|at| at.elapsed() < WINDOW_401) {
                return Some(Ok(current.clone()));
            }
        }
        let until = lock(&self.backoff).get(&current.id).map(|b| b.until)?;
        let wait = until.checked_duration_since(Instant::now())?;
        if still_usable(current, failed_token) {
            return Some(Ok(current.clone()));
        }
        Some(Err(ApiError::integration(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "the provider's token endpoint failed for the credential {}; the next attempt \
                 is in {} ms",
                current.id,
                wait.as_millis()
            ),
        )))
    }

    fn note_401_refresh(&self, id: &str) {
        let mut map = lock(&self.after_401);
        if map.len() >= MAX_TRACKED {
            map.retain(|_, at| at.elapsed() < WINDOW_401);
        }
        map.insert(id.to_string(), Instant::now());
    }

    /// Records a transient failure and returns how long to wait before the next attempt.
    fn back_off(&self, id: &str) -> Duration {
        let mut map = lock(&self.backoff);
        if map.len() >= MAX_TRACKED {
            let now = Instant::now();
            map.retain(|_, b| b.until > now);
        }
        let failures = map.get(id).map_or(0, |b| b.failures).saturating_add(1);
        let wait = FIRST_BACKOFF
            .saturating_mul(1 << failures.saturating_sub(1).min(16))
            .min(MAX_BACKOFF);
        map.insert(
            id.to_string(),
            Backoff {
                failures,
                until: Instant::now() + wait,
            },
        );
        wait
    }
}

/// Whether the stored access token can still serve a caller that was renewing it ahead of
/// expiry (not one whose token the provider just refused).
fn still_usable(c: &Credential, failed_token: Option<&str>) -> bool {
    failed_token.is_none()
        && c.secret.access_token.is_some()
        && c.expires_at.is_some_and(|at| at > now_ms())
}

/// The error for a refresh task that ended without a result (it panicked).
fn lost() -> ApiError {
    ApiError::internal("the token refresh ended without a result")
}
