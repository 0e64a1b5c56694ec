//! Typed calls to the rest of the Connect API, as methods on [`Paragon`].
//!
//! Response types are forward compatible: unknown fields are ignored, `null` reads as the
//! default, and unknown enum values are kept ([`CredentialStatus::Other`]). They also implement
//! `Serialize` (camelCase, as Paragon sends them), to cache or print them.

mod actionkit;
mod credentials;
mod events;
mod integration_ids;
mod integrations;
mod task_history;
mod users;
mod workflows;

pub use actionkit::{Tool, ToolFunction, Tools};
pub use credentials::{Configuration, Credential, CredentialStatus, NewCredential};
pub use events::FieldOptionsRequest;
pub(crate) use integration_ids::IntegrationIds;
pub use integrations::{CustomIntegration, OAuthOptions, ProjectIntegration, TestOutcome};
pub use task_history::{ExecutionQuery, StepExecution, WorkflowExecution};
pub use users::{ConfiguredWorkflow, IntegrationState, User};
pub use workflows::WorkflowOutcome;

use http::Method;
use serde::Deserialize;

use crate::Paragon;
use crate::client::{Call, Service};
use crate::error::Result;

/// `null` or absent reads as the type's default.
pub(crate) fn null_default<'de, D, T>(d: D) -> std::result::Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + serde::Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

impl Paragon {
    /// A call to `{service}{prefix}/projects/{pid}{path}`.
    pub(crate) fn project_call(
        &self,
        service: Service,
        method: Method,
        prefix: &str,
        path: &str,
    ) -> Result<Call> {
        let pid = self.project_id()?;
        let full = format!("{prefix}/projects/{pid}{path}");
        let url = self.service_url(service, &full)?;
        Ok(Call::api(method, url, &full))
    }

    /// Sends `call` and ignores the body of the 2xx answer.
    pub(crate) async fn api_call_unit(&self, call: Call) -> Result<()> {
        let res = self.execute(call).await?;
        // Drain the body so the connection goes back to the pool.
        let _ = crate::client::read_body(res, self.max_body()).await;
        Ok(())
    }
}
