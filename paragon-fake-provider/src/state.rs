//! The provider's in-memory state: configuration, grants, tasks, stats.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, Method, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

/// A secret string (client secret, API key) that never shows in `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(pub(crate) String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"<redacted>\"")
    }
}

/// What the builder decided; fixed once the provider runs.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    pub(crate) client_id: String,
    /// The authorization request's parameter holding the client id (`client_id`).
    pub(crate) client_id_param: String,
    /// The callback's parameter holding the code (`code`).
    pub(crate) code_param: String,
    /// The `response_type` the authorization request must carry (`code`).
    pub(crate) response_type: String,
    /// An authorization request parameter that must carry a fresh random value, when set.
    pub(crate) nonce_param: Option<String>,
    /// A realm id added to the callback's query (`realm=…`), when set.
    pub(crate) callback_realm: Option<String>,
    /// The callback's parameter naming the server to ask tokens from, and that server (this
    /// provider's own URL when `None`), when set.
    pub(crate) callback_token_server: Option<(String, Option<String>)>,
    pub(crate) client_secret: Secret,
    /// The public key (PEM) that verifies the client's signed assertions (`private_key_jwt`).
    pub(crate) client_assertion_key: Option<String>,
    pub(crate) api_keys: Vec<Secret>,
    /// Accounts the password grant accepts: username and password.
    pub(crate) resource_owners: Vec<(String, Secret)>,
    pub(crate) scopes: Vec<String>,
    pub(crate) access_token_ttl: Duration,
    /// The `expires_in` token answers claim instead of the real lifetime.
    pub(crate) advertised_expires_in: Option<u64>,
    /// Whether token answers give `expires_in` in milliseconds (Fiserv's), not seconds.
    pub(crate) expires_in_ms: bool,
    /// Whether token answers carry the tokens under `authed_user`, beside the account's
    /// `team`, with no top-level `access_token` (Slack's user-token answers).
    pub(crate) user_tokens_nested: bool,
    pub(crate) code_ttl: Duration,
    pub(crate) rotate_refresh_tokens: bool,
    pub(crate) auto_approve: bool,
}

/// Everything the handlers share.
pub(crate) struct Shared {
    pub(crate) config: Config,
    /// The root URL (`http://127.0.0.1:port`), returned as `instance_url`.
    pub(crate) base_url: String,
    inner: Mutex<Inner>,
}

pub(crate) type AppState = Arc<Shared>;

impl Shared {
    pub(crate) fn new(config: Config, base_url: String) -> Self {
        Shared {
            config,
            base_url,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// Locks the state. A handler that panicked mid-update cannot leave the
    /// maps inconsistent in a way that matters to a fake, so poisoning is ignored.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Mutable state behind one lock; every operation is short.
#[derive(Default)]
pub(crate) struct Inner {
    /// Consent pages shown but not yet answered, by anti-forgery id.
    pub(crate) pending: HashMap<String, PendingAuthorization>,
    pub(crate) codes: HashMap<String, CodeGrant>,
    pub(crate) access_tokens: HashMap<String, AccessGrant>,
    pub(crate) refresh_tokens: HashMap<String, RefreshGrant>,
    /// Refresh tokens of `POST /auth/session`, by token: each is single-use.
    pub(crate) session_refresh_tokens: HashMap<String, Principal>,
    /// Clients registered at `POST /oauth/register` (RFC 7591), by client id.
    pub(crate) registered: HashMap<String, RegisteredClient>,
    /// The `jti` of every client assertion accepted: each is single-use.
    pub(crate) assertion_ids: std::collections::HashSet<String>,
    /// Every authorization request nonce seen: each is single-use.
    pub(crate) nonces: std::collections::HashSet<String>,
    /// Tasks by principal id, then by task number (so listing is in creation order).
    pub(crate) tasks: HashMap<String, BTreeMap<u64, Task>>,
    pub(crate) next_task: u64,
    pub(crate) planned_failures: VecDeque<StatusCode>,
    pub(crate) planned_token_failures: VecDeque<StatusCode>,
    pub(crate) planned_delays: VecDeque<Duration>,
    /// Delays applied to token responses after the grant was processed.
    pub(crate) planned_token_delays: VecDeque<Duration>,
    pub(crate) stats: Stats,
}

/// A validated authorization request waiting for the user's decision.
#[derive(Clone)]
pub(crate) struct PendingAuthorization {
    pub(crate) client: Client,
    pub(crate) redirect_uri: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) state: Option<String>,
    pub(crate) code_challenge: Option<String>,
    pub(crate) expires_at: Instant,
}

pub(crate) struct CodeGrant {
    /// The client the code was issued to; only it may redeem the code.
    pub(crate) client_id: String,
    pub(crate) subject: String,
    pub(crate) redirect_uri: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) code_challenge: Option<String>,
    pub(crate) expires_at: Instant,
}

#[derive(Clone)]
pub(crate) struct AccessGrant {
    pub(crate) principal: Principal,
    pub(crate) expires_at: Instant,
}

pub(crate) struct RefreshGrant {
    /// The client the token was issued to; only it may use the token.
    pub(crate) client_id: String,
    pub(crate) subject: String,
    pub(crate) scopes: Vec<String>,
}

/// A client registered at `POST /oauth/register` (RFC 7591).
pub(crate) struct RegisteredClient {
    pub(crate) secret: Secret,
    pub(crate) name: String,
    /// The only redirect URIs its authorization requests may use (exact match).
    pub(crate) redirect_uris: Vec<String>,
}

/// The OAuth client an authorization request is for: its id and the name shown on consent.
#[derive(Clone)]
pub(crate) struct Client {
    pub(crate) id: String,
    pub(crate) name: String,
}

/// Who is calling the API, and how they proved it.
#[derive(Clone, Debug)]
pub(crate) struct Principal {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) email: String,
    pub(crate) auth: AuthKind,
    pub(crate) scopes: Vec<String>,
}

