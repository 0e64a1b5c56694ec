//! The Connect API's own endpoints (users, credentials, events, workflows, ActionKit) and the
//! OAuth start/callback.

pub(crate) mod connect;
pub(crate) mod credentials;
pub(crate) mod events;
pub(crate) mod integrations;
pub(crate) mod portal;
pub(crate) mod tools;
pub(crate) mod users;

use crate::error::ApiError;
use crate::integration::Integration;
use crate::store::{Configuration, Credential};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use std::time::{Duration, UNIX_EPOCH};

/// Parses a JSON body with an error that says what is wrong and where.
pub(crate) fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.is_empty() {
        return Err(ApiError::bad_request("expected a JSON body"));
    }
    serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request(format!(
            "invalid JSON body at line {} column {}: {e}",
            e.line(),
            e.column()
        ))
    })
}

/// The last millisecond of year 9999, the last RFC 3339 can write.
const LAST_DATE_MS: i64 = 253_402_300_799_999;

/// RFC 3339 time of a millisecond timestamp (clamped to years 1970 to 9999, so a stored
/// far-future expiry never makes an answer fail).
pub(crate) fn date(ms: i64) -> String {
    let t = UNIX_EPOCH + Duration::from_millis(ms.clamp(0, LAST_DATE_MS) as u64);
    humantime::format_rfc3339_millis(t).to_string()
}

pub(crate) fn configuration_json(c: &Configuration) -> Value {
    json!({
        "id": c.id,
        "credentialId": c.credential_id,
        "connectCredentialId": c.credential_id,
        "externalId": c.external_id,
        "isDefault": false,
        "meta": c.meta,
        "workflowSettings": {},
        "sharedSettings": {},
        "configMeta": {},
        "dateCreated": date(c.created_at),
        "dateUpdated": date(c.created_at),
    })
}

/// The id of a credential's default configuration: derived from the credential's id, so every
/// answer and every replica names the same one.
pub(crate) fn default_configuration_id(credential_id: &str) -> String {
    uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_URL,
        format!("paragon-local:default-configuration:{credential_id}").as_bytes(),
    )
    .to_string()
}

/// A user's workflow switches per integration slug (`{workflowId: {enabled, …}}`).
pub(crate) type WorkflowSwitches = std::collections::BTreeMap<String, Map<String, Value>>;

/// The configuration the cloud creates with every credential (`isDefault: true`): the
/// official SDK looks it up to show or change a connected account. Its `sharedSettings` are
/// the credential's `config`; its `workflowSettings` the user's switches for the integration,
/// which the local server keeps per user rather than per configuration.
fn default_configuration_json(c: &Credential, switches: &WorkflowSwitches) -> Value {
    let settings = |key: &str| match c.config.get(key) {
        Some(v @ Value::Object(_)) => v.clone(),
        _ => json!({}),
    };
    json!({
        "id": default_configuration_id(&c.id),
        "credentialId": c.id,
        "connectCredentialId": c.id,
        "externalId": null,
        "isDefault": true,
        "meta": {},
        "workflowSettings": switches.get(&c.integration).cloned().unwrap_or_default(),
        "sharedSettings": settings("sharedSettings"),
        "configMeta": {},
        "dateCreated": date(c.created_at),
        "dateUpdated": date(c.refreshed_at.unwrap_or(c.created_at)),
    })
}

/// A credential as the Connect API shows it: never any secret.
pub(crate) fn credential_json(
    c: &Credential,
    integration: Option<&Integration>,
    configurations: &[Configuration],
    switches: &WorkflowSwitches,
) -> Value {
    json!({
        "id": c.id,
        "projectId": c.project_id,
        "integrationId": integration.map(|i| i.id.clone()),
        "integrationType": c.integration,
        "personaId": c.user_id,
        "status": c.status.as_str(),
        "statusReason": c.status_reason,
        "providerId": c.provider_id,
        "config": c.config,
        "dateCreated": date(c.created_at),
        "dateRefreshed": c.refreshed_at.map(date),
        "dateValidUntil": c.expires_at.map(date),
        "dateUpdated": date(c.refreshed_at.unwrap_or(c.created_at)),
        "configurations": std::iter::once(default_configuration_json(c, switches))
            .chain(configurations.iter().map(configuration_json))
            .collect::<Vec<_>>(),
    })
}
