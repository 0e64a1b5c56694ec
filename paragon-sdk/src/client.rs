//! `Paragon`, its builder, and the one place requests are sent (auth, retries, timeouts, traces).

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Request, header};
use http_body_util::{BodyExt, Full};
use hyper::body::{Body as _, Incoming};
use tokio::time::Instant as Deadline;
use tracing::Instrument;

use crate::config::{self, ServiceUrls};
use crate::error::{Error, Result, Route, classify};
use crate::request::ProxyRequest;
use crate::retry::{self, RetryPolicy};
use crate::token::{Bearer, Permissions, SigningKey, TokenCache, TokenOptions, UserToken, bearer};
use crate::transport::{self, Transport};

/// Connections that take longer than this to open fail.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Each attempt, body included, must finish within this (Paragon's workflow limit is 55 s).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Bodies of successful answers larger than this are refused (see
/// [`ParagonBuilder::max_response_body`]); streaming with `bytes_stream` is not limited.
pub const DEFAULT_MAX_RESPONSE_BODY: usize = 64 * 1024 * 1024;

const SDK_VERSION: &str = concat!("rust-", env!("CARGO_PKG_VERSION"));

/// Paragon's own headers, parsed once.
pub(crate) mod headers {
    use http::HeaderName;

    pub(crate) const SDK_VERSION: HeaderName = HeaderName::from_static("x-paragon-sdk-version");
    pub(crate) const CREDENTIAL: HeaderName = HeaderName::from_static("x-paragon-credential");
    pub(crate) const CONFIGURATION_ID: HeaderName =
        HeaderName::from_static("x-paragon-configuration-id");
    pub(crate) const USE_RAW_RESPONSE: HeaderName =
        HeaderName::from_static("x-paragon-use-raw-response");
    pub(crate) const PROXY_URL: HeaderName = HeaderName::from_static("x-paragon-proxy-url");
}

/// A client of Paragon's Connect API, acting for one user (or, with a signing key, for any).
///
/// Cheap to clone: clones share the connection pool, the signing key and the token cache.
///
/// ```no_run
/// use paragon_sdk::{Method, Paragon};
/// # async fn run() -> paragon_sdk::Result<()> {
/// // A user token from your front end; project id and URLs from the environment.
/// let paragon = Paragon::new(std::env::var("PARAGON_USER_TOKEN").unwrap_or_default());
/// let me: serde_json::Value = paragon.request("custom.github", Method::GET, "/user").await?.json().await?;
/// # let _ = me; Ok(()) }
/// ```
#[derive(Clone)]
pub struct Paragon {
    inner: Arc<Inner>,
    user: Option<Arc<str>>,
}

impl std::fmt::Debug for Paragon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("Paragon");
        match &self.inner.settings {
            Ok(s) => d
                .field("project_id", &s.project_id)
                .field("urls", &s.urls)
                .field("has_token", &s.token.is_some())
                .field("has_signing_key", &s.signing_key.is_some()),
            Err(e) => d.field("config_error", e),
        };
        d.field("user", &self.user).finish()
    }
}

struct Inner {
    settings: std::result::Result<Settings, (String, String)>,
    cache: TokenCache,
    integration_ids: crate::api::IntegrationIds,
}

pub(crate) struct Settings {
    http: Transport,
    project_id: Option<String>,
    project_id_hint: &'static str,
    urls: ServiceUrls,
    token: Option<Bearer>,
    signing_key: Option<SigningKey>,
    default_user: Option<String>,
    token_options: TokenOptions,
    retry: RetryPolicy,
    timeout: Duration,
    max_body: usize,
}

impl Paragon {
    /// A client acting with `token`, a Paragon User Token. The project id and service URLs come
    /// from the environment (`PARAGON_PROJECT_ID`, `PARAGON_HOST`, `PARAGON_*_URL`); without
    /// `PARAGON_PROJECT_ID` the project is read from the token's `aud` claim.
    ///
    /// Never fails: a configuration problem is returned as [`Error::Config`] by the first call.
    pub fn new(token: impl Into<String>) -> Paragon {
        Paragon::builder().user_token(token).build_deferred()
    }

