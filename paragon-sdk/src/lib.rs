//! Call any third-party API on behalf of your users through Paragon's Connect API.
//!
//! [`Paragon`] sends proxy requests to an integration's API, mints Paragon User Tokens with the
//! project's signing key (cached per user), and covers the rest of the Connect API: the current
//! user, integrations, credentials, OAuth connections, workflows, app events and ActionKit.
//! Every failure is one [`Error`]; requests are retried with backoff where that is safe, time
//! limited, and traced (one `tracing` span per call).
//!
//! # With a user token
//!
//! ```no_run
//! use paragon_sdk::{Method, Paragon};
//!
//! # async fn run(token: String) -> paragon_sdk::Result<()> {
//! // The project id and service URLs come from the environment (PARAGON_PROJECT_ID, PARAGON_HOST,
//! // PARAGON_*_URL) or from the token's audience.
//! let paragon = Paragon::new(token);
//! let user: serde_json::Value = paragon.request("custom.github", Method::GET, "/user").await?.json().await?;
//! println!("{user}");
//! # Ok(()) }
//! ```
//!
//! # Acting for many users with the signing key
//!
//! ```no_run
//! use paragon_sdk::{Method, Paragon, SigningKey};
//!
//! #[derive(serde::Deserialize)]
//! struct Task { id: String, title: String }
//!
//! # async fn run(pem: &str) -> paragon_sdk::Result<()> {
//! let paragon = Paragon::builder()
//!     .project_id("6a1c1d3e-0000-0000-0000-000000000000")
//!     .signing_key(SigningKey::from_pem(pem)?)
//!     .build()?;
//! let alice = paragon.user("alice"); // cheap: shares the connection pool and token cache
//! let tasks: Vec<Task> = alice
//!     .request("custom.tasklab", Method::GET, "/tasks")
//!     .query(&[("limit", "5")])
//!     .await?
//!     .json() // unwraps {"output": …}
//!     .await?;
//! # let _ = tasks; Ok(()) }
//! ```
//!
//! # Handling errors
//!
//! ```no_run
//! # use paragon_sdk::{Error, Method, Paragon};
//! # async fn run(paragon: Paragon) {
//! match paragon.request("salesforce", Method::GET, "/services/data").await {
//!     Ok(res) => println!("{}", res.status()),
//!     Err(Error::IntegrationNotEnabled(_)) => println!("ask the user to connect Salesforce"),
//!     Err(Error::Provider { status, body, .. }) => println!("Salesforce said {status}: {body:?}"),
//!     Err(e) => println!("{e}"),
//! }
//! # }
//! ```
//!
//! # Configuration
//!
//! [`Paragon::new`], [`Paragon::from_env`] and [`Paragon::builder`] read: `PARAGON_PROJECT_ID`,
//! `PARAGON_USER_TOKEN`, `PARAGON_SIGNING_KEY` (PEM text) or `PARAGON_SIGNING_KEY_FILE`,
//! `PARAGON_USER_ID`, `PARAGON_HOST` (on-prem; see [`ServiceUrls::on_prem`]) and one URL per
//! service: `PARAGON_API_URL`, `PARAGON_PROXY_URL`, `PARAGON_EVENTS_URL`,
//! `PARAGON_ACTIONKIT_URL`, `PARAGON_PASSPORT_URL`. A missing or malformed setting is an
//! [`Error::Config`] naming the variable.
//!
//! Requests honour the proxy variables as curl does (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`,
//! `NO_PROXY`; an http:// proxy, with Basic credentials from its URL) unless
//! [`ParagonBuilder::no_proxy`] is called. TLS is rustls with the operating system's trust
//! store; HTTP/2 is negotiated when the default `http2` feature is on.
//!
//! # Features
//!
//! `http2` (default): HTTP/2 when the server offers it. `macros`: `#[derive(Integration)]` and
//! `#[endpoints]`. `tools`: `#[endpoints(Type, tools)]` describes the declared endpoints as an
//! OpenAPI document (`EndpointSpec`) that a server turns into tools for
//! AI agents, with JSON Schemas from the re-exported `schemars`.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod api;
mod client;
mod config;
#[cfg(feature = "tools")]
mod endpoint_spec;
mod error;
mod integration;
mod link;
mod operation;
mod operation_response;
mod pagination;
mod path;
mod request;
mod response;
mod retry;
mod secret;
mod token;
mod transport;

pub use client::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_BODY, DEFAULT_TIMEOUT, Paragon, ParagonBuilder,
};
pub use config::{
    ENV_ACTIONKIT_URL, ENV_API_URL, ENV_EVENTS_URL, ENV_HOST, ENV_PASSPORT_URL, ENV_PROJECT_ID,
    ENV_PROXY_URL, ENV_SIGNING_KEY, ENV_SIGNING_KEY_FILE, ENV_USER_ID, ENV_USER_TOKEN, ServiceUrls,
};
#[cfg(feature = "tools")]
#[cfg_attr(docsrs, doc(cfg(feature = "tools")))]
pub use endpoint_spec::EndpointSpec;
pub use error::{ApiError, Error, Result};
pub use integration::Integration;
pub use operation::OperationError;
pub use operation_response::{BodyOnly, OperationResponse, WithResponse};
pub use pagination::{Items, Pages};
/// `#[derive(Integration)]` and `#[endpoints]` (feature `macros`): see `paragon-macros`.
#[cfg(feature = "macros")]
#[cfg_attr(docsrs, doc(cfg(feature = "macros")))]
pub use paragon_macros::{Integration, endpoints};
pub use request::ProxyRequest;
pub use response::Response;
pub use retry::RetryPolicy;
pub use token::{
    DEFAULT_TOKEN_TTL, PERMISSIONS_CLAIM, Permissions, SigningKey, TokenOptions, UserToken,
};

pub use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
/// `schemars` (feature `tools`), whose `JsonSchema` derive an `#[endpoints(Type, tools)]`
/// trait's argument and body types need.
#[cfg(feature = "tools")]
#[cfg_attr(docsrs, doc(cfg(feature = "tools")))]
pub use schemars;

/// What generated code needs, so a user's `Cargo.toml` names only `paragon-sdk`.
#[doc(hidden)]
pub mod __private {
    pub use bytes;
    pub use futures_util;
    pub use serde;
    pub use serde_json;

    /// What `#[endpoints(Type, tools)]` output calls. Not a stable API.
    #[cfg(feature = "tools")]
    pub use crate::endpoint_spec::codegen as openapi;
    pub use crate::operation::codegen;
    /// What generated `send_with_response()` methods call. Not a stable API.
    pub use crate::operation_response::codegen as response;
    /// What generated `pages()` and `items()` methods call. Not a stable API.
    pub use crate::pagination::codegen as pagination;

    /// Everything but RFC 3986 unreserved characters (`A-Z a-z 0-9 - . _ ~`).
    const COMPONENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');

    /// Percent-encodes `text` as one path segment or form value: the one encoder generated
    /// clients and `#[endpoints]` share.
    pub fn encode_component(text: &str) -> String {
        percent_encoding::utf8_percent_encode(text, COMPONENT).to_string()
    }
}
