//! Integrations: list, connect (OAuth), uninstall, and the "send test request" check.

use http::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::null_default;
use crate::Paragon;
use crate::client::Service;
use crate::error::{Error, Result};
use crate::path;

/// An integration of the project, as the user sees it.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ProjectIntegration {
    /// Its id (for uninstall and OAuth).
    #[serde(default, deserialize_with = "null_default")]
    pub id: String,
    /// Its type: a built-in name (`salesforce`) or `custom`.
    #[serde(default, rename = "type", deserialize_with = "null_default")]
    pub kind: String,
    /// Set for custom integrations.
    #[serde(default)]
    pub custom_integration: Option<CustomIntegration>,
    /// Whether the project has it turned on.
    #[serde(default, deserialize_with = "null_default")]
    pub is_active: bool,
    /// The display name.
    #[serde(default)]
    pub name: Option<String>,
    /// The accent color.
    #[serde(default)]
    pub brand_color: Option<String>,
    /// `oauth`, `oauth_client_credential`, API keys...
    #[serde(default)]
    pub authentication_type: Option<String>,
    /// Whether the user has connected it.
    #[serde(default, deserialize_with = "null_default")]
    pub has_credential: bool,
}

/// The custom part of a custom integration.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CustomIntegration {
    /// Its slug (`tasklab` or `custom.tasklab`).
    #[serde(default)]
    pub slug: Option<String>,
    /// Its name.
    #[serde(default)]
    pub name: Option<String>,
}

impl ProjectIntegration {
    /// The name the proxy takes: the built-in type, or `custom.<slug>`.
    pub fn proxy_name(&self) -> String {
        match self
            .custom_integration
            .as_ref()
            .and_then(|c| c.slug.as_deref())
        {
            Some(slug) if self.kind == "custom" || self.kind.is_empty() => {
                if slug.starts_with("custom.") {
                    slug.to_owned()
                } else {
                    format!("custom.{slug}")
                }
            }
            _ => self.kind.clone(),
        }
    }
}

/// Options for starting an OAuth connection ([`Paragon::build_oauth`]).
#[derive(Debug, Clone, Default)]
pub struct OAuthOptions {
    end_user_supplied_values: Map<String, Value>,
    redirect_url: Option<String>,
}

impl OAuthOptions {
    /// No extra values.
    pub fn new() -> Self {
        Self::default()
    }

    /// A value the user supplied that the authorization URL needs (a subdomain…).
    pub fn value(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.end_user_supplied_values
            .insert(name.into(), value.into());
        self
    }

    /// Where the user's browser ends up after connecting.
    pub fn redirect_url(mut self, url: impl Into<String>) -> Self {
        self.redirect_url = Some(url.into());
        self
    }
}

/// The answer to a test request ([`Paragon::test_connection`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TestOutcome {
    /// The status of the answer.
    pub status: StatusCode,
    /// Why it failed (`None` on success).
    pub reason: Option<String>,
}

impl TestOutcome {
    /// Whether the test endpoint answered 2xx.
    pub fn is_success(&self) -> bool {
        self.reason.is_none() && self.status.is_success()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RedirectUrl {
    redirect_url: String,
}

impl Paragon {
    /// The project's integrations (`GET /sdk/integrations`).
    pub async fn integrations(&self) -> Result<Vec<ProjectIntegration>> {
        let call = self.project_call(Service::Api, Method::GET, "", "/sdk/integrations")?;
        self.api_call(call).await
    }

    /// Disconnects an integration for the user (`DELETE /sdk/integrations/{id}`); `credential_id`
    /// picks the account when there are several. `integration` is its id or its name
    /// (`custom.tasklab`), resolved by [`Paragon::integration_id`].
    pub async fn uninstall(&self, integration: &str, credential_id: Option<&str>) -> Result<()> {
        let integration_id = self.integration_id(integration).await?;
        let id = path::id("integration id", &integration_id)?;
        let mut call = self.project_call(
            Service::Api,
            Method::DELETE,
            "",
            &format!("/sdk/integrations/{id}"),
        )?;
        if let Some(cred) = credential_id {
            call = call.header(crate::client::headers::CREDENTIAL, cred)?;
        }
        self.api_call_unit(call).await
    }

    /// Starts an OAuth connection: the URL to send the user's browser to (the provider's
    /// authorization page). The provider then redirects to `{passport}/oauth`, which stores the
    /// credential. `integration` is its id or its name (`custom.tasklab`), resolved by
    /// [`Paragon::integration_id`].
    pub async fn build_oauth(&self, integration: &str, options: &OAuthOptions) -> Result<String> {
        let integration_id = self.integration_id(integration).await?;
        let mut call =
            self.project_call(Service::Api, Method::GET, "/v2", "/sdk/actions/build-oauth")?;
        let values = serde_json::to_string(&options.end_user_supplied_values).map_err(|e| {
            Error::InvalidRequest(format!("cannot encode the supplied values: {e}"))
        })?;
        let mut query = vec![
            ("action", "custom"),
            ("integrationId", integration_id.as_str()),
            ("endUserSuppliedValues", values.as_str()),
        ];
        if let Some(redirect) = &options.redirect_url {
            query.push(("redirectUrl", redirect));
        }
        let encoded = serde_urlencoded::to_string(&query)
            .map_err(|e| Error::InvalidRequest(format!("cannot encode the query: {e}")))?;
        call.url.push('?');
        call.url.push_str(&encoded);
        let res: RedirectUrl = self.api_call(call).await?;
        Ok(res.redirect_url)
    }

    /// "Send test request": a GET of the integration's test endpoint through the proxy.
    /// Any answer is an outcome (success, or status and reason); only failures to ask
    /// (configuration, connection, timeout) are errors.
    pub async fn test_connection(&self, integration: &str, test_path: &str) -> Result<TestOutcome> {
        match self
            .request(integration, Method::GET, test_path)
            .send()
            .await
        {
            Ok(res) => {
                let status = res.status();
                let _ = res.bytes().await;
                Ok(TestOutcome {
                    status,
                    reason: None,
                })
            }
            Err(e) => match e.status() {
                Some(status) => Ok(TestOutcome {
                    status,
                    reason: Some(e.to_string()),
                }),
                None => Err(e),
            },
        }
    }
}