impl Principal {
    /// The end user who approved the consent page as `username`.
    pub(crate) fn user(username: &str, scopes: Vec<String>) -> Self {
        Principal {
            id: username.to_owned(),
            name: username.to_owned(),
            email: format!("{username}@tasklab.test"),
            auth: AuthKind::Oauth,
            scopes,
        }
    }

    /// The service account of the OAuth client (client-credentials grant).
    pub(crate) fn client(client_id: &str, scopes: Vec<String>) -> Self {
        Principal {
            id: format!("client:{client_id}"),
            name: format!("Service account {client_id}"),
            email: "service@tasklab.test".to_owned(),
            auth: AuthKind::ClientCredentials,
            scopes,
        }
    }

    /// The owner of the `index`-th configured API key (0-based).
    pub(crate) fn api_key(index: usize, scopes: Vec<String>) -> Self {
        let n = index + 1;
        Principal {
            id: format!("key-{n}"),
            name: format!("API key {n}"),
            email: format!("key-{n}@tasklab.test"),
            auth: AuthKind::ApiKey,
            scopes,
        }
    }

    pub(crate) fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

/// How the caller's credential was obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum AuthKind {
    Oauth,
    ClientCredentials,
    ApiKey,
}

/// A task, as stored and as sent on the wire.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Task {
    pub(crate) id: String,
    pub(crate) title: String,
    pub(crate) status: TaskStatus,
}

/// The lifecycle of a task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum TaskStatus {
    Todo,
    InProgress,
    Done,
}

impl TaskStatus {
    pub(crate) fn parse(s: &str) -> Option<Self> {
        match s {
            "todo" => Some(TaskStatus::Todo),
            "in_progress" => Some(TaskStatus::InProgress),
            "done" => Some(TaskStatus::Done),
            _ => None,
        }
    }
}

/// A fresh unguessable token with a readable prefix (`tl_at_…`, `tl_rt_…`).
pub(crate) fn new_token(prefix: &str) -> String {
    let bytes: [u8; 24] = rand::random();
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// A snapshot of what the provider has seen, for assertions in tests.
///
/// Get one with [`RunningProvider::stats`](crate::RunningProvider::stats).
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct Stats {
    /// Requests to `POST /oauth/token`, by `grant_type` (failed ones included).
    pub token_requests: TokenRequests,
    /// Token requests answered with an OAuth error.
    pub token_errors: u64,
    /// Clients registered at `POST /oauth/register` (RFC 7591).
    pub registrations: u64,
    /// Requests under `/v1`, including injected failures and rejected credentials.
    pub api_calls: u64,
    /// The most recent request under `/v1`, as received.
    pub last_api_request: Option<RecordedRequest>,
    /// The most recent request to `POST /oauth/token`, as received.
    pub last_token_request: Option<RecordedRequest>,
}

/// Token-endpoint requests counted by `grant_type`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenRequests {
    /// `grant_type=authorization_code`.
    pub authorization_code: u64,
    /// `grant_type=refresh_token`.
    pub refresh_token: u64,
    /// `grant_type=client_credentials`.
    pub client_credentials: u64,
    /// `grant_type=password`.
    pub password: u64,
    /// Any other or missing `grant_type`.
    pub other: u64,
    /// Requests to `POST /auth/session` (the token exchange), failed ones included.
    pub session: u64,
    /// Session renewals with a session refresh token (`POST /auth/session` with a bearer
    /// refresh token, or `POST /auth/session/refresh`), failed ones included.
    pub session_refresh: u64,
}

/// A request as the provider received it.
///
/// `Debug` shows header names and the body length only, since headers and
/// bodies carry credentials.
#[derive(Clone)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// The HTTP method.
    pub method: Method,
    /// The path as sent, still percent-encoded (`/v1/tasks/a%2Fb`).
    pub path: String,
    /// The raw query string, without `?`.
    pub query: Option<String>,
    /// Every header, as received.
    pub headers: HeaderMap,
    /// The body bytes.
    pub body: Vec<u8>,
}

impl RecordedRequest {
    /// The first value of header `name` (case-insensitive), if present and visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl fmt::Debug for RecordedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.keys().map(|k| k.as_str()).collect();
        f.debug_struct("RecordedRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query.as_ref().map(|_| "<redacted>"))
            .field("header_names", &names)
            .field("body_len", &self.body.len())
            .finish()
    }
}
