//! `/sdk/credentials`: list, get, create (API-key and client-credentials integrations),
//! update `config`, delete, and configurations.

use super::{configuration_json, credential_json, parse_body};
use crate::auth::{Access, User};
use crate::error::ApiError;
use crate::integration::Integration;
use crate::oauth::{Grant, TokenError, request_token};
use crate::state::{AppState, Shared};
use crate::store::{Configuration, Credential, Secret, Status, new_id, now_ms};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use paragon_manifest::Auth;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

async fn render(app: &AppState, c: &Credential) -> Result<Value, ApiError> {
    let configurations = app
        .store
        .configurations(&c.project_id, &c.user_id, &c.id)
        .await?;
    Ok(credential_json(
        c,
        app.integrations.get(&c.integration).map(|i| &**i),
        &configurations,
    ))
}

async fn owned(
    app: &AppState,
    user: &User,
    id: &str,
    access: Access,
) -> Result<Credential, ApiError> {
    let c = app
        .store
        .get_credential(&user.project_id, &user.user_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no credential {id:?} for this user")))?;
    user.check(&c.integration, Some(&c.id), access)?;
    Ok(c)
}

pub(crate) async fn list(
    State(app): State<Shared>,
    Path(pid): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let user = app.user(&pid, &headers)?;
    let mut out = Vec::new();
    for c in app
        .store
        .list_credentials(&pid, &user.user_id, None)
        .await?
    {
        if user
            .check(&c.integration, Some(&c.id), Access::Read)
            .is_ok()
        {
            out.push(render(&app, &c).await?);
        }
    }
    Ok(Json(Value::Array(out)))
}

pub(crate) async fn get(
    State(app): State<Shared>,
    Path((pid, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let user = app.user(&pid, &headers)?;
    let c = owned(&app, &user, &id, Access::Read).await?;
    Ok(Json(render(&app, &c).await?))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NewCredential {
    integration_id: String,
    #[serde(default)]
    config: Map<String, Value>,
    #[serde(default)]
    payload: Map<String, Value>,
}

/// Checks the user's input values against the manifest's declared fields.
pub(crate) fn check_inputs(
    integration: &Integration,
    payload: &Map<String, Value>,
) -> Result<BTreeMap<String, String>, ApiError> {
    let fields = integration.manifest.inputs();
    let mut inputs = BTreeMap::new();
    for (k, v) in payload {
        if !fields.iter().any(|f| f.key() == k) {
            let declared: Vec<&str> = fields.iter().map(|f| f.key()).collect();
            return Err(ApiError::bad_request(format!(
                "unknown input `{k}` for {} (declared inputs: {})",
                integration.slug,
                if declared.is_empty() {
                    "none".to_string()
                } else {
                    declared.join(", ")
                }
            )));
        }
        let v = match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => {
                return Err(ApiError::bad_request(format!(
                    "input `{k}` must be a string"
                )));
            }
        };
        // Inputs end up in URLs and headers: a control character could inject a header.
        if v.chars().any(char::is_control) {
            return Err(ApiError::bad_request(format!(
                "input `{k}` contains a control character"
            )));
        }
        inputs.insert(k.clone(), v);
    }
    let mut problems = Vec::new();
    for f in fields {
        let value = inputs.get(f.key()).map(String::as_str);
        if let Err(e) = integration.manifest.check_input(f, value) {
            problems.push(Value::String(format!("{}: {e}", f.key())));
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::bad_request(format!(
            "invalid input values: {}",
            problems
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("; ")
        ))
        .with_meta(json!({ "errors": problems })));
    }
    Ok(inputs)
}

/// Creates a credential from input values (API keys, client id/secret, other fields). For
/// client credentials the first token is fetched now, so bad client credentials are refused.
pub(crate) async fn create_credential(
    app: &AppState,
    user: &User,
    integration: &Integration,
    payload: &Map<String, Value>,
    config: Map<String, Value>,
) -> Result<Credential, ApiError> {
    user.check(&integration.slug, None, Access::Write)?;
    if matches!(integration.manifest.auth(), Auth::OAuth(_)) {
        return Err(ApiError::bad_request(format!(
            "{} uses OAuth: start the connection with GET /v2/projects/{{pid}}/sdk/actions/build-oauth",
            integration.slug
        )));
    }
    let inputs = check_inputs(integration, payload)?;
    let now = now_ms();
    let mut c = Credential {
        id: new_id(),
        project_id: user.project_id.clone(),
        user_id: user.user_id.clone(),
        integration: integration.slug.clone(),
        status: Status::Valid,
        status_reason: None,
        provider_id: None,
        config: Value::Object(config),
        secret: Secret {
            inputs,
            ..Secret::default()
        },
        expires_at: None,
        version: 1,
        created_at: now,
        refreshed_at: None,
    };
    if let Auth::ClientCredentials(cc) = integration.manifest.auth() {
        let endpoint = crate::refresh::renewal_endpoint(&app.secrets, integration, &c)?;
        let grant = Grant::ClientCredentials {
            scopes: cc.scopes(),
        };
        match request_token(&app.http, &endpoint, grant, cc.capture()).await {
            Ok(tokens) => {
                c.secret.access_token = Some(tokens.access_token);
                c.secret.refresh_token = tokens.refresh_token;
                c.secret.captured = tokens.captured;
                c.expires_at = tokens.expires_at;
                c.refreshed_at = Some(now);
            }
            Err(TokenError::Rejected(reason)) => {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_client_credentials",
                    format!("the provider refused these client credentials: {reason}"),
                ));
            }
            Err(e) => {
                return Err(ApiError::integration(
                    StatusCode::BAD_GATEWAY,
                    e.to_string(),
                ));
            }
        }
    }
    if let Auth::TokenExchange(_) = integration.manifest.auth() {
        // Exchanged now, so inputs the provider refuses are refused here, not at first use.
        match crate::exchange::exchange(&app.http, &app.secrets, integration, &c.secret).await {
            Ok(tokens) => {
                c.provider_id = tokens.provider_id(integration.manifest.auth().provider_id_path());
                c.secret.access_token = Some(tokens.access_token);
                c.expires_at = tokens.expires_at;
                c.refreshed_at = Some(now);
            }
            Err(TokenError::Rejected(reason)) => {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_credentials",
                    format!("the provider refused these values: {reason}"),
                ));
            }
            Err(e) => {
                return Err(ApiError::integration(
                    StatusCode::BAD_GATEWAY,
                    e.to_string(),
                ));
            }
        }
    }
    app.store.insert_credential(&c).await?;
    crate::workflows::triggers::credential_created(app, &c).await;
    Ok(c)
}

