//! The [`Integration`] trait: a custom integration known at compile time.

use std::future::Future;

use crate::api::TestOutcome;
use crate::{Paragon, Result};

/// A custom integration known at compile time, implemented by `#[derive(Integration)]`
/// (`paragon-macros`) and by clients generated with `paragon-codegen`.
///
/// ```
/// use paragon_sdk::{Integration, Paragon};
///
/// struct TaskLab;
///
/// impl Integration for TaskLab {
///     const NAME: &'static str = "custom.tasklab";
///     const TEST_ENDPOINT: &'static str = "/me";
/// }
///
/// async fn check(paragon: &Paragon) -> paragon_sdk::Result<bool> {
///     Ok(TaskLab::test_connection(paragon).await?.is_success())
/// }
/// ```
pub trait Integration {
    /// The integration's name on the Connect API: `custom.<slug>` for a custom integration.
    const NAME: &'static str;

    /// The path the "Send test request" check GETs, relative to the API base URL.
    const TEST_ENDPOINT: &'static str;

    /// The integration's definition (`integration.toml`) as source text, when it has one.
    fn definition_toml() -> Option<&'static str> {
        None
    }

    /// "Send test request": a GET of [`Self::TEST_ENDPOINT`] through the proxy, for the user
    /// `paragon` acts for. See [`Paragon::test_connection`].
    fn test_connection(paragon: &Paragon) -> impl Future<Output = Result<TestOutcome>> + Send {
        let paragon = paragon.clone();
        async move {
            paragon
                .test_connection(Self::NAME, Self::TEST_ENDPOINT)
                .await
        }
    }
}
