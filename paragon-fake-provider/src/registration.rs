//! OAuth 2.0 Dynamic Client Registration (RFC 7591): `POST /oauth/register` issues a client
//! id and secret that the authorization and token endpoints then accept, as MCP-style
//! servers do for clients they have never seen.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CACHE_CONTROL;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::oauth::check_redirect_uri;
use crate::state::{AppState, RegisteredClient, Secret, new_token};

/// The grant types a registered client may ask for.
const GRANT_TYPES: &[&str] = &["authorization_code", "refresh_token"];

/// The client authentication methods the token endpoint supports.
const AUTH_METHODS: &[&str] = &["client_secret_basic", "client_secret_post"];

/// `POST /oauth/register`: validates the client metadata (§2) and answers with the issued
/// client (§3.2.1), or with an error (§3.2.2) naming the field that is wrong.
pub(crate) async fn register(State(state): State<AppState>, body: axum::body::Bytes) -> Response {
    let metadata = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(m)) => m,
        Ok(_) => return refuse("invalid_client_metadata", "the body must be a JSON object"),
        Err(e) => {
            return refuse(
                "invalid_client_metadata",
                &format!("the body is not JSON: {e}"),
            );
        }
    };
    let redirect_uris = match redirect_uris(metadata.get("redirect_uris")) {
        Ok(uris) => uris,
        Err(message) => return refuse("invalid_redirect_uri", &message),
    };
    let checked =
        one_of_each(metadata.get("grant_types"), "grant_types", GRANT_TYPES).and_then(|grants| {
            let method = one_of(
                metadata.get("token_endpoint_auth_method"),
                "token_endpoint_auth_method",
                AUTH_METHODS,
            )?;
            let name = match metadata.get("client_name") {
                None => None,
                Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
                Some(_) => return Err("client_name must be a non-empty string".to_owned()),
            };
            Ok((grants, method, name))
        });
    let (grant_types, method, name) = match checked {
        Ok(checked) => checked,
        Err(message) => return refuse("invalid_client_metadata", &message),
    };
    let client_id = new_token("tl_client_");
    let secret = new_token("tl_secret_");
    let name = name.unwrap_or_else(|| client_id.clone());
    {
        let mut inner = state.lock();
        inner.stats.registrations += 1;
        inner.registered.insert(
            client_id.clone(),
            RegisteredClient {
                secret: Secret(secret.clone()),
                name: name.clone(),
                redirect_uris: redirect_uris.clone(),
            },
        );
    }
    let issued_at = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let body = json!({
        "client_id": client_id,
        "client_secret": secret,
        "client_id_issued_at": issued_at,
        "client_secret_expires_at": 0,
        "client_name": name,
        "redirect_uris": redirect_uris,
        "grant_types": grant_types,
        "response_types": ["code"],
        "token_endpoint_auth_method": method,
    });
    (
        StatusCode::CREATED,
        [(CACHE_CONTROL, "no-store")],
        Json(body),
    )
        .into_response()
}

/// `redirect_uris`: required, a non-empty array of http(s) URLs without a fragment.
fn redirect_uris(value: Option<&Value>) -> Result<Vec<String>, String> {
    let Some(Value::Array(items)) = value else {
        return Err("redirect_uris is required: an array of http(s) URLs".to_owned());
    };
    if items.is_empty() {
        return Err("redirect_uris must not be empty".to_owned());
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let uri = item
                .as_str()
                .ok_or_else(|| format!("redirect_uris/{i} must be a string"))?;
            check_redirect_uri(uri).map_err(|message| format!("redirect_uris/{i}: {message}"))?;
            Ok(uri.to_owned())
        })
        .collect()
}

/// An array field whose every item is one of `allowed` (default: the first of them).
fn one_of_each(
    value: Option<&Value>,
    field: &str,
    allowed: &[&str],
) -> Result<Vec<String>, String> {
    let Some(value) = value else {
        return Ok(vec![allowed[0].to_owned()]);
    };
    let items = value
        .as_array()
        .ok_or_else(|| format!("{field} must be an array of strings"))?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| one_of(Some(item), &format!("{field}/{i}"), allowed))
        .collect()
}

/// A string field that is one of `allowed` (default: the first of them).
fn one_of(value: Option<&Value>, field: &str, allowed: &[&str]) -> Result<String, String> {
    match value {
        None => Ok(allowed[0].to_owned()),
        Some(Value::String(s)) if allowed.contains(&s.as_str()) => Ok(s.clone()),
        Some(other) => Err(format!(
            "{field} is {other}; supported: {}",
            allowed.join(", ")
        )),
    }
}

/// An RFC 7591 §3.2.2 error answer.
fn refuse(error: &str, description: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({ "error": error, "error_description": description })),
    )
        .into_response()
}
