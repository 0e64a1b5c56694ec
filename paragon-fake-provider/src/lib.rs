//! "Task Lab": a small fake third-party API that tests and examples start in-process.
//!
//! It stands in for a real provider (GitHub, Salesforce, …) behind Paragon's
//! Connect proxy, with everything a custom integration needs to be exercised
//! end to end:
//!
//! - **OAuth 2.0** at `/oauth/authorize` (an HTML consent page whose form posts
//!   back and redirects with `?code=…&state=…`) and `/oauth/token`
//!   (`authorization_code` with PKCE S256, `refresh_token` with rotation,
//!   `client_credentials`, `password` for the accounts [`FakeProviderBuilder::resource_owner`]
//!   names; client authentication by Basic header or body; parameters
//!   as a form, a JSON object or the query). Clients may also register themselves at
//!   `POST /oauth/register` (RFC 7591 dynamic client registration): a registered client
//!   may use only the redirect URIs it registered, and its codes and refresh tokens are
//!   bound to it.
//!   Token answers carry `instance_url`, the provider's root URL. A client given a public key
//!   ([`FakeProviderBuilder::client_assertion_key`]) may authenticate by a signed JWT instead
//!   of its secret (`private_key_jwt`, RFC 7523). A client-credentials request may name the
//!   token's `audience` (this server's `/v1` URL) and `organization` (one of
//!   [`ORGANIZATIONS`]); a value sent must be right, an empty one included.
//! - **A single-page app's authorization screen** at `/app/`: it routes by the URL's fragment,
//!   `/app/#/oauth/authorize?response_type=code&…` ([`AUTHORIZE_ROUTE`]), whose query its
//!   script carries on to the consent page.
//! - **Token exchange** at `POST /auth/session`: a JSON body `{"api_key": "<key>"}` is
//!   answered with `{"session": {"token": "…", "expires_in": N, "refresh_token": "…"}}`; the
//!   token is a bearer access token for `/v1` with the access-token lifetime (self-hosted
//!   products and many SaaS APIs trade a key or a password for a short-lived session token
//!   this way). The single-use session refresh token renews it without the key, sent as
//!   `{"refresh_token": "…"}` to `POST /auth/session/refresh` or as `Authorization: Bearer`
//!   to `POST /auth/session` (`Stats::token_requests.session_refresh`). The API-key login
//!   also sets the cookies `tl_node` and `tl_account` (renewals set none), which
//!   `/v1/echo` shows sent back.
//! - **A REST API** under `/v1`: `GET /me`, `GET|POST /tasks`,
//!   `GET|PATCH|DELETE /tasks/{id}`, `ANY /echo[/…]` (returns the request as
//!   received), `GET /bytes?size=N` (binary, byte `i` is `i % 256`) and
//!   `ANY /redirect?location=URL&status=3xx` (answers that redirect).
//!   Callers authenticate with `Authorization: Bearer <access token>`,
//!   `X-Api-Key: <key>`, `?api_key=<key>` or HTTP Basic with the key as the
//!   username, also under the scheme `Keypair` (`Authorization: Keypair <base64 of
//!   key:account>`) or alone in an `X-Keypair` header (Basic pairs under other names, as
//!   Redtail's or ConnectSecure's). Tasks are kept in memory, per caller. Errors are
//!   `{"error": {"code": "not_found", "message": "…"}}`.
//! - **Sites known after connecting** at `GET /oauth/metadata` (with a token or key):
//!   `{"site": "site-<account>", "account": {"id": …, "name": …}}`; the same API also answers
//!   under `/sites/{site}/v1`, for the accounts on that site only (others get a 404), the
//!   shape of data centres and cloud ids a manifest reads with `[[auth.after_connect]]`.
//! - **An RPC API with the key in the body** at `POST /rpc/{method}`: a JSON object with
//!   `"key": "<api key>"` (Mandrill's and Adyntel's shape), answered with
//!   `{"method", "principal", "params"}` (the other members); no key is a 401.
//! - **Failure injection**: the request headers `X-Fake-Fail: 401|429|500|503`
//!   (any 4xx/5xx; 429 and 503 add `Retry-After: 1`) and `X-Fake-Delay-Ms: N`,
//!   or programmatically [`RunningProvider::fail_next`],
//!   [`RunningProvider::delay_next`], [`RunningProvider::fail_next_token_requests`],
//!   [`RunningProvider::delay_next_token_responses`],
//!   [`RunningProvider::revoke_access_tokens`], [`RunningProvider::revoke_refresh_tokens`].
//! - **Stats** for assertions: [`RunningProvider::stats`].
//!
//! The API is described by `specs/tasklab/openapi.yaml` in this repository.
//!
//! # Driving the consent page from a test
//!
//! `GET /oauth/authorize?response_type=code&client_id=…&redirect_uri=…&scope=…&state=…&code_challenge=…&code_challenge_method=S256`
//! answers an HTML page whose form posts to `/oauth/authorize` with three fields:
//! the hidden anti-forgery field `request` (single-use, copy it from
//! `name="request" value="…"`), `decision` (`allow` or `deny`) and `username`
//! (the account that approves; default [`DEFAULT_USERNAME`], or the request's
//! `login_hint`). Different usernames are different accounts with their own
//! tasks, so one test can connect several. The answer is a `303` to
//! `redirect_uri?code=…&state=…` (or `?error=access_denied&state=…`).
//! To skip the page, build the provider with [`FakeProviderBuilder::auto_approve`].
//!
//! # Example
//!
//! ```
//! use paragon_fake_provider::{DEFAULT_API_KEY, FakeProvider};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let provider = FakeProvider::builder().start().await?;
//!
//! let me: serde_json::Value = reqwest::Client::new()
//!     .get(format!("{}/me", provider.api_url()))
//!     .header("X-Api-Key", DEFAULT_API_KEY)
//!     .send()
//!     .await?
//!     .json()
//!     .await?;
//! assert_eq!(me["auth"], "api_key");
//! assert_eq!(provider.stats().api_calls, 1);
//!
//! provider.shutdown().await;
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]

