//! A typed operation's answer with its status and headers: what a generated builder's
//! `send_with_response()` returns, for what the body alone does not say (pagination `Link`
//! headers, rate-limit headers, a redirect's `Location`).

use http::{HeaderMap, StatusCode};

/// The typed body of a provider's answer, beside its status and headers.
///
/// Generated clients return it from `send_with_response()`, which asks the proxy for the
/// provider's raw answer, so the headers are the provider's own (`Link`, `X-RateLimit-*`,
/// `Location`), not Paragon's.
///
/// ```
/// use paragon_sdk::{HeaderMap, OperationResponse, StatusCode};
///
/// let mut headers = HeaderMap::new();
/// headers.insert("link", r#"<https://api.github.com/user/repos?page=2>; rel="next""#.parse().unwrap());
/// let response = OperationResponse::new(StatusCode::OK, headers, vec!["hello-world"]);
/// assert_eq!(response.status(), StatusCode::OK);
/// assert_eq!(response.next_link().as_deref(), Some("https://api.github.com/user/repos?page=2"));
/// assert_eq!(response.body(), &["hello-world"]);
/// let (status, _headers, body) = response.into_parts();
/// assert!(status.is_success());
/// assert_eq!(body.len(), 1);
/// ```
#[derive(Debug, Clone)]
pub struct OperationResponse<T> {
    status: StatusCode,
    headers: HeaderMap,
    body: T,
}

impl<T> OperationResponse<T> {
    /// A response from its parts (tests and adapters build them; generated clients return them).
    pub fn new(status: StatusCode, headers: HeaderMap, body: T) -> Self {
        OperationResponse {
            status,
            headers,
            body,
        }
    }

    /// The provider's HTTP status (a documented redirect, such as a 302, included).
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The provider's response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The typed body.
    pub fn body(&self) -> &T {
        &self.body
    }

    /// The typed body, without the status and headers.
    pub fn into_body(self) -> T {
        self.body
    }

    /// Status, headers and body.
    pub fn into_parts(self) -> (StatusCode, HeaderMap, T) {
        (self.status, self.headers, self.body)
    }

    /// The target of the RFC 8288 `Link` header's `rel="next"`, if there is one.
    pub fn next_link(&self) -> Option<String> {
        crate::link::next(&self.headers)
    }

    /// The `Location` header (a redirect's target), if it is valid text.
    pub fn location(&self) -> Option<&str> {
        self.headers.get(http::header::LOCATION)?.to_str().ok()
    }
}

/// What generated `send_with_response()` methods call. Not a stable API: only generated code
/// uses it.
pub mod codegen {
    use super::OperationResponse;
    use crate::{Error, OperationError, ProxyRequest};
    use bytes::Bytes;
    use std::future::IntoFuture;

    /// Decodes the body of an answer: JSON, bytes, or nothing. The flag says whether the body is
    /// the provider's raw one (no `{"output": …}` envelope).
    pub type Read<T> = fn(Bytes, bool) -> Result<T, Error>;

    /// Decodes a JSON body (`null` when empty).
    pub fn read_json<T: serde::de::DeserializeOwned>(body: Bytes, raw: bool) -> Result<T, Error> {
        if raw {
            crate::response::decode_json(&body)
        } else {
            crate::response::decode_output(&body)
        }
    }

    /// Keeps the body as it is.
    pub fn read_bytes(body: Bytes, _raw: bool) -> Result<Bytes, Error> {
        Ok(body)
    }

    /// Ignores the body.
    pub fn read_unit(_body: Bytes, _raw: bool) -> Result<(), Error> {
        Ok(())
    }

    /// Sends `request` for the provider's raw answer and decodes it with `read`. When the
    /// operation documents a redirect (`redirects`), a 3xx answer is a response too: the SDK
    /// never follows redirects, so its `Location` is the caller's to read.
    pub async fn send_with_response<T, E>(
        request: ProxyRequest,
        decode: crate::operation::codegen::Decode<E>,
        read: Read<T>,
        redirects: bool,
    ) -> Result<OperationResponse<T>, OperationError<E>> {
        match request.raw().into_future().await {
            Ok(response) => {
                let status = response.status();
                let headers = response.headers().clone();
                let raw = response.is_raw();
                let body = response.bytes().await?;
                Ok(OperationResponse::new(status, headers, read(body, raw)?))
            }
            Err(Error::Provider {
                status,
                headers,
                body,
            }) if redirects && status.is_redirection() => {
                Ok(OperationResponse::new(status, *headers, read(body, true)?))
            }
            Err(error) => Err(match decode(&error) {
                Some(body) => OperationError::Api(body),
                None => OperationError::Sdk(error),
            }),
        }
    }
}
