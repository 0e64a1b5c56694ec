//! The HTTP client for providers: the proxy's calls and OAuth token requests.
//!
//! hyper's pooled client over rustls (the platform's trust store), HTTP/1.1 and HTTP/2 by ALPN.
//! It never follows redirects and never reads proxy settings from the environment. Every
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
}

/// The shared client; cheap to use from every request (the pool is inside).
#[derive(Clone)]
pub(crate) struct Upstream {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    timeout: Duration,
}

impl Upstream {
    /// A client whose exchanges end after `timeout`, and connection attempts after
    /// `connect_timeout`.
    pub(crate) fn new(timeout: Duration, connect_timeout: Duration) -> Result<Self, String> {
        let mut http = HttpConnector::new();
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
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .build(https);
        Ok(Self { client, timeout })
    }

    /// Sends `request` and reads its answer (at most `limit` bytes of body).
    pub(crate) async fn send(
        &self,
        request: Request<Bytes>,
        limit: usize,
    ) -> Result<Answer, UpstreamError> {
        let exchange = async {
            let response = self
                .client
                .request(request.map(Full::new))
                .await
                .map_err(|e| {
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