mod api;
mod assertion;
mod failure;
mod oauth;
mod registration;
mod rpc;
mod session;
mod sites;
mod spa;
mod state;
mod tenancy;

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use axum::http;
pub use axum::http::StatusCode;
pub use spa::AUTHORIZE_ROUTE;
pub use state::{RecordedRequest, Stats, TokenRequests};
pub use tenancy::ORGANIZATIONS;

use state::{AppState, Config, Secret, Shared};

/// The OAuth client id accepted unless [`FakeProviderBuilder::client_id`] says otherwise.
pub const DEFAULT_CLIENT_ID: &str = "tasklab-client";
/// The OAuth client secret accepted unless [`FakeProviderBuilder::client_secret`] says otherwise.
pub const DEFAULT_CLIENT_SECRET: &str = "tasklab-test-secret";
/// The API key accepted unless [`FakeProviderBuilder::api_keys`] says otherwise.
pub const DEFAULT_API_KEY: &str = "tasklab-test-key";
/// The scopes the provider knows unless [`FakeProviderBuilder::scopes`] says otherwise.
pub const DEFAULT_SCOPES: [&str; 2] = ["tasks:read", "tasks:write"];
/// The user who approves the consent page when no other name is given.
pub const DEFAULT_USERNAME: &str = "ada";

/// A configured, not yet running, Task Lab provider.
///
/// `FakeProvider::default()` is the same as `FakeProvider::builder().build()`.
#[derive(Clone, Debug)]
pub struct FakeProvider {
    config: Config,
}

impl Default for FakeProvider {
    fn default() -> Self {
        FakeProvider::builder().build()
    }
}

impl FakeProvider {
    /// Starts configuring a provider; every option has a default.
    pub fn builder() -> FakeProviderBuilder {
        FakeProviderBuilder {
            config: Config {
                client_id: DEFAULT_CLIENT_ID.to_owned(),
                client_id_param: "client_id".to_owned(),
                code_param: "code".to_owned(),
                response_type: "code".to_owned(),
                nonce_param: None,
                callback_realm: None,
                callback_token_server: None,
                client_secret: Secret(DEFAULT_CLIENT_SECRET.to_owned()),
                client_assertion_key: None,
                api_keys: vec![Secret(DEFAULT_API_KEY.to_owned())],
                resource_owners: Vec::new(),
                scopes: DEFAULT_SCOPES.iter().map(|s| (*s).to_owned()).collect(),
                access_token_ttl: Duration::from_secs(3600),
                advertised_expires_in: None,
                expires_in_ms: false,
                user_tokens_nested: false,
                code_ttl: Duration::from_secs(60),
                rotate_refresh_tokens: true,
                auto_approve: false,
            },
        }
    }

