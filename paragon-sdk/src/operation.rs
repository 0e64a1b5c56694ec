//! The error of a typed operation, and the helpers every generated client calls, kept here
//! once instead of in each generated module.

use crate::{Error, ProxyRequest};

/// The error of a typed operation of a generated client: a documented error answer of the
/// provider (`E`, decoded from its body), or any other failure.
///
/// Generated modules re-export it as `Error`, so `github::Error<github::types::BasicError>`
/// names it for one operation.
///
/// ```
/// use paragon_sdk::{Error, OperationError};
///
/// fn describe(e: &OperationError<String>) -> String {
///     match e {
///         OperationError::Api(body) => format!("the provider said {body}"),
///         OperationError::Sdk(error) => error.to_string(),
///     }
/// }
/// let e: OperationError<String> = Error::InvalidRequest("the path has a `..` segment".into()).into();
/// assert!(describe(&e).contains("`..` segment"));
/// assert_eq!(describe(&OperationError::Api("no such repo".into())), "the provider said no such repo");
/// ```
#[derive(Debug)]
pub enum OperationError<E> {
    /// The provider answered with an error status the spec documents; its body, decoded.
    Api(E),
    /// Anything else: transport, Paragon, an undocumented provider answer, a body that does
    /// not decode.
    Sdk(Error),
}

impl<E: std::fmt::Debug> std::fmt::Display for OperationError<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OperationError::Api(body) => write!(f, "provider error: {body:?}"),
            OperationError::Sdk(error) => std::fmt::Display::fmt(error, f),
        }
    }
}

impl<E: std::fmt::Debug> std::error::Error for OperationError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            OperationError::Api(_) => None,
            OperationError::Sdk(error) => Some(error),
        }
    }
}

impl<E> From<Error> for OperationError<E> {
    fn from(error: Error) -> Self {
        OperationError::Sdk(error)
    }
}

/// What generated operations call. Not a stable API: only generated code uses it.
pub mod codegen {
    use super::*;
    use serde::Serialize;
    use serde_json::Value;

    /// Decodes a documented error body from a failed call, if it is one.
    pub type Decode<E> = fn(&Error) -> Option<E>;

    /// The decoder of an operation that documents no error body.
    pub fn no_error(_: &Error) -> Option<std::convert::Infallible> {
        None
    }

    /// Sends `request` to `server` (an operation-level server that is not the integration's
    /// base URL) through the proxy's full-URL form. The proxy drops the route's query when that
    /// URL replaces the path, so the query goes into the URL.
    pub fn on_server(
        request: ProxyRequest,
        server: &str,
        path: &str,
        query: &[(&'static str, String)],
    ) -> ProxyRequest {
        let mut url = format!("{server}{path}");
        if let Ok(encoded) = serde_urlencoded::to_string(query)
            && !encoded.is_empty()
        {
            url.push('?');
            url.push_str(&encoded);
        }
        request.full_url(url)
    }

    /// A parameter as text: strings as they are, lists comma-separated, `None` when absent.
    pub fn text<T: Serialize + ?Sized>(value: &T) -> Option<String> {
        text_value(serde_json::to_value(value).ok()?)
    }

    fn text_value(value: Value) -> Option<String> {
        match value {
            Value::Null => None,
            Value::String(s) => Some(s),
            Value::Array(items) => Some(
                items
                    .into_iter()
                    .filter_map(text_value)
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            other => Some(other.to_string()),
        }
    }

    /// Adds a query parameter: a list is one comma-separated value, or one pair per item
    /// when `explode`; an absent value adds nothing.
    pub fn query<T: Serialize + ?Sized>(
        query: &mut Vec<(&'static str, String)>,
        name: &'static str,
        value: &T,
        explode: bool,
    ) {
        match serde_json::to_value(value) {
            Ok(Value::Array(items)) if explode => {
                for item in items {
                    if let Some(text) = text_value(item) {
                        query.push((name, text));
                    }
                }
            }
            Ok(value) => {
                if let Some(text) = text_value(value) {
                    query.push((name, text));
                }
            }
            Err(_) => {}
        }
    }

    /// A path parameter as one encoded path segment.
    pub fn segment<T: Serialize + ?Sized>(value: &T) -> String {
        crate::__private::encode_component(&text(value).unwrap_or_default())
    }

    /// An `application/x-www-form-urlencoded` body from a flat object.
    pub fn form<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
        let mut pairs = Vec::new();
        if let Ok(Value::Object(map)) = serde_json::to_value(value) {
            for (key, value) in map {
                if let Some(text) = text_value(value) {
                    let key = crate::__private::encode_component(&key);
                    let text = crate::__private::encode_component(&text);
                    pairs.push(format!("{key}={text}"));
                }
            }
        }
        pairs.join("&").into_bytes()
    }
}