    /// A client configured entirely from the environment: `PARAGON_PROJECT_ID`, then
    /// `PARAGON_USER_TOKEN` or `PARAGON_SIGNING_KEY`/`PARAGON_SIGNING_KEY_FILE` with
    /// `PARAGON_USER_ID`, and the service URLs.
    ///
    /// Never fails: a configuration problem is returned as [`Error::Config`] by the first call.
    pub fn from_env() -> Paragon {
        Paragon::builder().build_deferred()
    }

    /// A builder. Settings it does not set are read from the environment (see [`Paragon::from_env`])
    /// unless [`ParagonBuilder::ignore_env`] is called.
    pub fn builder() -> ParagonBuilder {
        ParagonBuilder::default()
    }

    /// A handle acting for `user_id`: its requests carry a token minted for that user with the
    /// signing key (cached, re-minted before expiry). Cheap; shares this client's pool and cache.
    pub fn user(&self, user_id: impl Into<String>) -> Paragon {
        Paragon {
            inner: self.inner.clone(),
            user: Some(Arc::from(user_id.into())),
        }
    }

    /// The integration ids this client has looked up, shared with its [`Paragon::user`] handles.
    pub(crate) fn integration_ids(&self) -> &crate::api::IntegrationIds {
        &self.inner.integration_ids
    }