    /// Binds `127.0.0.1:0` and serves in a background task.
    pub async fn start(self) -> std::io::Result<RunningProvider> {
        let listener = TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0)).await?;
        self.start_on(listener).await
    }

    /// Serves on an already bound listener (e.g. a fixed port for an example).
    ///
    /// The provider's URL uses the listener's local address; a listener bound
    /// to an unspecified address (`0.0.0.0`) is advertised as `127.0.0.1`.
    pub async fn start_on(self, listener: TcpListener) -> std::io::Result<RunningProvider> {
        let mut addr = listener.local_addr()?;
        if addr.ip().is_unspecified() {
            addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
        }
        let url = format!("http://{addr}");
        let state: AppState = Arc::new(Shared::new(self.config, url.clone()));
        let app = router(state.clone());
        let (shutdown, signal) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            // The provider lives as long as the test; an accept error ends it,
            // and callers then see connection errors.
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = signal.await;
                })
                .await;
        });
        Ok(RunningProvider {
            addr,
            url,
            state,
            shutdown: Some(shutdown),
            task: Some(task),
        })
    }
}

fn router(state: AppState) -> Router {
    let api = api::router().layer(axum::middleware::from_fn_with_state(
        state.clone(),
        failure::inject,
    ));
    let site_api = api.clone().layer(axum::middleware::from_fn_with_state(
        state.clone(),
        sites::only_own_site,
    ));
    oauth::router()
        .merge(session::router())
        .merge(sites::router())
        .merge(rpc::router())
        .merge(spa::router())
        .nest("/v1", api)
        .nest("/sites/{site}/v1", site_api)
        .with_state(state)
}

/// Options for a [`FakeProvider`]; get one from [`FakeProvider::builder`].
///
/// `Debug` redacts the client secret and API keys.
#[derive(Clone, Debug)]
pub struct FakeProviderBuilder {
    config: Config,
}

