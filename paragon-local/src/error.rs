//! Errors: the server's JSON error bodies and the library's startup errors.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// An error answered to a Connect API caller as the reference's JSON body:
/// `{"message", "code", "status", "meta"}`.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    meta: Value,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            meta: json!({}),
        }
    }

    pub(crate) fn with_meta(mut self, meta: Value) -> Self {
        self.meta = meta;
        self
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub(crate) fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub(crate) fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "7210", message)
    }

    /// A full proxy URL whose host the integration may not send credentials to: not a
    /// permissions matter (7210), so a code of its own.
    pub(crate) fn host_not_allowed(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "host_not_allowed", message)
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub(crate) fn not_enabled(integration: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "integration_not_enabled",
            "Integration not enabled for user.",
        )
        .with_meta(json!({ "integration": integration }))
    }

    /// A failure of the provider (or of reaching it): `meta.isIntegrationError = true`.
    pub(crate) fn integration(status: StatusCode, message: impl Into<String>) -> Self {
        Self::new(status, "integration_error", message)
            .with_meta(json!({ "isIntegrationError": true }))
    }

    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", message)
    }

    pub(crate) fn status(&self) -> StatusCode {
        self.status
    }

    pub(crate) fn message(&self) -> &str {
        &self.message
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({
            "message": self.message,
            "code": self.code,
            "status": self.status.as_u16(),
            "meta": self.meta,
        });
        (self.status, axum::Json(body)).into_response()
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        tracing::error!(error = %e, "credential store error");
        ApiError::internal(format!("credential store error: {e}"))
    }
}

/// Why the server could not start: bad configuration, keys, database or listen address.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// A configuration value is missing or malformed; the message names it.
    #[error("configuration: {0}")]
    Config(String),
    /// An integration manifest under the specs folder is invalid.
    #[error("integration manifest {path}: {message}")]
    Manifest {
        /// The manifest file or folder.
        path: String,
        /// The diagnostics, compiler style.
        message: String,
    },
    /// The credential store could not be opened or migrated.
    #[error("credential store: {0}")]
    Store(#[from] crate::store::StoreError),
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: String,
        /// The OS error.
        source: std::io::Error,
    },
}