    /// The user this handle acts for, when it names one.
    pub fn user_id(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// A proxy request to `integration`'s API (`custom.tasklab`, `salesforce`, `custom/<uuid>`) at `path`.
    /// Await it, or call [`ProxyRequest::send`].
    pub fn request(
        &self,
        integration: impl Into<String>,
        method: Method,
        path: impl Into<String>,
    ) -> ProxyRequest {
        ProxyRequest::new(self.clone(), integration.into(), method, path.into())
    }

    /// The token this handle sends: the configured one, or one minted for its user (cached).
    pub fn user_token(&self) -> Result<UserToken> {
        Ok(self.auth()?.0.clone())
    }

    /// The project id.
    pub fn project_id(&self) -> Result<&str> {
        let s = self.settings()?;
        s.project_id.as_deref().ok_or_else(|| {
            Error::config(
                config::ENV_PROJECT_ID,
                format!(
                    "no project id: set {} or {}",
                    config::ENV_PROJECT_ID,
                    s.project_id_hint
                ),
            )
        })
    }

    /// The service URLs in use.
    pub fn urls(&self) -> Result<&ServiceUrls> {
        Ok(&self.settings()?.urls)
    }

    /// The OAuth redirect URL to register with providers: `{passport}/oauth`.
    pub fn oauth_redirect_url(&self) -> Result<String> {
        Ok(config::join(&self.settings()?.urls.passport, "/oauth"))
    }

    /// The size limit for bodies of successful answers.
    pub(crate) fn max_body(&self) -> usize {
        self.settings()
            .map_or(DEFAULT_MAX_RESPONSE_BODY, |s| s.max_body)
    }

    pub(crate) fn settings(&self) -> Result<&Settings> {
        self.inner
            .settings
            .as_ref()
            .map_err(|(setting, message)| Error::config(setting.clone(), message.clone()))
    }

    /// The token and its ready `Authorization` value.
    pub(crate) fn auth(&self) -> Result<Bearer> {
        let s = self.settings()?;
        let user = self.user.as_deref().or(if s.token.is_some() {
            None
        } else {
            s.default_user.as_deref()
        });
        match (user, &s.signing_key, &s.token) {
            (Some(user), Some(key), _) => {
                self.inner
                    .cache
                    .get(key, self.project_id()?, user, &s.token_options)
            }
            (Some(_), None, _) => Err(Error::config(
                config::ENV_SIGNING_KEY,
                format!(
                    "acting for a user needs the project's signing key: set {} (or {}) or call ParagonBuilder::signing_key",
                    config::ENV_SIGNING_KEY,
                    config::ENV_SIGNING_KEY_FILE
                ),
            )),
            (None, _, Some(token)) => Ok(token.clone()),
            (None, Some(_), None) => Err(Error::config(
                config::ENV_USER_ID,
                format!(
                    "a signing key is configured but no user: call `.user(id)` or set {}",
                    config::ENV_USER_ID
                ),
            )),
            (None, None, None) => Err(Error::config(
                config::ENV_USER_TOKEN,
                format!(
                    "no credentials: pass a user token to Paragon::new, set {}, or set {} and {}",
                    config::ENV_USER_TOKEN,
                    config::ENV_SIGNING_KEY,
                    config::ENV_USER_ID
                ),
            )),
        }
    }

    /// The URL of a Paragon API path on `service`, with the project prefix.
    pub(crate) fn service_url(&self, service: Service, path: &str) -> Result<String> {
        let s = self.settings()?;
        let base = match service {
            Service::Api => &s.urls.api,
            Service::Events => &s.urls.events,
            Service::ActionKit => &s.urls.actionkit,
        };
        Ok(config::join(base, path))
    }

    /// Sends one logical call (with retries) and returns the 2xx answer; a non-2xx answer
    /// becomes the matching [`Error`].
    pub(crate) async fn execute(&self, call: Call) -> Result<Answer> {
        let span = tracing::info_span!(
            "paragon.request",
            integration = call.integration.as_deref().unwrap_or(""),
            method = %call.method,
            path = %call.trace_path,
            status = tracing::field::Empty,
            attempts = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        );
        self.execute_inner(call, span.clone())
            .instrument(span)
            .await
    }

    async fn execute_inner(&self, call: Call, span: tracing::Span) -> Result<Answer> {
        let started = Instant::now();
        let s = self.settings()?;
        let auth = self.auth()?;
        let uri = transport::uri(&call.url)
            .map_err(|e| Error::InvalidRequest(format!("bad URL: {e}")))?;

        let mut headers = call.headers;
        headers.insert(header::AUTHORIZATION, auth.1.clone());
        // A caller's own `Accept` (a generated client's `send_sarif()`-style call) asks for
        // another media type; JSON is only the default.
        headers
            .entry(header::ACCEPT)
            .or_insert(HeaderValue::from_static("application/json"));
        headers.insert(
            self::headers::SDK_VERSION,
            HeaderValue::from_static(SDK_VERSION),
        );
        let timeout = call.timeout.unwrap_or(s.timeout);
        // A body in memory can be sent again; a stream only once.
        let (bytes, mut stream) = match call.body {
            CallBody::Empty => (Some(Bytes::new()), None),
            CallBody::Bytes(bytes) => (Some(bytes), None),
            CallBody::Stream(body) => (None, Some(body)),
        };
        let policy = call.retry.as_ref().unwrap_or(&s.retry);
        let idempotent = call
            .idempotent
            .unwrap_or_else(|| is_idempotent(&call.method));
        let retries_allowed = bytes.is_some() && idempotent && policy.attempts() > 1;

        let mut attempt = 0u32;
        let result = loop {
            attempt += 1;
            let body = match (&bytes, stream.take()) {
                (Some(bytes), _) => Full::new(bytes.clone())
                    .map_err(|never| match never {})
                    .boxed_unsync(),
                (None, Some(stream)) => stream,
                // Unreachable: without `bytes` there are no retries, so one attempt.
                (None, None) => {
                    break Err(Error::InvalidRequest("the body was already sent".into()));
                }
            };
            let mut request = Request::new(body);
            *request.method_mut() = call.method.clone();
            *request.uri_mut() = uri.clone();
            *request.headers_mut() = if retries_allowed {
                headers.clone()
            } else {
                std::mem::take(&mut headers)
            };
            let deadline = Deadline::now() + timeout;
            let outcome = match tokio::time::timeout_at(deadline, s.http.send(request)).await {
                Err(_) => Err((Error::timeout(timeout), None)),
                Ok(Err(e)) => Err((Error::from_transport(e), None)),
                Ok(Ok(res)) if res.status().is_success() => Ok(Answer {
                    response: res,
                    deadline,
                }),
                Ok(Ok(res)) => {
                    let status = res.status();
                    let headers = res.headers().clone();
                    let retry_after = retry::retry_after(&headers);
                    let body = read_error_body(res.into_body(), deadline).await;
                    Err((
                        classify(call.route, status, &headers, body, retry_after),
                        retry_after,
                    ))
                }
            };
            match outcome {
                Ok(answer) => break Ok(answer),
                Err((error, retry_after)) => {
                    let wait = match (retries_allowed, error.is_retryable()) {
                        (true, true) => policy.delay(attempt, started.elapsed(), retry_after),
                        _ => None,
                    };
                    match wait {
                        Some(wait) => {
                            tracing::debug!(attempt, ?wait, error = %error, "retrying");
                            tokio::time::sleep(wait).await;
                        }
                        None => break Err(error),
                    }
                }
            }
        };

        let status = match &result {
            Ok(answer) => Some(answer.response.status()),
            Err(e) => e.status(),
        };
        if let Some(status) = status {
            span.record("status", status.as_u16());
        }
        span.record("attempts", attempt);
        span.record("latency_ms", started.elapsed().as_secs_f64() * 1000.0);
        if let Err(e) = &result {
            tracing::debug!(error = %e, "request failed");
        }
        result
    }

    /// A JSON call to one of Paragon's own APIs; `T` is decoded from the body as is.
    pub(crate) async fn api_call<T: serde::de::DeserializeOwned>(&self, call: Call) -> Result<T> {
        let res = self.execute(call).await?;
        let body = read_body(res, self.max_body()).await?;
        crate::response::decode_json(&body)
    }
}

/// Error bodies are kept up to this size (the rest is dropped): enough for any error document,
/// bounded against a misbehaving server.
const MAX_ERROR_BODY: usize = 1 << 20;

/// A successful answer whose body is still to be read, within the attempt's deadline.
pub(crate) struct Answer {
    pub(crate) response: http::Response<Incoming>,
    pub(crate) deadline: Deadline,
}

/// Reads a successful answer's body, refusing one larger than `limit` bytes (by its declared
/// length before reading, or once the limit is passed).
pub(crate) async fn read_body(answer: Answer, limit: usize) -> Result<Bytes> {
    let mut body = answer.response.into_body();
    if body.size_hint().lower() > limit as u64 {
        return Err(Error::BodyTooLarge { limit });
    }
    let mut out = bytes::BytesMut::new();
    while let Some(chunk) = next_chunk(&mut body, answer.deadline).await? {
        if out.len() + chunk.len() > limit {
            return Err(Error::BodyTooLarge { limit });
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out.freeze())
}

/// The next piece of data of `body` (trailers are skipped); `None` at its end.
pub(crate) async fn next_chunk(body: &mut Incoming, deadline: Deadline) -> Result<Option<Bytes>> {
    loop {
        let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
            Err(_) => {
                return Err(Error::Timeout(
                    "the answer's body did not arrive in time".into(),
                ));
            }
            Ok(None) => return Ok(None),
            Ok(Some(frame)) => frame.map_err(|e| Error::Transport(Box::new(e)))?,
        };
        if let Ok(data) = frame.into_data() {
            return Ok(Some(data));
        }
    }
}

async fn read_error_body(mut body: Incoming, deadline: Deadline) -> Bytes {
    let mut out = bytes::BytesMut::new();
    while let Ok(Some(chunk)) = next_chunk(&mut body, deadline).await {
        let room = MAX_ERROR_BODY - out.len();
        out.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if out.len() >= MAX_ERROR_BODY {
            break;
        }
    }
    out.freeze()
}

fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS | Method::TRACE
    )
}