impl FakeProviderBuilder {
    /// The OAuth client id the token and authorization endpoints accept
    /// (default [`DEFAULT_CLIENT_ID`]).
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.config.client_id = client_id.into();
        self
    }

    /// The authorization request's parameter that carries the client id (default
    /// `client_id`), for providers that name it otherwise (`app_id`); `client_id` is then
    /// refused there.
    pub fn client_id_param(mut self, name: impl Into<String>) -> Self {
        self.config.client_id_param = name.into();
        self
    }

    /// The `response_type` the authorization request must carry (default `code`), for
    /// providers that name the authorization code otherwise (Follow Up Boss: `auth_code`).
    pub fn response_type(mut self, value: impl Into<String>) -> Self {
        self.config.response_type = value.into();
        self
    }

    /// Requires the authorization request's parameter `name` (Hubstaff's `nonce`) to carry a
    /// fresh random value: at least 22 characters (128 bits in base64url), never seen before.
    pub fn require_nonce(mut self, name: impl Into<String>) -> Self {
        self.config.nonce_param = Some(name.into());
        self
    }

    /// The callback's parameter that carries the authorization code (default `code`), for
    /// providers that name it otherwise (`auth_code`).
    pub fn code_param(mut self, name: impl Into<String>) -> Self {
        self.config.code_param = name.into();
        self
    }

    /// Adds `realm=<realm>` to the callback's query, as providers do that tell the client
    /// which company or data centre the user chose (a value later requests need).
    pub fn callback_realm(mut self, realm: impl Into<String>) -> Self {
        self.config.callback_realm = Some(realm.into());
        self
    }

    /// Adds `<param>=<server>` to the callback's query: the accounts server of the user's data
    /// centre, where the code is to be exchanged, as providers with data centres send it
    /// (Zoho's `accounts-server`). The server is this provider's own URL, or `server` when
    /// given (to check that a client refuses a server it does not know).
    pub fn callback_token_server(
        mut self,
        param: impl Into<String>,
        server: Option<String>,
    ) -> Self {
        self.config.callback_token_server = Some((param.into(), server));
        self
    }

    /// The OAuth client secret (default [`DEFAULT_CLIENT_SECRET`]).
    pub fn client_secret(mut self, client_secret: impl Into<String>) -> Self {
        self.config.client_secret = Secret(client_secret.into());
        self
    }

    /// The client's public key (PEM: an RSA or P-256/P-384 `PUBLIC KEY`) for client
    /// authentication by signed assertion (`private_key_jwt`, RFC 7523): the token endpoint
    /// then accepts `client_assertion` in place of the client secret, when it verifies with
    /// this key, names the client as `iss` and `sub` and the token URL as `aud`, has not
    /// expired and its `jti` is new.
    pub fn client_assertion_key(mut self, public_pem: impl Into<String>) -> Self {
        self.config.client_assertion_key = Some(public_pem.into());
        self
    }

    /// An account the token endpoint's password grant (RFC 6749 §4.3) accepts; the tokens
    /// are that user's, with a refresh token. Without any, the grant is `unsupported_grant_type`.
    pub fn resource_owner(
        mut self,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        self.config
            .resource_owners
            .push((username.into(), Secret(password.into())));
        self
    }

    /// The API keys the REST API accepts, replacing the default
    /// [`DEFAULT_API_KEY`]. The `n`-th key (from 1) authenticates as user `key-n`.
    pub fn api_keys<I, S>(mut self, keys: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.config.api_keys = keys.into_iter().map(|k| Secret(k.into())).collect();
        self
    }

    /// The scopes the provider knows (default [`DEFAULT_SCOPES`]); asking for
    /// any other is `invalid_scope`. When the provider knows `tasks:read` /
    /// `tasks:write`, task reads / writes require them (403 otherwise).
    pub fn scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.config.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// How long access tokens stay valid (default one hour). A short lifetime
    /// lets tests exercise refresh; `Duration::ZERO` issues tokens that are
    /// already expired.
    pub fn access_token_ttl(mut self, ttl: Duration) -> Self {
        self.config.access_token_ttl = ttl;
        self
    }

    /// Makes token answers claim `expires_in = secs` whatever the tokens' real lifetime, to
    /// test clients against absurd values (`u64::MAX`, 10^12 s).
    pub fn advertise_expires_in(mut self, secs: u64) -> Self {
        self.config.advertised_expires_in = Some(secs);
        self
    }

    /// Makes `POST /oauth/token` answers give `expires_in` in milliseconds, as Fiserv's do,
    /// where RFC 6749 says seconds.
    pub fn expires_in_milliseconds(mut self, ms: bool) -> Self {
        self.config.expires_in_ms = ms;
        self
    }

    /// Makes `POST /oauth/token` answer as Slack does for user tokens: `access_token`,
    /// `token_type` (`user`), `expires_in`, `refresh_token` and `scope` under `authed_user`,
    /// none at the top level, beside `"ok": true` and `"team": {"id": "team-<account>"}`.
    pub fn nested_user_tokens(mut self, nested: bool) -> Self {
        self.config.user_tokens_nested = nested;
        self
    }

    /// How long an authorization code may wait before its exchange (default 60 s).
    pub fn code_ttl(mut self, ttl: Duration) -> Self {
        self.config.code_ttl = ttl;
        self
    }

    /// Whether a refresh returns a new refresh token and retires the old one
    /// (default `true`). When `false`, the refresh token stays valid and token
    /// answers to a refresh carry no `refresh_token`.
    pub fn rotate_refresh_tokens(mut self, rotate: bool) -> Self {
        self.config.rotate_refresh_tokens = rotate;
        self
    }

    /// Skip the consent page (default `false`): `GET /oauth/authorize`
    /// redirects straight back with a code, as a provider does for an app the
    /// user already approved. The user is `login_hint`, or [`DEFAULT_USERNAME`].
    pub fn auto_approve(mut self, auto_approve: bool) -> Self {
        self.config.auto_approve = auto_approve;
        self
    }

    /// Finishes configuring.
    pub fn build(self) -> FakeProvider {
        FakeProvider {
            config: self.config,
        }
    }

    /// Shorthand for `.build().start()`.
    pub async fn start(self) -> std::io::Result<RunningProvider> {
        self.build().start().await
    }
}

