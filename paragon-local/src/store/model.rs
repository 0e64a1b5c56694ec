//! The rows the store hands out.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;

/// The state of a credential, as the Connect API reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Valid,
    Invalid,
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Valid => "VALID",
            Status::Invalid => "INVALID",
        }
    }
    pub(super) fn parse(s: &str) -> Status {
        if s == "VALID" {
            Status::Valid
        } else {
            Status::Invalid
        }
    }
}

/// The encrypted part of a credential. `Debug` shows field names only.
#[derive(Clone, Default, Serialize, Deserialize)]
pub(crate) struct Secret {
    /// The user's input fields (API keys, subdomains, client id/secret for client credentials).
    #[serde(default)]
    pub inputs: BTreeMap<String, String>,
    #[serde(default)]
    pub access_token: Option<String>,
    #[serde(default)]
    pub refresh_token: Option<String>,
    /// Values captured from the token response (`{credential.<name>}`).
    #[serde(default)]
    pub captured: BTreeMap<String, String>,
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secret")
            .field("inputs", &self.inputs.keys().collect::<Vec<_>>())
            .field(
                "access_token",
                &self.access_token.as_ref().map(|_| "<redacted>"),
            )
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "<redacted>"),
            )
            .field("captured", &self.captured.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// One connected account of a user.
#[derive(Debug, Clone)]
pub(crate) struct Credential {
    pub id: String,
    pub project_id: String,
    pub user_id: String,
    pub integration: String,
    pub status: Status,
    pub status_reason: Option<String>,
    pub provider_id: Option<String>,
    pub config: Value,
    pub secret: Secret,
    /// When the access token expires (ms), if known.
    pub expires_at: Option<i64>,
    /// Bumped on every write of the secret: the compare-and-swap token for refreshes.
    pub version: i64,
    pub created_at: i64,
    pub refreshed_at: Option<i64>,
}

/// A configuration attached to a credential.
#[derive(Debug, Clone)]
pub(crate) struct Configuration {
    pub id: String,
    pub credential_id: String,
    pub external_id: Option<String>,
    pub meta: Value,
    pub created_at: i64,
}

/// A pending OAuth authorization: what the callback needs to finish it.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct PendingOAuth {
    pub project_id: String,
    pub user_id: String,
    pub integration: String,
    pub pkce_verifier: Option<String>,
    pub inputs: BTreeMap<String, String>,
    pub redirect_url: Option<String>,
    pub redirect_uri: String,
    /// The provider's authorization code, kept while the browser is asked to confirm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The callback's query values the manifest keeps (`callback_capture`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub callback: BTreeMap<String, String>,
    /// The client registered for this flow (`registration_url`), as credential values.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub registered: BTreeMap<String, String>,
    /// The official JavaScript SDK's `oauthMetaKeyId` when its popup started the flow: the
    /// callback records the new credential under it for `/sdk/actions/session-id/{key}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdk_session: Option<String>,
    /// The INVALID credential this flow re-authorizes in place (its id, settings and workflow
    /// states kept), instead of creating another.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconnect: Option<String>,
}

impl fmt::Debug for PendingOAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingOAuth")
            .field("user_id", &self.user_id)
            .field("integration", &self.integration)
            .finish_non_exhaustive()
    }
}
