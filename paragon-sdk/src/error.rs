//! The one error type of the SDK, and the parsed form of Paragon's error bodies.

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// Shorthand for `Result<T, paragon_sdk::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong when talking to Paragon.
///
/// Match on the variant to decide what to do; [`Error::status`] and [`Error::retry_after`]
/// answer the common questions without a match. New variants may be added, so keep a `_` arm.
///
/// No variant ever carries a token or a signing key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The SDK is not configured to make this call: a missing or malformed setting.
    /// `setting` names the environment variable or builder method to fix.
    #[error("configuration: {setting}: {message}")]
    Config {
        /// The environment variable (`PARAGON_PROJECT_ID`) or builder method (`project_id`).
        setting: String,
        /// What is wrong with it.
        message: String,
    },
    /// The request was refused before it left: an unsafe path, header or identifier.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// Paragon refused the user token (401/403): invalid, expired, or for another project.
    #[error("unauthorized ({}): {}", .0.status, .0.message)]
    Unauthorized(Box<ApiError>),
    /// The integration is not enabled (connected) for this user.
    #[error("integration not enabled for this user: {}", .0.message)]
    IntegrationNotEnabled(Box<ApiError>),
    /// The token's permissions claim forbids this call (Paragon code 7210).
    #[error("permission denied: {}", .0.message)]
    PermissionDenied(Box<ApiError>),
    /// Paragon answered 404 for a Paragon resource (user, credential, workflow, ...).
    #[error("not found: {}", .0.message)]
    NotFound(Box<ApiError>),
    /// Too many requests (429), after the retry policy gave up.
    #[error("rate limited{}", .retry_after.map(|d| format!(" (retry after {:.1}s)", d.as_secs_f64())).unwrap_or_default())]
    RateLimited {
        /// The delay the server asked for (`Retry-After`), if it sent one.
        retry_after: Option<Duration>,
        /// The parsed error body.
        error: Box<ApiError>,
    },
    /// The third-party provider answered with an error through the proxy
    /// (a non-2xx proxied answer, or a Paragon error with `meta.isIntegrationError`).
    #[error("provider error: HTTP {status}{}", snippet_suffix(.body))]
    Provider {
        /// The HTTP status of the answer.
        status: StatusCode,
        /// Its headers.
        headers: Box<HeaderMap>,
        /// Its body, as received (decode it with [`Error::provider_json`]).
        body: Bytes,
    },
    /// Paragon failed (5xx).
    #[error("Paragon server error ({}): {}", .0.status, .0.message)]
    Server(Box<ApiError>),
    /// Paragon rejected the request (another 4xx, e.g. a 400 with validation errors).
    #[error("request rejected ({}): {}", .0.status, .0.message)]
    Api(Box<ApiError>),
    /// The request did not complete in time (connect or total timeout).
    #[error("timed out: {0}")]
    Timeout(String),
    /// The connection failed (DNS, refused, reset, TLS). The source is the HTTP stack's error.
    #[error("transport: {0}")]
    Transport(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A successful answer's body is larger than the limit
    /// ([`ParagonBuilder::max_response_body`](crate::ParagonBuilder::max_response_body)).
    #[error(
        "the answer's body is larger than the {limit}-byte limit (ParagonBuilder::max_response_body; bytes_stream reads without one)"
    )]
    BodyTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The answer could not be decoded into the expected type.
    #[error("decode: {message}; body starts with: {snippet:?}")]
    Decode {
        /// What failed.
        message: String,
        /// The first bytes of the body, lossily as text.
        snippet: String,
    },
}

fn snippet_suffix(body: &Bytes) -> String {
    if body.is_empty() {
        String::new()
    } else {
        format!(": {}", snippet(body))
    }
}

/// The first 200 characters of a body, lossily decoded.
pub(crate) fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(800)]);
    text.chars().take(200).collect()
}

impl Error {
    /// The HTTP status behind this error, when there was an answer.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Unauthorized(e)
            | Error::IntegrationNotEnabled(e)
            | Error::PermissionDenied(e)
            | Error::NotFound(e)
            | Error::Server(e)
            | Error::Api(e)
            | Error::RateLimited { error: e, .. } => Some(e.status),
            Error::Provider { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The delay the server asked to wait before retrying (429 with `Retry-After`).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The parsed Paragon error body, when Paragon produced one.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Error::Unauthorized(e)
            | Error::IntegrationNotEnabled(e)
            | Error::PermissionDenied(e)
            | Error::NotFound(e)
            | Error::Server(e)
            | Error::Api(e)
            | Error::RateLimited { error: e, .. } => Some(e),
            _ => None,
        }
    }

    /// The provider's status and body, for [`Error::Provider`].
    pub fn provider_response(&self) -> Option<(StatusCode, &Bytes)> {
        match self {
            Error::Provider { status, body, .. } => Some((*status, body)),
            _ => None,
        }
    }

    /// Decodes the provider's error body as `T` (unwrapping a `{"output": …}` envelope).
    /// `None` when this is not a provider error or the body is not a `T`.
    pub fn provider_json<T: DeserializeOwned>(&self) -> Option<T> {
        let (_, body) = self.provider_response()?;
        crate::response::decode_output(body).ok()
    }

    /// Whether the retry policy may try again after this error.
    pub(crate) fn is_retryable(&self) -> bool {
        match self {
            // Raised while sending: the request did not get an answer.
            Error::Transport(_) => true,
            Error::RateLimited { .. } => true,
            _ => matches!(
                self.status(),
                Some(
                    StatusCode::BAD_GATEWAY
                        | StatusCode::SERVICE_UNAVAILABLE
                        | StatusCode::GATEWAY_TIMEOUT
                )
            ),
        }
    }

    pub(crate) fn config(setting: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Config {
            setting: setting.into(),
            message: message.into(),
        }
    }

    pub(crate) fn decode(message: impl std::fmt::Display, body: &[u8]) -> Self {
        Error::Decode {
            message: message.to_string(),
            snippet: snippet(body),
        }
    }

    /// The attempt took longer than its timeout.
    pub(crate) fn timeout(timeout: Duration) -> Self {
        Error::Timeout(format!("no answer within {timeout:?}"))
    }

    /// A failure of the HTTP stack; a connection attempt that timed out is a [`Error::Timeout`].
    /// Its message never carries the URL, whose query may hold values that are not for logs.
    pub(crate) fn from_transport(e: hyper_util::client::legacy::Error) -> Self {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
        while let Some(s) = source {
            if s.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
            {
                return Error::Timeout(format!("could not connect: {s}"));
            }
            source = s.source();
        }
        Error::Transport(Box::new(e))
    }
}

