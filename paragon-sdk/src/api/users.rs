//! The current user: `GET`/`PATCH /sdk/me`.

use std::collections::BTreeMap;

use http::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::null_default;
use crate::Paragon;
use crate::api::{Credential, CredentialStatus};
use crate::client::Service;
use crate::error::Result;

/// The user a token acts for, and the state of each integration for them.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct User {
    /// Whether the token was accepted.
    #[serde(default, deserialize_with = "null_default")]
    pub authenticated: bool,
    /// The app's own user id (the token's `sub`).
    #[serde(default)]
    pub user_id: Option<String>,
    /// Per integration type (`salesforce`, `custom.tasklab`): whether it is connected.
    #[serde(default, deserialize_with = "null_default")]
    pub integrations: BTreeMap<String, IntegrationState>,
    /// The user's metadata (`Name`, `Email`, any other keys).
    #[serde(default, deserialize_with = "null_default")]
    pub meta: Map<String, Value>,
}

/// One integration's state for the user.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct IntegrationState {
    /// Whether the user has connected it.
    #[serde(default, deserialize_with = "null_default")]
    pub enabled: bool,
    /// The default credential.
    #[serde(default)]
    pub credential_id: Option<String>,
    /// Its status.
    #[serde(default)]
    pub credential_status: Option<CredentialStatus>,
    /// The account id at the provider.
    #[serde(default)]
    pub provider_id: Option<String>,
    /// Every connected account.
    #[serde(default, deserialize_with = "null_default")]
    pub all_credentials: Vec<Credential>,
    /// The integration's workflows for this user, by workflow id.
    #[serde(default, deserialize_with = "null_default")]
    pub configured_workflows: BTreeMap<String, ConfiguredWorkflow>,
}

/// A workflow's state for the user.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ConfiguredWorkflow {
    /// Whether it runs for the user.
    #[serde(default, deserialize_with = "null_default")]
    pub enabled: bool,
    /// Its display name, when the server says.
    #[serde(default)]
    pub name: Option<String>,
    /// Whether the portal hides it.
    #[serde(default, deserialize_with = "null_default")]
    pub hidden: bool,
}

impl Paragon {
    /// The current user and the state of their integrations (`GET /sdk/me`).
    pub async fn me(&self) -> Result<User> {
        let call = self.project_call(Service::Api, Method::GET, "", "/sdk/me")?;
        self.api_call(call).await
    }

    /// Sets the user's metadata (`PATCH /sdk/me` with `{"meta": …}`): `Name`, `Email`, or any
    /// keys your integrations read as `{user.<key>}`.
    pub async fn set_metadata<M: serde::Serialize + ?Sized>(&self, meta: &M) -> Result<()> {
        let call = self
            .project_call(Service::Api, Method::PATCH, "", "/sdk/me")?
            .json(&serde_json::json!({ "meta": serde_json::to_value(meta).map_err(|e| crate::Error::InvalidRequest(format!("cannot encode the metadata: {e}")))? }))?;
        self.api_call_unit(call).await
    }
}