/// Paragon's services.
#[derive(Clone, Copy)]
pub(crate) enum Service {
    Api,
    Events,
    ActionKit,
}

/// A request body.
pub(crate) enum CallBody {
    Empty,
    Bytes(Bytes),
    Stream(transport::Body),
}

/// One logical call, before auth and retries.
pub(crate) struct Call {
    pub(crate) route: Route,
    pub(crate) method: Method,
    pub(crate) url: String,
    pub(crate) trace_path: String,
    pub(crate) integration: Option<String>,
    pub(crate) headers: HeaderMap,
    pub(crate) body: CallBody,
    pub(crate) idempotent: Option<bool>,
    pub(crate) retry: Option<RetryPolicy>,
    pub(crate) timeout: Option<Duration>,
}

impl Call {
    /// A call to a Paragon API at `url`; `path` (no query) is what traces show.
    pub(crate) fn api(method: Method, url: String, path: &str) -> Call {
        Call {
            route: Route::Api,
            method,
            url,
            trace_path: path.to_owned(),
            integration: None,
            headers: HeaderMap::new(),
            body: CallBody::Empty,
            idempotent: None,
            retry: None,
            timeout: None,
        }
    }

    /// A JSON body.
    pub(crate) fn json<B: serde::Serialize + ?Sized>(mut self, body: &B) -> Result<Call> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| Error::InvalidRequest(format!("cannot encode the JSON body: {e}")))?;
        self.headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        self.body = CallBody::Bytes(bytes.into());
        Ok(self)
    }

    /// One header set by the SDK; the value is checked.
    pub(crate) fn header(mut self, name: http::HeaderName, value: &str) -> Result<Call> {
        let v = HeaderValue::from_str(value).map_err(|_| {
            Error::InvalidRequest(format!(
                "value for header {name} contains characters not allowed in a header"
            ))
        })?;
        self.headers.insert(name, v);
        Ok(self)
    }
}

