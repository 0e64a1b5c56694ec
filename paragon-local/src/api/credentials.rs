//! `/sdk/credentials`: list, get, create (API-key and client-credentials integrations),
//! update `config`, delete, and configurations.

use super::{WorkflowSwitches, configuration_json, credential_json, parse_body};
use crate::auth::{Access, User};
use crate::error::ApiError;
use crate::flows::create_credential;
use crate::permissions::Caller;
use crate::state::{AppState, Shared};
use crate::store::{Configuration, Credential, new_id, now_ms};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use serde::Deserialize;
use serde_json::{Map, Value, json};

async fn render(app: &Shared, c: &Credential) -> Result<Value, ApiError> {
    let switches = crate::workflows::triggers::me_state(app, &c.user_id).await?;
    render_with(app, c, &switches).await
}

async fn render_with(
    app: &AppState,
    c: &Credential,
    switches: &WorkflowSwitches,
) -> Result<Value, ApiError> {
    let configurations = app
        .store
        .configurations(&c.project_id, &c.user_id, &c.id)
        .await?;
    Ok(credential_json(
        c,
        app.integrations.get(&c.integration).map(|i| &**i),
        &configurations,
        switches,
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
    Caller(user): Caller,
) -> Result<Json<Value>, ApiError> {
    let switches = crate::workflows::triggers::me_state(&app, &user.user_id).await?;
    let mut out = Vec::new();
    for c in app
        .store
        .list_credentials(&user.project_id, &user.user_id, None)
        .await?
    {
        if user
            .check(&c.integration, Some(&c.id), Access::Read)
            .is_ok()
        {
            out.push(render_with(&app, &c, &switches).await?);
        }
    }
    Ok(Json(Value::Array(out)))
}

pub(crate) async fn get(
    State(app): State<Shared>,
    Caller(user): Caller,
    Path((_pid, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
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

/// `POST /sdk/credentials`.
pub(crate) async fn create(
    State(app): State<Shared>,
    Caller(user): Caller,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let mut body: NewCredential = parse_body(&body)?;
    // The official SDK's install flow sends this flag among the inputs; it is not one.
    body.payload.remove("skipPostOAuthInputs");
    let integration = app.integration_by_id(&body.integration_id)?.clone();
    let c = create_credential(&app, &user, &integration, &body.payload, body.config).await?;
    Ok(Json(render(&app, &c).await?))
}

#[derive(Deserialize)]
pub(crate) struct ConfigBody {
    config: Value,
}

pub(crate) async fn update(
    State(app): State<Shared>,
    Caller(user): Caller,
    Path((_pid, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let body: ConfigBody = parse_body(&body)?;
    if !body.config.is_object() {
        return Err(ApiError::bad_request("`config` must be an object"));
    }
    owned(&app, &user, &id, Access::Write).await?;
    app.store
        .update_config(&user.project_id, &user.user_id, &id, &body.config)
        .await?;
    let c = owned(&app, &user, &id, Access::Read).await?;
    Ok(Json(render(&app, &c).await?))
}

pub(crate) async fn delete(
    State(app): State<Shared>,
    Caller(user): Caller,
    Path((_pid, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    owned(&app, &user, &id, Access::Write).await?;
    app.store
        .delete_credential(&user.project_id, &user.user_id, &id)
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
    Caller(user): Caller,
    Path((_pid, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let body: ConfigurationBody = if body.is_empty() {
        Default::default()
    } else {
        parse_body(&body)?
    };
    let credential = owned(&app, &user, &id, Access::Write).await?;
    let c = Configuration {
        id: new_id(),
        credential_id: id,
        external_id: body.external_id,
        meta: body.meta.unwrap_or(json!({})),
        created_at: now_ms(),
    };
    app.store
        .insert_configuration(&user.project_id, &user.user_id, &c)
        .await?;
    // The cloud answers with the whole credential, the new configuration among the others.
    Ok(Json(render(&app, &credential).await?))
}

pub(crate) async fn update_configuration(
    State(app): State<Shared>,
    Caller(user): Caller,
    Path((_pid, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let config_id = configuration_id(&headers)?;
    let body: ConfigurationBody = parse_body(&body)?;
    owned(&app, &user, &id, Access::Write).await?;
    let meta = body.meta.unwrap_or(json!({}));
    if !app
        .store
        .update_configuration(&user.project_id, &user.user_id, &id, &config_id, &meta)
        .await?
    {
        return Err(ApiError::not_found(format!(
            "no configuration {config_id:?} on credential {id}"
        )));
    }
    let all = app
        .store
        .configurations(&user.project_id, &user.user_id, &id)
        .await?;
    let c = all
        .iter()
        .find(|c| c.id == config_id)
        .ok_or_else(|| ApiError::not_found("configuration vanished"))?;
    Ok(Json(configuration_json(c)))
}

pub(crate) async fn delete_configuration(
    State(app): State<Shared>,
    Caller(user): Caller,
    Path((_pid, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let config_id = configuration_id(&headers)?;
    owned(&app, &user, &id, Access::Write).await?;
    if !app
        .store
        .delete_configuration(&user.project_id, &user.user_id, &id, &config_id)
        .await?
    {
        return Err(ApiError::not_found(format!(
            "no configuration {config_id:?} on credential {id}"
        )));
    }
    Ok(Json(json!({ "success": true })))
}
