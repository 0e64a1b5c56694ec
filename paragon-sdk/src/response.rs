//! A successful answer to a proxy request.

use bytes::Bytes;
use futures_util::Stream;
use http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::client::{Answer, next_chunk};
use crate::error::{Error, Result};

/// A 2xx answer from the proxy. Read the body once, with [`json`](Response::json),
/// [`bytes`](Response::bytes), [`text`](Response::text) or [`bytes_stream`](Response::bytes_stream).
pub struct Response {
    raw: bool,
    max_body: usize,
    inner: Answer,
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Not the URL: its query may carry values that do not belong in logs.
        f.debug_struct("Response")
            .field("status", &self.status())
            .field("headers", self.headers())
            .field("raw", &self.raw)
            .finish_non_exhaustive()
    }
}

impl Response {
    pub(crate) fn new(inner: Answer, raw: bool, max_body: usize) -> Self {
        Response {
            raw,
            max_body,
            inner,
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.inner.response.status()
    }

    /// The response headers (the provider's, in raw mode).
    pub fn headers(&self) -> &HeaderMap {
        self.inner.response.headers()
    }

    /// Whether the request asked for the provider's raw answer.
    pub fn is_raw(&self) -> bool {
        self.raw
    }

    /// Decodes the JSON body as `T`, unwrapping Paragon's `{"output": …}` envelope (in raw mode
    /// the body is the provider's own and is decoded as is). An empty body decodes as `null`,
    /// so `()` and `Option<T>` accept it.
    pub async fn json<T: DeserializeOwned>(self) -> Result<T> {
        let raw = self.raw;
        let body = self.bytes().await?;
        if raw {
            decode_json(&body)
        } else {
            decode_output(&body)
        }
    }

    /// The whole body as received (the `{"output": …}` envelope included, when there is one),
    /// at most the client's `max_response_body` bytes ([`Error::BodyTooLarge`] beyond).
    pub async fn bytes(self) -> Result<Bytes> {
        crate::client::read_body(self.inner, self.max_body).await
    }

    /// The body as UTF-8 text; invalid UTF-8 is a decode error.
    pub async fn text(self) -> Result<String> {
        let body = self.bytes().await?;
        String::from_utf8(body.to_vec())
            .map_err(|e| Error::decode(format!("body is not UTF-8: {e}"), &body))
    }

    /// The body as a stream of chunks, for large or binary answers (no size limit: the caller
    /// decides how much to keep; the request's timeout still covers the whole body).
    pub fn bytes_stream(self) -> impl Stream<Item = Result<Bytes>> + Send + Unpin + 'static {
        let deadline = self.inner.deadline;
        let body = self.inner.response.into_body();
        // Boxed so the stream is `Unpin`, as callers of `next()` expect.
        Box::pin(futures_util::stream::try_unfold(
            body,
            move |mut body| async move {
                Ok(next_chunk(&mut body, deadline)
                    .await?
                    .map(|chunk| (chunk, body)))
            },
        ))
    }
}

#[derive(Deserialize)]
struct Envelope<T> {
    output: T,
}

/// Decodes `body` as `T`; empty means `null`.
pub(crate) fn decode_json<T: DeserializeOwned>(body: &[u8]) -> Result<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return serde_json::from_value(serde_json::Value::Null)
            .map_err(|e| Error::decode(format!("empty body: {e}"), body));
    }
    serde_json::from_slice(body).map_err(|e| Error::decode(e, body))
}

/// Decodes `{"output": T}` as `T`; a body without the envelope is decoded as `T` itself.
pub(crate) fn decode_output<T: DeserializeOwned>(body: &[u8]) -> Result<T> {
    match serde_json::from_slice::<Envelope<T>>(body) {
        Ok(envelope) => Ok(envelope.output),
        Err(envelope_error) => {
            let has_envelope = serde_json::from_slice::<serde_json::Value>(body)
                .ok()
                .is_some_and(|v| v.get("output").is_some());
            if has_envelope {
                Err(Error::decode(format!("output: {envelope_error}"), body))
            } else {
                decode_json(body)
            }
        }
    }
}
