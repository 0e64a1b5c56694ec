//! The proxy request builder: `paragon.request(integration, method, path)…await`.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{TryStream, TryStreamExt};
use http::{HeaderMap, HeaderName, HeaderValue, Method, header};
use http_body_util::BodyExt;
use hyper::body::Frame;

use crate::client::{Call, CallBody, Paragon, headers};
use crate::error::{Error, Result, Route};
use crate::path;
use crate::response::Response;
use crate::retry::RetryPolicy;

/// A request to an integration's API through Paragon's proxy. Configure it with the builder
/// methods, then `.await` it (or call [`send`](ProxyRequest::send)).
///
/// Problems found while building (a bad header, an unencodable body) are reported when the
/// request is sent.
///
/// ```no_run
/// use paragon_sdk::{Method, Paragon};
/// # async fn run(paragon: Paragon) -> paragon_sdk::Result<()> {
/// let created: serde_json::Value = paragon
///     .request("custom.tasklab", Method::POST, "/tasks")
///     .query(&[("notify", "false")])
///     .header("Idempotency-Key", "c0ffee")
///     .json(&serde_json::json!({"title": "Write docs"}))
///     .idempotent(true) // safe to retry thanks to the key
///     .await?
///     .json()
///     .await?;
/// # let _ = created; Ok(()) }
/// ```
#[must_use = "a request does nothing until it is awaited or sent"]
pub struct ProxyRequest {
    paragon: Paragon,
    integration: String,
    method: Method,
    path: String,
    query: String,
    headers: HeaderMap,
    body: CallBody,
    raw: bool,
    full_url: Option<String>,
    idempotent: Option<bool>,
    retry: Option<RetryPolicy>,
    timeout: Option<Duration>,
    error: Option<Error>,
}

impl std::fmt::Debug for ProxyRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxyRequest")
            .field("integration", &self.integration)
            .field("method", &self.method)
            .field("path", &path::without_query(&self.path))
            .field("raw", &self.raw)
            .finish_non_exhaustive()
    }
}

impl ProxyRequest {
    pub(crate) fn new(paragon: Paragon, integration: String, method: Method, path: String) -> Self {
        ProxyRequest {
            paragon,
            integration,
            method,
            path,
            query: String::new(),
            headers: HeaderMap::new(),
            body: CallBody::Empty,
            raw: false,
            full_url: None,
            idempotent: None,
            retry: None,
            timeout: None,
            error: None,
        }
    }

    fn fail(mut self, error: Error) -> Self {
        self.error.get_or_insert(error);
        self
    }

    /// Adds query parameters: anything serde can encode as a form (`&[("limit", "5")]`, a
    /// struct, a map). `None` options are skipped. May be called several times.
    pub fn query<Q: serde::Serialize + ?Sized>(mut self, query: &Q) -> Self {
        match serde_urlencoded::to_string(query) {
            Ok(encoded) if encoded.is_empty() => self,
            Ok(encoded) => {
                if !self.query.is_empty() {
                    self.query.push('&');
                }
                self.query.push_str(&encoded);
                self
            }
            Err(e) => self.fail(Error::InvalidRequest(format!(
                "cannot encode the query: {e}"
            ))),
        }
    }

    /// Adds a header passed through to the provider. CR, LF and other control characters are
    /// rejected; `Authorization`, `Host` and `X-Paragon-*` are the SDK's own (use
    /// [`credential`](Self::credential), [`raw`](Self::raw), ...).
    pub fn header<K, V>(mut self, name: K, value: V) -> Self
    where
        K: TryInto<HeaderName>,
        V: TryInto<HeaderValue>,
    {
        let Ok(name) = name.try_into() else {
            return self.fail(Error::InvalidRequest("a header name is not valid".into()));
        };
        if name == header::AUTHORIZATION
            || name == header::HOST
            || name.as_str().starts_with("x-paragon-")
        {
            return self.fail(Error::InvalidRequest(format!(
                "header {name} is set by the SDK; use the request builder's methods instead"
            )));
        }
        let Ok(value) = value.try_into() else {
            return self.fail(Error::InvalidRequest(format!(
                "value for header {name} contains characters not allowed in a header (CR, LF, ...)"
            )));
        };
        self.headers.append(name, value);
        self
    }

    /// A JSON body (`Content-Type: application/json`).
    pub fn json<B: serde::Serialize + ?Sized>(mut self, body: &B) -> Self {
        match serde_json::to_vec(body) {
            Ok(bytes) => {
                self.headers.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                self.body = CallBody::Bytes(bytes.into());
                self
            }
            Err(e) => self.fail(Error::InvalidRequest(format!(
                "cannot encode the JSON body: {e}"
            ))),
        }
    }