/// Builds a [`Paragon`]. Unset settings come from the environment unless
/// [`ignore_env`](ParagonBuilder::ignore_env) is called; then cloud defaults apply.
///
/// ```no_run
/// use paragon_sdk::{Paragon, SigningKey};
/// # fn main() -> paragon_sdk::Result<()> {
/// let pem = std::fs::read_to_string("signing-key.pem").unwrap();
/// let paragon = Paragon::builder()
///     .project_id("6a1c1d3e-0000-0000-0000-000000000000")
///     .signing_key(SigningKey::from_pem(&pem)?)
///     .build()?;
/// let alice = paragon.user("alice");
/// # let _ = alice; Ok(()) }
/// ```
#[derive(Debug, Default)]
#[must_use]
pub struct ParagonBuilder {
    project_id: Option<String>,
    token: Option<UserToken>,
    signing_key: Option<SigningKey>,
    user_id: Option<String>,
    host: Option<String>,
    base_url: Option<String>,
    overrides: Vec<(UrlSlot, String)>,
    token_options: TokenOptions,
    retry: Option<RetryPolicy>,
    connect_timeout: Option<Duration>,
    timeout: Option<Duration>,
    no_proxy: bool,
    ignore_env: bool,
    max_body: Option<usize>,
}

#[derive(Debug, Clone, Copy)]
enum UrlSlot {
    Api,
    Proxy,
    Events,
    ActionKit,
    Passport,
}

impl ParagonBuilder {
    /// The Paragon project id.
    pub fn project_id(mut self, id: impl Into<String>) -> Self {
        self.project_id = Some(id.into());
        self
    }

