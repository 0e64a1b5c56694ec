//! When and how long to wait before trying a request again.

use std::time::{Duration, SystemTime};

use http::HeaderMap;

/// Retries with exponential backoff and full jitter.
///
/// Retried: 429, 502, 503, 504 and connection failures; never another 4xx. `Retry-After`
/// (seconds or an HTTP date) is honoured. Idempotent methods (GET, HEAD, PUT, DELETE, OPTIONS,
/// TRACE) are retried by default; POST and PATCH only when the request opts in with
/// [`ProxyRequest::idempotent`](crate::ProxyRequest::idempotent). Requests with a streaming
/// body are never retried (the body cannot be replayed).
///
/// ```
/// use std::time::Duration;
/// use paragon_sdk::RetryPolicy;
/// let policy = RetryPolicy::new()
///     .max_attempts(5)
///     .base_delay(Duration::from_millis(200))
///     .max_delay(Duration::from_secs(10))
///     .total_budget(Duration::from_secs(60));
/// # let _ = policy;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    base_delay: Duration,
    max_delay: Duration,
    total_budget: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(5),
            total_budget: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// Three attempts, 100 ms base delay, 5 s maximum delay, 30 s total.
    pub fn new() -> Self {
        Self::default()
    }

    /// One attempt: no retries.
    pub fn none() -> Self {
        Self::default().max_attempts(1)
    }

    /// Attempts in all, the first included (at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The first backoff ceiling; it doubles at each retry.
    pub fn base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// The largest wait between attempts (a longer `Retry-After` ends the retries).
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// No retry starts once this much time has passed since the first attempt, nor when its
    /// wait would go past it.
    pub fn total_budget(mut self, budget: Duration) -> Self {
        self.total_budget = budget;
        self
    }

    /// The number of attempts allowed.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The wait before attempt `attempt + 1` (after `attempt` failures), or `None` to stop.
    pub(crate) fn delay(
        &self,
        attempt: u32,
        elapsed: Duration,
        retry_after: Option<Duration>,
    ) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        let wait = match retry_after {
            Some(asked) if asked > self.max_delay => return None,
            Some(asked) => asked,
            None => {
                let ceiling = self
                    .base_delay
                    .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)))
                    .min(self.max_delay);
                let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
                Duration::from_nanos(if nanos == 0 {
                    0
                } else {
                    fastrand::u64(0..=nanos)
                })
            }
        };
        (elapsed + wait <= self.total_budget).then_some(wait)
    }
}

/// `Retry-After` as seconds or an HTTP date.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = value.parse::<f64>()
        && secs.is_finite()
        && secs >= 0.0
    {
        return Some(Duration::from_secs_f64(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(
        at.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_bounded_and_stops() {
        let p = RetryPolicy::new()
            .base_delay(Duration::from_millis(100))
            .max_delay(Duration::from_millis(250));
        for attempt in 1..3 {
            let d = p.delay(attempt, Duration::ZERO, None).unwrap();
            assert!(d <= Duration::from_millis(250), "{d:?}");
        }
        assert_eq!(p.delay(3, Duration::ZERO, None), None);
        assert_eq!(p.delay(1, Duration::from_secs(31), None), None);
    }

    #[test]
    fn retry_after_is_honoured_within_limits() {
        let p = RetryPolicy::new();
        assert_eq!(
            p.delay(1, Duration::ZERO, Some(Duration::from_secs(2))),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            p.delay(1, Duration::ZERO, Some(Duration::from_secs(60))),
            None
        );
    }

    #[test]
    fn parses_retry_after_forms() {
        let mut h = HeaderMap::new();
        h.insert(http::header::RETRY_AFTER, "3".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3)));
        let later = SystemTime::now() + Duration::from_secs(120);
        h.insert(
            http::header::RETRY_AFTER,
            httpdate::fmt_http_date(later).parse().unwrap(),
        );
        let d = retry_after(&h).unwrap();
        assert!(
            d > Duration::from_secs(100) && d <= Duration::from_secs(120),
            "{d:?}"
        );
        h.insert(http::header::RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&h), None);
    }
}
