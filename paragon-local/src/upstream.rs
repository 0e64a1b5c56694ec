//! The HTTP client for providers: the proxy's calls and OAuth token requests.
//!
//! hyper's pooled client over rustls (the platform's trust store), HTTP/1.1 and HTTP/2 by ALPN.
//! It never follows redirects and never reads proxy settings from the environment. Hosts that
//! end users or tokens choose go through a guarded client that refuses non-public addresses
//! ([`crate::resolve`]). Every
//! exchange — connect, send, and reading the whole answer — has one deadline, and answers have
//! a size limit. Errors never carry the URL, whose query may hold a credential.

use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use std::time::Duration;

use crate::resolve::{Pins, Refused, Resolver, check_literal};

type Https = HttpsConnector<HttpConnector<Resolver>>;

/// Who chose the host of a request, which decides the addresses it may reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reach {
    /// The manifest fixed it (a literal or `{env.*}`): any address, loopback included.
    Owner,
    /// An end user's input or metadata, or a captured token value: public addresses only.
    Public,
}

/// A provider's whole answer.
pub(crate) struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// Why an exchange with a provider failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum UpstreamError {
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    #[error("could not connect: {0}")]
    Connect(String),
    #[error("request failed: {0}")]
    Failed(String),
    #[error("the provider's response is larger than the {0}-byte limit")]
    TooLarge(usize),
    #[error("refusing to connect: {0}")]
    Refused(Refused),
}

/// The shared client; cheap to use from every request (the pool is inside).
#[derive(Clone)]
pub(crate) struct Upstream {
    owner: Client<Https, Full<Bytes>>,
    /// A separate pool, so a guarded request never reuses a connection the owner's opened.
    guarded: Client<Https, Full<Bytes>>,
    timeout: Duration,
}

impl Upstream {
    /// A client whose exchanges end after `timeout`, and connection attempts after
    /// `connect_timeout`; `pins` answer name lookups before DNS.
    pub(crate) fn new(
        timeout: Duration,
        connect_timeout: Duration,
        pins: Pins,
    ) -> Result<Self, String> {
        let client = |guard| {
            build_client(
                Resolver {
                    pins: pins.clone(),
                    guard,
                },
                connect_timeout,
            )
        };
        Ok(Self {
            owner: client(false)?,
            guarded: client(true)?,
            timeout,
        })
    }

    /// Sends `request` and reads its answer (at most `limit` bytes of body), through the
    /// client `reach` allows.
    pub(crate) async fn send(
        &self,
        request: Request<Bytes>,
        limit: usize,
        reach: Reach,
    ) -> Result<Answer, UpstreamError> {
        let client = match reach {
            Reach::Owner => &self.owner,
            Reach::Public => {
                check_literal(request.uri().host().unwrap_or(""))
                    .map_err(UpstreamError::Refused)?;
                &self.guarded
            }
        };
        let exchange = async {
            let response = client.request(request.map(Full::new)).await.map_err(|e| {
                if let Some(refused) = find_refusal(&e) {
                    return UpstreamError::Refused(Refused(refused));
                }
                let why = describe(&e);
                if e.is_connect() {
                    UpstreamError::Connect(why)
                } else {
                    UpstreamError::Failed(why)
                }
            })?;
            let (parts, body) = response.into_parts();
            let declared = parts
                .headers
                .get(http::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
            if declared.is_some_and(|n| n > limit as u64) {
                return Err(UpstreamError::TooLarge(limit));
            }
            let body = Limited::new(body, limit)
                .collect()
                .await
                .map_err(|e| {
                    if e.is::<LengthLimitError>() {
                        UpstreamError::TooLarge(limit)
                    } else {
                        UpstreamError::Failed(format!("reading the body: {}", describe(&*e)))
                    }
                })?
                .to_bytes();
            Ok(Answer {
                status: parts.status,
                headers: parts.headers,
                body,
            })
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| UpstreamError::Timeout(self.timeout))?
    }
}

fn build_client(
    resolver: Resolver,
    connect_timeout: Duration,
) -> Result<Client<Https, Full<Bytes>>, String> {
    let mut http = HttpConnector::new_with_resolver(resolver);
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_connect_timeout(Some(connect_timeout));
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_platform_verifier(rustls::crypto::aws_lc_rs::default_provider())
        .map_err(|e| format!("TLS trust store: {e}"))?
        // Plain http only reaches loopback: the manifest's URL rules refuse anything else.
        .https_or_http()
        .enable_all_versions()
        .wrap_connector(http);
    Ok(Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(90))
        .build(https))
}

/// The host the guard refused, if that is why the exchange failed.
fn find_refusal(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut source = Some(e);
    while let Some(s) = source {
        if let Some(r) = s.downcast_ref::<Refused>() {
            return Some(r.0.clone());
        }
        source = s.source();
    }
    None
}

/// An error and its causes, `: `-separated (hyper's errors never include the URL).
fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let mut msg = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !msg.ends_with(&text) {
            msg.push_str(": ");
            msg.push_str(&text);
        }
        source = s.source();
    }
    msg
}
