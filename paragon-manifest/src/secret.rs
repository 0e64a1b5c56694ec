//! A string that never shows in `Debug` output.

use std::fmt;

/// A rendered secret value (access token, API key, client secret, `Authorization` header value).
///
/// `Debug` prints `Secret("***")` and there is no `Display`: read the value with
/// [`Secret::expose`] only where it goes on the wire.
///
/// ```
/// use paragon_manifest::Secret;
///
/// let key = Secret::new("sk_live_123");
/// assert_eq!(format!("{key:?}"), r#"Secret("***")"#);
/// assert_eq!(key.expose(), "sk_live_123");
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value itself.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The value itself, owned.
    pub fn into_exposed(self) -> String {
        self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(\"***\")")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_owned())
    }
}