/// Paragon's error body: `{"message", "code", "status", "meta"}`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ApiError {
    /// The HTTP status of the answer.
    pub status: StatusCode,
    /// The message (validation messages joined with `; ` when Paragon sent a list).
    pub message: String,
    /// Paragon's error code (`integration_not_enabled`, `7210`, ...), when present.
    pub code: Option<String>,
    /// The individual validation errors when `message` was a list (400).
    pub details: Vec<serde_json::Value>,
    /// The `meta` object, when present.
    pub meta: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct RawErrorBody {
    message: Option<serde_json::Value>,
    error: Option<serde_json::Value>,
    code: Option<serde_json::Value>,
    status: Option<serde_json::Value>,
    meta: Option<serde_json::Value>,
}

impl ApiError {
    /// Parses a Paragon error body; a body that is not one gives an `ApiError` whose message
    /// is a snippet of the body (or the status reason when empty).
    /// The flag tells whether the body had Paragon's shape on `route`. On the proxy route a
    /// provider's own `{"message", "code"}` (a common shape) must not pass for Paragon's, so
    /// Paragon's full signature is required: `message`, `code` and a `status` equal to the
    /// answer's.
    pub(crate) fn parse(route: Route, status: StatusCode, body: &[u8]) -> (ApiError, bool) {
        let parsed: Option<RawErrorBody> = serde_json::from_slice(body).ok();
        let mut recognised = false;
        let mut error = ApiError {
            status,
            message: String::new(),
            code: None,
            details: Vec::new(),
            meta: None,
        };
        if let Some(raw) = parsed {
            recognised = match route {
                Route::Api => raw.message.is_some() || raw.code.is_some(),
                Route::Proxy => {
                    raw.message.is_some()
                        && raw.code.is_some()
                        && raw.status.as_ref().and_then(|s| s.as_u64())
                            == Some(u64::from(status.as_u16()))
                }
            };
            match raw.message.or(raw.error) {
                Some(serde_json::Value::String(s)) => error.message = s,
                Some(serde_json::Value::Array(items)) => {
                    error.message = items
                        .iter()
                        .map(|v| match v {
                            serde_json::Value::String(s) => s.clone(),
                            other => other
                                .get("message")
                                .and_then(|m| m.as_str())
                                .map(str::to_owned)
                                .unwrap_or_else(|| other.to_string()),
                        })
                        .collect::<Vec<_>>()
                        .join("; ");
                    error.details = items;
                }
                Some(other) => error.message = other.to_string(),
                None => {}
            }
            error.code = match raw.code {
                Some(serde_json::Value::String(s)) => Some(s),
                Some(serde_json::Value::Number(n)) => Some(n.to_string()),
                _ => None,
            };
            error.meta = raw.meta;
        }
        if error.message.is_empty() {
            error.message = if body.is_empty() {
                status.canonical_reason().unwrap_or("no reason").to_string()
            } else {
                snippet(body)
            };
        }
        (error, recognised)
    }

    /// Whether `meta.isIntegrationError` is true: the provider failed, not Paragon.
    pub fn is_integration_error(&self) -> bool {
        self.meta
            .as_ref()
            .and_then(|m| m.get("isIntegrationError"))
            .and_then(|v| v.as_bool())
            .unwrap_or(false)
    }
}

/// Where an answer came from, which decides how a non-2xx status is classified.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    /// Paragon's own APIs (users, credentials, events, ActionKit).
    Api,
    /// The proxy: a non-2xx answer that is not Paragon's own error is the provider's.
    Proxy,
}

/// Turns a non-2xx answer into the matching [`Error`].
pub(crate) fn classify(
    route: Route,
    status: StatusCode,
    headers: &HeaderMap,
    body: Bytes,
    retry_after: Option<Duration>,
) -> Error {
    let (api, recognised) = ApiError::parse(route, status, &body);
    let api = Box::new(api);
    if api.is_integration_error() {
        return Error::Provider {
            status,
            headers: Box::new(headers.clone()),
            body,
        };
    }
    if status == StatusCode::TOO_MANY_REQUESTS {
        return Error::RateLimited {
            retry_after,
            error: api,
        };
    }
    match api.code.as_deref() {
        Some("integration_not_enabled") => return Error::IntegrationNotEnabled(api),
        Some("7210") => return Error::PermissionDenied(api),
        _ => {}
    }
    if route == Route::Proxy && !recognised {
        return Error::Provider {
            status,
            headers: Box::new(headers.clone()),
            body,
        };
    }
    match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Error::Unauthorized(api),
        StatusCode::NOT_FOUND => Error::NotFound(api),
        s if s.is_server_error() => Error::Server(api),
        _ => Error::Api(api),
    }
}
