//! A typed operation's answer with its status and headers: what a generated builder's
//! `send_with_response()` returns, for what the body alone does not say (pagination `Link`
//! headers, rate-limit headers, a redirect's `Location`).

use crate::{Error, OperationError, ProxyRequest};
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};

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

/// The future of a generated builder's `send_with_response()`: resolves to the typed
/// [`OperationResponse`], or the operation's error.
///
/// A named future rather than an `async` block per operation, so that a client with a
/// thousand operations does not make the compiler check a thousand state machines.
#[must_use = "futures do nothing unless awaited"]
pub struct WithResponse<T, E> {
    sending: Pin<Box<dyn Future<Output = Result<Raw, Error>> + Send + 'static>>,
    read: codegen::Read<T>,
    decode: crate::operation::codegen::Decode<E>,
}

impl<T, E> std::fmt::Debug for WithResponse<T, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WithResponse").finish_non_exhaustive()
    }
}

/// A provider's answer before its body is decoded: status, headers, body, and whether the
/// body is the provider's own (raw) one.
struct Raw(StatusCode, HeaderMap, Bytes, bool);

impl<T, E> Future for WithResponse<T, E> {
    type Output = Result<OperationResponse<T>, OperationError<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let Poll::Ready(answer) = this.sending.as_mut().poll(cx) else {
            return Poll::Pending;
        };
        Poll::Ready(match answer {
            Ok(Raw(status, headers, body, raw)) => match (this.read)(body, raw) {
                Ok(body) => Ok(OperationResponse::new(status, headers, body)),
                Err(error) => Err(OperationError::Sdk(error)),
            },
            Err(error) => Err(match (this.decode)(&error) {
                Some(body) => OperationError::Api(body),
                None => OperationError::Sdk(error),
            }),
        })
    }
}

/// How a generated operation sends.
#[derive(Clone, Copy)]
struct Mode {
    /// Ask for the provider's raw answer, headers kept (`send_with_response()`).
    raw: bool,
    /// Read the body (not for operations that document none).
    body: bool,
    /// A 3xx answer is a response (the operation documents one).
    redirects: bool,
}

/// Sends and reads the answer; one function for every operation (not generic).
async fn send(request: ProxyRequest, mode: Mode) -> Result<Raw, Error> {
    let request = if mode.raw { request.raw() } else { request };
    match request.into_future().await {
        Ok(response) => {
            let status = response.status();
            let headers = if mode.raw {
                response.headers().clone()
            } else {
                HeaderMap::new()
            };
            let raw = response.is_raw();
            let body = if mode.body {
                response.bytes().await?
            } else {
                Bytes::new()
            };
            Ok(Raw(status, headers, body, raw))
        }
        // The SDK never follows redirects, so a documented one is an answer to read.
        Err(Error::Provider {
            status,
            headers,
            body,
        }) if mode.redirects && status.is_redirection() => Ok(Raw(status, *headers, body, true)),
        Err(error) => Err(error),
    }
}

/// The future of awaiting a generated builder: the typed body alone, or the operation's error.
/// Named for the same reason as [`WithResponse`].
#[must_use = "futures do nothing unless awaited"]
pub struct BodyOnly<T, E>(WithResponse<T, E>);

impl<T, E> std::fmt::Debug for BodyOnly<T, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BodyOnly").finish_non_exhaustive()
    }
}

impl<T, E> Future for BodyOnly<T, E> {
    type Output = Result<T, OperationError<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match Pin::new(&mut self.get_mut().0).poll(cx) {
            Poll::Ready(answer) => Poll::Ready(answer.map(OperationResponse::into_body)),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// What generated `send_with_response()` methods call. Not a stable API: only generated code
/// uses it.
pub mod codegen {
    use super::{BodyOnly, Mode, WithResponse, send};
    use crate::{Error, ProxyRequest};
    use bytes::Bytes;

    /// Decodes the body of an answer: JSON, bytes, or nothing. The flag says whether the body
    /// is the provider's raw one (no `{"output": …}` envelope).
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
    pub fn send_with_response<T, E>(
        request: ProxyRequest,
        decode: crate::operation::codegen::Decode<E>,
        read: Read<T>,
        redirects: bool,
    ) -> WithResponse<T, E> {
        let mode = Mode {
            raw: true,
            body: true,
            redirects,
        };
        WithResponse {
            sending: Box::pin(send(request, mode)),
            read,
            decode,
        }
    }

    /// Sends `request` (Paragon's `{"output": …}` answer) and decodes its body with `read`;
    /// `body: false` does not read it (an operation that documents none).
    pub fn send_body<T, E>(
        request: ProxyRequest,
        decode: crate::operation::codegen::Decode<E>,
        read: Read<T>,
        body: bool,
    ) -> BodyOnly<T, E> {
        let mode = Mode {
            raw: false,
            body,
            redirects: false,
        };
        BodyOnly(WithResponse {
            sending: Box::pin(send(request, mode)),
            read,
            decode,
        })
    }
}
