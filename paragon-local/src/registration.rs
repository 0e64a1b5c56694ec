//! Dynamic client registration (RFC 7591): when a manifest sets `registration_url`, a client
//! is registered there as a user starts connecting. The issued id and secret travel with the
//! pending flow and then with the credential (both encrypted at rest), as the credential
//! values `client_id` / `client_secret` the manifest's OAuth setup renders for the code
//! exchange and every refresh.

use std::collections::BTreeMap;

use bytes::Bytes;
use http::{Request, StatusCode, header};
use paragon_manifest::{
    OAuth, REGISTERED_CLIENT_ID, REGISTERED_CLIENT_SECRET, RegistrationRequest, Secrets,
};
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::integration::Integration;
use crate::refresh::reach_of;
use crate::store::Secret;
use crate::upstream::Upstream;

/// Largest registration answer read.
const MAX_ANSWER: usize = 64 * 1024;

/// Registers a client for a flow redirected to `redirect_uri` when the manifest asks for
/// one; returns the issued client as credential values (empty when it does not).
pub(crate) async fn register(
    http: &Upstream,
    secrets: &(dyn Secrets + Sync),
    integration: &Integration,
    oauth: &OAuth,
    secret: &Secret,
    redirect_uri: &str,
) -> Result<BTreeMap<String, String>, ApiError> {
    let (Some(registration), Some(metadata)) = (
        oauth.registration(),
        oauth.registration_request(redirect_uri),
    ) else {
        return Ok(BTreeMap::new());
    };
    let slug = &integration.slug;
    // The context borrows the secrets without `Send`: it ends before the request is awaited.
    let url = registration
        .url(&integration.context(secrets, secret, None))
        .map_err(|e| ApiError::bad_request(format!("{slug}: {e}")))?;
    let request = Request::post(url.as_str())
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT, "application/json")
        .body(Bytes::from(body(&metadata).to_string()))
        .map_err(|e| {
            ApiError::internal(format!("{slug}: the registration request is invalid: {e}"))
        })?;
    let answer = http
        .send(request, MAX_ANSWER, reach_of(registration.url_template()))
        .await
        .map_err(|e| failed(slug, format!("the client registration failed: {e}")))?;
    if !answer.status.is_success() {
        return Err(failed(
            slug,
            format!(
                "the provider refused to register a client ({}){}",
                answer.status,
                refusal(&answer.body)
            ),
        ));
    }
    issued(&answer.body).map_err(|reason| failed(slug, reason))
}

/// The registration request's JSON body (RFC 7591 §2).
fn body(m: &RegistrationRequest) -> Value {
    let mut body = json!({
        "client_name": m.client_name,
        "redirect_uris": m.redirect_uris,
        "grant_types": m.grant_types,
        "response_types": m.response_types,
        "token_endpoint_auth_method": m.token_endpoint_auth_method,
    });
    if let Some(scope) = &m.scope {
        body["scope"] = json!(scope);
    }
    body
}

/// The issued `client_id` and `client_secret` (RFC 7591 §3.2.1). The secret is required: the
/// registration asked for a confidential client.
fn issued(answer: &[u8]) -> Result<BTreeMap<String, String>, String> {
    let json: Value = serde_json::from_slice(answer)
        .map_err(|e| format!("the client registration answer is not JSON: {e}"))?;
    let field = |name: &str| {
        json.get(name)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty() && !v.chars().any(char::is_control))
            .map(str::to_owned)
            .ok_or_else(|| format!("the client registration answer has no usable `{name}`"))
    };
    Ok(BTreeMap::from([
        (REGISTERED_CLIENT_ID.to_owned(), field("client_id")?),
        (REGISTERED_CLIENT_SECRET.to_owned(), field("client_secret")?),
    ]))
}

/// The provider's `error` and `error_description` (RFC 7591 §3.2.2), when it sent them.
fn refusal(answer: &[u8]) -> String {
    let Ok(json) = serde_json::from_slice::<Value>(answer) else {
        return String::new();
    };
    let text = |name: &str| json.get(name).and_then(Value::as_str).map(str::to_owned);
    match (text("error"), text("error_description")) {
        (Some(e), Some(d)) => format!(": {e}: {d}"),
        (Some(e), None) => format!(": {e}"),
        _ => String::new(),
    }
}

fn failed(slug: &str, reason: String) -> ApiError {
    ApiError::integration(StatusCode::BAD_GATEWAY, format!("{slug}: {reason}"))
}
