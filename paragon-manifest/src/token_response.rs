//! How an OAuth token response is read where providers depart from RFC 6749 §5.1.

/// The unit of a token response's `expires_in` (`expires_in_unit`): RFC 6749 says seconds,
/// some providers (Fiserv) answer in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ExpiresInUnit {
    /// `expires_in_unit = "seconds"` (the default).
    #[default]
    Seconds,
    /// `expires_in_unit = "milliseconds"`.
    Milliseconds,
}

impl ExpiresInUnit {
    /// The lifetime an `expires_in` of `n` in this unit stands for.
    ///
    /// ```
    /// use std::time::Duration;
    /// use paragon_manifest::ExpiresInUnit;
    ///
    /// assert_eq!(ExpiresInUnit::Seconds.lifetime(90), Duration::from_secs(90));
    /// assert_eq!(ExpiresInUnit::Milliseconds.lifetime(90_000), Duration::from_secs(90));
    /// ```
    pub fn lifetime(self, n: u64) -> std::time::Duration {
        match self {
            ExpiresInUnit::Seconds => std::time::Duration::from_secs(n),
            ExpiresInUnit::Milliseconds => std::time::Duration::from_millis(n),
        }
    }
}