    /// A body of bytes, sent as is (set `Content-Type` with [`header`](Self::header)).
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = CallBody::Bytes(body.into());
        self
    }

    /// A streaming body (large uploads). Requests with a streaming body are never retried.
    pub fn body_stream<S>(mut self, stream: S) -> Self
    where
        S: TryStream + Send + 'static,
        S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
        Bytes: From<S::Ok>,
    {
        let frames = stream
            .map_ok(|chunk| Frame::data(Bytes::from(chunk)))
            .map_err(Into::into);
        self.body = CallBody::Stream(http_body_util::StreamBody::new(frames).boxed_unsync());
        self
    }

    /// Uses this connected account (`X-Paragon-Credential`) when the user has several.
    pub fn credential(self, credential_id: impl AsRef<str>) -> Self {
        self.paragon_header(headers::CREDENTIAL, credential_id.as_ref())
    }

    /// Uses this configuration (`X-Paragon-Configuration-Id`); Paragon reads it together with
    /// a [`credential`](Self::credential).
    pub fn configuration(self, configuration_id: impl AsRef<str>) -> Self {
        self.paragon_header(headers::CONFIGURATION_ID, configuration_id.as_ref())
    }

    /// Asks for the provider's raw answer (`X-Paragon-Use-Raw-Response: 1`): its own body
    /// (binary allowed) and headers, without the `{"output": …}` envelope.
    pub fn raw(mut self) -> Self {
        self.raw = true;
        self
    }

    /// Calls this absolute URL instead of the integration's base URL plus the path
    /// (`X-Paragon-Proxy-Url`). The only way to leave the integration's base URL.
    pub fn full_url(mut self, url: impl AsRef<str>) -> Self {
        match path::full_url(url.as_ref()) {
            Ok(url) => {
                self.full_url = Some(url.to_string());
                self
            }
            Err(e) => self.fail(e),
        }
    }

    /// Whether the request may be retried. Defaults to the method's idempotency: GET, HEAD,
    /// PUT, DELETE, OPTIONS retry; POST and PATCH only with `idempotent(true)`.
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = Some(idempotent);
        self
    }

    /// A retry policy for this request only.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// A time limit for each attempt of this request.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    fn paragon_header(mut self, name: HeaderName, value: &str) -> Self {
        match HeaderValue::from_str(value) {
            Ok(v) if !value.is_empty() => {
                self.headers.insert(name, v);
                self
            }
            _ => self.fail(Error::InvalidRequest(format!(
                "{name} value {value:?} is not valid"
            ))),
        }
    }

    /// Sends the request. A 2xx answer is a [`Response`]; anything else is an [`Error`]
    /// (a provider's own error is [`Error::Provider`]).
    pub async fn send(self) -> Result<Response> {
        let raw = self.raw;
        let call = self.into_call()?;
        let paragon = call.1;
        let res = paragon.execute(call.0).await?;
        Ok(Response::new(res, raw, paragon.max_body()))
    }

    fn into_call(mut self) -> Result<(Call, Paragon)> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let integration = path::integration(&self.integration)?;
        let api_path = path::api_path(&self.path)?;
        let project = self.paragon.project_id()?;
        let proxy = self.paragon.urls()?.proxy.to_string();
        let base = proxy.trim_end_matches('/');
        // Built in one buffer: this runs on every request.
        let mut url = String::with_capacity(
            base.len() + project.len() + integration.len() + api_path.len() + self.query.len() + 32,
        );
        for part in [
            base,
            "/projects/",
            project,
            "/sdk/proxy/",
            integration,
            &api_path,
        ] {
            url.push_str(part);
        }
        if !self.query.is_empty() {
            url.push(if api_path.contains('?') { '&' } else { '?' });
            url.push_str(&self.query);
        }
        let trace_path = path::without_query(&api_path).to_owned();
        if self.raw {
            self.headers
                .insert(headers::USE_RAW_RESPONSE, HeaderValue::from_static("1"));
        }
        if let Some(full) = &self.full_url {
            let v = HeaderValue::from_str(full).map_err(|_| {
                Error::InvalidRequest("the override URL is not a valid header value".into())
            })?;
            self.headers.insert(headers::PROXY_URL, v);
        }
        let call = Call {
            route: Route::Proxy,
            method: self.method,
            url,
            trace_path,
            integration: Some(self.integration),
            headers: self.headers,
            body: self.body,
            idempotent: self.idempotent,
            retry: self.retry,
            timeout: self.timeout,
        };
        Ok((call, self.paragon))
    }
}

impl IntoFuture for ProxyRequest {
    type Output = Result<Response>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<Response>> + Send + 'static>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}