/// A provider serving in a background task; dropping it stops the server.
pub struct RunningProvider {
    addr: SocketAddr,
    url: String,
    state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl fmt::Debug for RunningProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunningProvider")
            .field("url", &self.url)
            .field("config", &self.state.config)
            .finish_non_exhaustive()
    }
}

impl RunningProvider {
    /// The root URL, without a trailing slash: `http://127.0.0.1:<port>`.
    ///
    /// This is the `TASKLAB_URL` secret of the demo integrations and the
    /// `instance_url` of token answers.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The REST API base URL: `{url}/v1`.
    pub fn api_url(&self) -> String {
        format!("{}/v1", self.url)
    }

    /// The authorization endpoint: `{url}/oauth/authorize`.
    pub fn authorize_url(&self) -> String {
        format!("{}/oauth/authorize", self.url)
    }

    /// The token endpoint: `{url}/oauth/token`.
    pub fn token_url(&self) -> String {
        format!("{}/oauth/token", self.url)
    }

    /// The dynamic client registration endpoint (RFC 7591): `{url}/oauth/register`.
    pub fn registration_url(&self) -> String {
        format!("{}/oauth/register", self.url)
    }

    /// The socket address the provider listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The OAuth client id it accepts.
    pub fn client_id(&self) -> &str {
        &self.state.config.client_id
    }

    /// The OAuth client secret it accepts (a test value, handed out so tests can configure clients).
    pub fn client_secret(&self) -> &str {
        &self.state.config.client_secret.0
    }

    /// The API keys it accepts, in order (the first is user `key-1`).
    pub fn api_keys(&self) -> Vec<&str> {
        self.state
            .config
            .api_keys
            .iter()
            .map(|k| k.0.as_str())
            .collect()
    }

    /// A snapshot of the counters and last requests.
    pub fn stats(&self) -> Stats {
        self.state.lock().stats.clone()
    }

    /// Makes the next `n` API calls (under `/v1`, whatever their headers) fail
    /// with `status`, for tests where the client cannot set `X-Fake-Fail`.
    /// Failures queue up behind those already planned.
    pub fn fail_next(&self, n: usize, status: StatusCode) {
        self.state
            .lock()
            .planned_failures
            .extend(std::iter::repeat_n(status, n));
    }

    /// Makes the next `n` requests to `POST /oauth/token` fail with `status`
    /// (an OAuth error body: `invalid_grant` for 400, `invalid_client` for 401,
    /// `temporarily_unavailable` with `Retry-After: 1` for 429 and 503,
    /// `server_error` otherwise). They still count in [`Stats::token_requests`].
    pub fn fail_next_token_requests(&self, n: usize, status: StatusCode) {
        self.state
            .lock()
            .planned_token_failures
            .extend(std::iter::repeat_n(status, n));
    }

    /// Delays the next `n` API calls by `delay` before they are answered.
    pub fn delay_next(&self, n: usize, delay: Duration) {
        self.state
            .lock()
            .planned_delays
            .extend(std::iter::repeat_n(delay, n));
    }

    /// Delays the answers of the next `n` token requests by `delay`. The grant is processed
    /// first (codes consumed, refresh tokens rotated), so a client that stops waiting has lost
    /// the new tokens, as with a real provider whose answer is slow.
    pub fn delay_next_token_responses(&self, n: usize, delay: Duration) {
        self.state
            .lock()
            .planned_token_delays
            .extend(std::iter::repeat_n(delay, n));
    }

    /// Revokes every access token: the next bearer call gets 401 with
    /// `WWW-Authenticate: Bearer error="invalid_token"`; refresh tokens still work.
    pub fn revoke_access_tokens(&self) {
        self.state.lock().access_tokens.clear();
    }

    /// Revokes every refresh token: the next refresh gets `invalid_grant`.
    pub fn revoke_refresh_tokens(&self) {
        let mut inner = self.state.lock();
        inner.refresh_tokens.clear();
        inner.session_refresh_tokens.clear();
    }

    /// Stops the server and waits for it to finish.
    pub async fn shutdown(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            // Open keep-alive connections may hold a graceful shutdown; don't wait forever.
            let abort = task.abort_handle();
            if tokio::time::timeout(Duration::from_secs(1), task)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
    }
}

impl Drop for RunningProvider {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