    /// A ready-made user token (for one user).
    pub fn user_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(UserToken::new(token));
        self
    }

    /// The project's signing key, to mint tokens for any user ([`Paragon::user`]).
    pub fn signing_key(mut self, key: SigningKey) -> Self {
        self.signing_key = Some(key);
        self
    }

    /// The user to act for when a handle names none (as `PARAGON_USER_ID`).
    pub fn user_id(mut self, id: impl Into<String>) -> Self {
        self.user_id = Some(id.into());
        self
    }

    /// An on-prem installation's host (see [`ServiceUrls::on_prem`]).
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = Some(host.into());
        self
    }

    /// Every service at one URL (a local Connect server).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The api (zeus) service URL.
    pub fn api_url(mut self, url: impl Into<String>) -> Self {
        self.overrides.push((UrlSlot::Api, url.into()));
        self
    }

    /// The proxy service URL.
    pub fn proxy_url(mut self, url: impl Into<String>) -> Self {
        self.overrides.push((UrlSlot::Proxy, url.into()));
        self
    }

    /// The events (hermes) service URL.
    pub fn events_url(mut self, url: impl Into<String>) -> Self {
        self.overrides.push((UrlSlot::Events, url.into()));
        self
    }

    /// The ActionKit service URL.
    pub fn actionkit_url(mut self, url: impl Into<String>) -> Self {
        self.overrides.push((UrlSlot::ActionKit, url.into()));
        self
    }

    /// The passport (OAuth redirect) service URL.
    pub fn passport_url(mut self, url: impl Into<String>) -> Self {
        self.overrides.push((UrlSlot::Passport, url.into()));
        self
    }

    /// Lifetime of minted tokens (default one hour).
    pub fn token_ttl(mut self, ttl: Duration) -> Self {
        self.token_options = self.token_options.ttl(ttl);
        self
    }

    /// The permissions claim of minted tokens.
    pub fn permissions(mut self, permissions: Permissions) -> Self {
        self.token_options = self.token_options.permissions(permissions);
        self
    }

    /// An extra claim in minted tokens.
    pub fn claim(mut self, name: impl Into<String>, value: impl Into<serde_json::Value>) -> Self {
        self.token_options = self.token_options.claim(name, value);
        self
    }

    /// All token options at once.
    pub fn token_options(mut self, options: TokenOptions) -> Self {
        self.token_options = options;
        self
    }

    /// The retry policy (default: [`RetryPolicy::new`]).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// How long opening a connection may take (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// How long each attempt may take, body included (default 60 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The largest body of a successful answer read by `json`, `bytes`, `text` and the typed
    /// API calls (default [`DEFAULT_MAX_RESPONSE_BODY`]); a larger one is
    /// [`Error::BodyTooLarge`]. `bytes_stream` is not limited.
    pub fn max_response_body(mut self, bytes: usize) -> Self {
        self.max_body = Some(bytes);
        self
    }

    /// Ignores the proxy settings of the environment (`HTTPS_PROXY`, `HTTP_PROXY`,
    /// `ALL_PROXY`, `NO_PROXY`), which are otherwise honoured: requests go straight to Paragon.
    /// Proxies are reached over plain HTTP (`http://proxy:3128`); an https destination goes
    /// through a `CONNECT` tunnel, with the proxy URL's user and password as Basic credentials.
    pub fn no_proxy(mut self) -> Self {
        self.no_proxy = true;
        self
    }

    /// Reads nothing from the environment: unset settings take cloud defaults.
    pub fn ignore_env(mut self) -> Self {
        self.ignore_env = true;
        self
    }

    /// Builds the client; a missing or malformed setting is an [`Error::Config`] naming it.
    pub fn build(self) -> Result<Paragon> {
        let settings = self.settings()?;
        Ok(Paragon {
            inner: Arc::new(Inner {
                settings: Ok(settings),
                cache: TokenCache::default(),
                integration_ids: Default::default(),
            }),
            user: None,
        })
    }

    fn build_deferred(self) -> Paragon {
        let settings = self.settings().map_err(|e| match e {
            Error::Config { setting, message } => (setting, message),
            other => ("configuration".to_owned(), other.to_string()),
        });
        Paragon {
            inner: Arc::new(Inner {
                settings,
                cache: TokenCache::default(),
                integration_ids: Default::default(),
            }),
            user: None,
        }
    }

    fn settings(self) -> Result<Settings> {
        let env = |name: &str| {
            if self.ignore_env {
                Ok(None)
            } else {
                config::env_var(name)
            }
        };

        let mut urls = match (&self.base_url, &self.host) {
            (Some(base), _) => ServiceUrls::all_at(base)?,
            (None, Some(host)) => ServiceUrls::on_prem(host)?,
            (None, None) if self.ignore_env => ServiceUrls::cloud(),
            (None, None) => config::urls_from_env()?,
        };
        for (service, url) in &self.overrides {
            let (slot, setting) = match service {
                UrlSlot::Api => (&mut urls.api, "api_url"),
                UrlSlot::Proxy => (&mut urls.proxy, "proxy_url"),
                UrlSlot::Events => (&mut urls.events, "events_url"),
                UrlSlot::ActionKit => (&mut urls.actionkit, "actionkit_url"),
                UrlSlot::Passport => (&mut urls.passport, "passport_url"),
            };
            *slot = config::parse_url(url, setting)?;
        }

        let mut token = self.token;
        let mut signing_key = self.signing_key;
        if token.is_none() && signing_key.is_none() {
            if let Some(pem) = env(config::ENV_SIGNING_KEY)? {
                signing_key = Some(SigningKey::from_pem_for(&pem, config::ENV_SIGNING_KEY)?);
            } else if let Some(path) = env(config::ENV_SIGNING_KEY_FILE)? {
                signing_key = Some(SigningKey::from_pem_file_for(
                    path.as_ref(),
                    config::ENV_SIGNING_KEY_FILE,
                )?);
            }
            token = env(config::ENV_USER_TOKEN)?.map(UserToken::new);
        }
        let token = match token {
            Some(t) if t.expose().trim().is_empty() => {
                return Err(Error::config(
                    config::ENV_USER_TOKEN,
                    "the user token is empty",
                ));
            }
            Some(t) => {
                let header = bearer(&t).map_err(|_| {
                    Error::config(
                        config::ENV_USER_TOKEN,
                        "the user token has characters not allowed in a header",
                    )
                })?;
                Some(Arc::new((t, header)))
            }
            None => None,
        };

        let mut project_id = match self.project_id {
            Some(id) => Some(id),
            None => env(config::ENV_PROJECT_ID)?,
        };
        if project_id.is_none() {
            project_id = token.as_ref().and_then(|b| project_from_token(&b.0));
        }
        if let Some(id) = &project_id {
            crate::path::id("project id", id).map_err(|_| {
                Error::config(
                    config::ENV_PROJECT_ID,
                    format!("{id:?} is not a project id (letters, digits, '-')"),
                )
            })?;
        }
        let default_user = match self.user_id {
            Some(u) => Some(u),
            None => env(config::ENV_USER_ID)?,
        };

        // Paragon's API never redirects, and the transport follows none: following one would
        // resend the user token and the body wherever a provider's answer points (a raw-mode
        // 307 to another integration's proxy path). A 3xx reaches the caller instead.
        let http = Transport::new(&transport::Options {
            connect_timeout: self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT),
            env_proxies: !self.no_proxy,
        })
        .map_err(|e| Error::config("http_client", format!("cannot create the HTTP client: {e}")))?;
        Ok(Settings {
            http,
            project_id,
            project_id_hint: "call ParagonBuilder::project_id",
            urls,
            token,
            signing_key,
            default_user,
            token_options: self.token_options,
            retry: self.retry.unwrap_or_default(),
            timeout: self.timeout.unwrap_or(DEFAULT_TIMEOUT),
            max_body: self.max_body.unwrap_or(DEFAULT_MAX_RESPONSE_BODY),
        })
    }
}

/// The project id in a token's `aud` claim (`useparagon.com/{projectId}`), read without
/// verification: it only picks the URL, Paragon verifies the token.
fn project_from_token(token: &UserToken) -> Option<String> {
    let claims = crate::token::unverified_claims(token.expose())?;
    let aud = match claims.get("aud")? {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(items) => items.iter().find_map(|v| v.as_str())?.to_owned(),
        _ => return None,
    };
    aud.strip_prefix("useparagon.com/").map(str::to_owned)
}
