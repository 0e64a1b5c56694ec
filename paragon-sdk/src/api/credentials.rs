//! Credentials (connected accounts) and their configurations.

use http::Method;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::null_default;
use crate::Paragon;
use crate::client::Service;
use crate::error::Result;
use crate::path;

/// A credential's status. Values Paragon adds later are kept in `Other`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialStatus {
    /// Being set up.
    Pending,
    /// Usable.
    Valid,
    /// Revoked or failing; the user must reconnect.
    Invalid,
    /// A status this version does not know.
    Other(String),
}

impl<'de> Deserialize<'de> for CredentialStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(match s.as_str() {
            "PENDING" => CredentialStatus::Pending,
            "VALID" => CredentialStatus::Valid,
            "INVALID" => CredentialStatus::Invalid,
            _ => CredentialStatus::Other(s),
        })
    }
}

impl Serialize for CredentialStatus {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(match self {
            CredentialStatus::Pending => "PENDING",
            CredentialStatus::Valid => "VALID",
            CredentialStatus::Invalid => "INVALID",
            CredentialStatus::Other(other) => other,
        })
    }
}

/// A connected account.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Credential {
    /// Its id (for `X-Paragon-Credential`).
    #[serde(default, deserialize_with = "null_default")]
    pub id: String,
    /// The project.
    #[serde(default)]
    pub project_id: Option<String>,
    /// The integration it belongs to.
    #[serde(default)]
    pub integration_id: Option<String>,
    /// Its status.
    #[serde(default)]
    pub status: Option<CredentialStatus>,
    /// The account id at the provider.
    #[serde(default)]
    pub provider_id: Option<String>,
    /// When it was created (as Paragon formats it).
    #[serde(default)]
    pub date_created: Option<String>,
    /// When its tokens were last refreshed.
    #[serde(default)]
    pub date_refreshed: Option<String>,
    /// Its settings (`sharedSettings`, `workflowSettings`).
    #[serde(default)]
    pub config: Option<Value>,
    /// Its configurations.
    #[serde(default, deserialize_with = "null_default")]
    pub configurations: Vec<Configuration>,
}

/// A configuration of a credential.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Configuration {
    /// Its id (for `X-Paragon-Configuration-Id`).
    #[serde(default, deserialize_with = "null_default")]
    pub id: String,
    /// Your own id for it.
    #[serde(default)]
    pub external_id: Option<String>,
    /// Its metadata.
    #[serde(default)]
    pub meta: Option<Value>,
    /// When it was created (as Paragon formats it, RFC 3339).
    #[serde(default)]
    pub date_created: Option<String>,
}

/// The body of `POST /sdk/credentials`: an API-key or client-credentials connection.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewCredential {
    integration_id: String,
    config: Map<String, Value>,
    payload: Map<String, Value>,
}

impl NewCredential {
    /// A credential for an integration, by id or name (`custom.tasklab`, resolved by
    /// [`Paragon::integration_id`] when it is created), with no input values yet.
    pub fn new(integration_id: impl Into<String>) -> Self {
        NewCredential {
            integration_id: integration_id.into(),
            config: Map::new(),
            payload: Map::new(),
        }
    }

    /// An input value (an API key, a subdomain, a client id…).
    pub fn value(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.payload.insert(name.into(), value.into());
        self
    }

    /// A `config` entry.
    pub fn config(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.config.insert(name.into(), value.into());
        self
    }
}

impl Paragon {
    /// The user's credentials (`GET /sdk/credentials`).
    pub async fn credentials(&self) -> Result<Vec<Credential>> {
        let call = self.project_call(Service::Api, Method::GET, "", "/sdk/credentials")?;
        self.api_call(call).await
    }

    /// One credential (`GET /sdk/credentials/{id}`).
    pub async fn credential(&self, credential_id: &str) -> Result<Credential> {
        let id = path::id("credential id", credential_id)?;
        let call = self.project_call(
            Service::Api,
            Method::GET,
            "",
            &format!("/sdk/credentials/{id}"),
        )?;
        self.api_call(call).await
    }