pub(crate) async fn create(
    State(app): State<Shared>,
    Path(pid): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let user = app.user(&pid, &headers)?;
    let body: NewCredential = parse_body(&body)?;
    let integration = app.integration(&body.integration_id)?.clone();
    let c = create_credential(&app, &user, &integration, &body.payload, body.config).await?;
    Ok(Json(render(&app, &c).await?))
}

#[derive(Deserialize)]
pub(crate) struct ConfigBody {
    config: Value,
}

pub(crate) async fn update(
    State(app): State<Shared>,
    Path((pid, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let user = app.user(&pid, &headers)?;
    let body: ConfigBody = parse_body(&body)?;
    if !body.config.is_object() {
        return Err(ApiError::bad_request("`config` must be an object"));
    }
    owned(&app, &user, &id, Access::Write).await?;
    app.store
        .update_config(&pid, &user.user_id, &id, &body.config)
        .await?;
    let c = owned(&app, &user, &id, Access::Read).await?;
    Ok(Json(render(&app, &c).await?))
}

pub(crate) async fn delete(
    State(app): State<Shared>,
    Path((pid, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let user = app.user(&pid, &headers)?;
    owned(&app, &user, &id, Access::Write).await?;
    app.store
        .delete_credential(&pid, &user.user_id, &id)
        .await?;
    Ok(Json(json!({ "success": true })))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ConfigurationBody {
    #[serde(default)]
    external_id: Option<String>,
    #[serde(default)]
    meta: Option<Value>,
}

fn configuration_id(headers: &HeaderMap) -> Result<String, ApiError> {
    headers
        .get("x-paragon-configuration-id")
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::bad_request("missing the X-Paragon-Configuration-Id header"))
}

pub(crate) async fn create_configuration(
    State(app): State<Shared>,
    Path((pid, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let user = app.user(&pid, &headers)?;
    let body: ConfigurationBody = if body.is_empty() {
        Default::default()
    } else {
        parse_body(&body)?
    };
    owned(&app, &user, &id, Access::Write).await?;
    let c = Configuration {
        id: new_id(),
        credential_id: id,
        external_id: body.external_id,
        meta: body.meta.unwrap_or(json!({})),
        created_at: now_ms(),
    };
    app.store
        .insert_configuration(&pid, &user.user_id, &c)
        .await?;
    Ok(Json(configuration_json(&c)))
}

pub(crate) async fn update_configuration(
    State(app): State<Shared>,
    Path((pid, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let user = app.user(&pid, &headers)?;
    let config_id = configuration_id(&headers)?;
    let body: ConfigurationBody = parse_body(&body)?;
    owned(&app, &user, &id, Access::Write).await?;
    let meta = body.meta.unwrap_or(json!({}));
    if !app
        .store
        .update_configuration(&pid, &user.user_id, &id, &config_id, &meta)
        .await?
    {
        return Err(ApiError::not_found(format!(
            "no configuration {config_id:?} on credential {id}"
        )));
    }
    let all = app.store.configurations(&pid, &user.user_id, &id).await?;
    let c = all
        .iter()
        .find(|c| c.id == config_id)
        .ok_or_else(|| ApiError::not_found("configuration vanished"))?;
    Ok(Json(configuration_json(c)))
}

pub(crate) async fn delete_configuration(
    State(app): State<Shared>,
    Path((pid, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let user = app.user(&pid, &headers)?;
    let config_id = configuration_id(&headers)?;
    owned(&app, &user, &id, Access::Write).await?;
    if !app
        .store
        .delete_configuration(&pid, &user.user_id, &id, &config_id)
        .await?
    {
        return Err(ApiError::not_found(format!(
            "no configuration {config_id:?} on credential {id}"
        )));
    }
    Ok(Json(json!({ "success": true })))
}