    /// Creates an API-key / client-credentials credential (`POST /sdk/credentials`).
    pub async fn create_credential(&self, credential: &NewCredential) -> Result<Credential> {
        let body = NewCredential {
            integration_id: self.integration_id(&credential.integration_id).await?,
            ..credential.clone()
        };
        let call = self
            .project_call(Service::Api, Method::POST, "", "/sdk/credentials")?
            .json(&body)?;
        self.api_call(call).await
    }

    /// Replaces a credential's `config` (`PATCH /sdk/credentials/{id}`), e.g.
    /// `{"sharedSettings": {…}}`.
    pub async fn update_credential<C: Serialize + ?Sized>(
        &self,
        credential_id: &str,
        config: &C,
    ) -> Result<Credential> {
        let id = path::id("credential id", credential_id)?;
        let config = serde_json::to_value(config)
            .map_err(|e| crate::Error::InvalidRequest(format!("cannot encode the config: {e}")))?;
        let call = self
            .project_call(
                Service::Api,
                Method::PATCH,
                "",
                &format!("/sdk/credentials/{id}"),
            )?
            .json(&serde_json::json!({ "config": config }))?;
        self.api_call(call).await
    }

    /// Creates a configuration of a credential, optionally with your own id for it, and
    /// returns it.
    ///
    /// Paragon answers with the whole credential; the new configuration is its newest entry
    /// (with `external_id`, the newest one carrying it), as the official SDK reads it.
    pub async fn create_configuration(
        &self,
        credential_id: &str,
        external_id: Option<&str>,
    ) -> Result<Configuration> {
        let id = path::id("credential id", credential_id)?;
        let mut body = Map::new();
        if let Some(ext) = external_id {
            body.insert("externalId".into(), Value::String(ext.to_owned()));
        }
        let call = self
            .project_call(
                Service::Api,
                Method::POST,
                "",
                &format!("/sdk/credentials/{id}/configurations"),
            )?
            .json(&body)?;
        let credential: Credential = self.api_call(call).await?;
        newest_configuration(credential.configurations, external_id).ok_or_else(|| {
            crate::Error::decode(
                "the answer lists no configuration with that external id",
                b"",
            )
        })
    }

    /// Sets a configuration's metadata.
    pub async fn update_configuration<M: Serialize + ?Sized>(
        &self,
        credential_id: &str,
        configuration_id: &str,
        meta: &M,
    ) -> Result<()> {
        let id = path::id("credential id", credential_id)?;
        let meta = serde_json::to_value(meta).map_err(|e| {
            crate::Error::InvalidRequest(format!("cannot encode the metadata: {e}"))
        })?;
        let call = self
            .project_call(
                Service::Api,
                Method::PATCH,
                "",
                &format!("/sdk/credentials/{id}/configurations"),
            )?
            .header(crate::client::headers::CONFIGURATION_ID, configuration_id)?
            .json(&serde_json::json!({ "meta": meta }))?;
        self.api_call_unit(call).await
    }

    /// Deletes a configuration.
    pub async fn delete_configuration(
        &self,
        credential_id: &str,
        configuration_id: &str,
    ) -> Result<()> {
        let id = path::id("credential id", credential_id)?;
        let call = self
            .project_call(
                Service::Api,
                Method::DELETE,
                "",
                &format!("/sdk/credentials/{id}/configurations"),
            )?
            .header(crate::client::headers::CONFIGURATION_ID, configuration_id)?;
        self.api_call_unit(call).await
    }
}

/// The newest of `configurations` (by `dateCreated`, else the last listed), among those with
/// `external_id` when one is given.
fn newest_configuration(
    configurations: Vec<Configuration>,
    external_id: Option<&str>,
) -> Option<Configuration> {
    configurations
        .into_iter()
        .filter(|c| external_id.is_none_or(|e| c.external_id.as_deref() == Some(e)))
        .enumerate()
        .max_by(|(i, a), (j, b)| (&a.date_created, i).cmp(&(&b.date_created, j)))
        .map(|(_, c)| c)
}
