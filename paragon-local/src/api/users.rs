//! `GET`/`PATCH /sdk/me`, `DELETE /sdk/integrations/{id}`.

use super::{credential_json, default_configuration_id, parse_body};
use crate::auth::{Access, User};
use crate::error::ApiError;
use crate::permissions::Caller;
use crate::state::{AppState, Shared};
use crate::store::{Credential, Status};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use serde::Deserialize;
use serde_json::{Map, Value, json};

pub(crate) async fn me(
    State(app): State<Shared>,
    Caller(user): Caller,
) -> Result<Json<Value>, ApiError> {
    let pid = user.project_id.clone();
    let all = readable(&app, &user).await?;
    let switches = crate::workflows::triggers::me_state(&app, &user.user_id).await?;
    let mut integrations = Map::new();
    for integration in app.integrations.iter() {
        let mine: Vec<_> = all
            .iter()
            .filter(|c| c.integration == integration.slug)
            .collect();
        let primary = mine
            .iter()
            .find(|c| c.status == Status::Valid)
            .or_else(|| mine.first());
        let mut credentials = Vec::new();
        for c in &mine {
            let extra = app.store.configurations(&pid, &user.user_id, &c.id).await?;
            credentials.push(credential_json(c, Some(integration), &extra, &switches));
        }
        integrations.insert(
            integration.slug.clone(),
            json!({
                "enabled": mine.iter().any(|c| c.status == Status::Valid),
                "credentialId": primary.map(|c| c.id.clone()),
                "credentialStatus": primary.map(|c| c.status.as_str()),
                "credentialConfigId": primary.map(|c| default_configuration_id(&c.id)),
                "providerId": primary.and_then(|c| c.provider_id.clone()),
                "allCredentials": credentials,
                "configuredWorkflows": switches.get(&integration.slug).cloned().unwrap_or_default(),
            }),
        );
    }
    let meta = app.store.user_meta(&pid, &user.user_id).await?;
    Ok(Json(json!({
        "authenticated": true,
        "userId": user.user_id,
        "integrations": integrations,
        "meta": meta,
        "resources": [],
        // What the SDK checks before its headless calls (`installIntegration`,
        // `uninstallIntegration`): the local server offers every feature it implements.
        "project": {
            "id": pid,
            "billingPlan": "connect_enterprise",
            "accessibleFeatures": ["byo", "headless-cp", "th-api", "user-metadata"],
        },
    })))
}

#[derive(Deserialize)]
pub(crate) struct MetaBody {
    meta: Map<String, Value>,
}

pub(crate) async fn set_meta(
    State(app): State<Shared>,
    Caller(user): Caller,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    user.check_user_wide(Access::Write)?;
    let pid = user.project_id.clone();
    let body: MetaBody = parse_body(&body)?;
    for (key, value) in &body.meta {
        refuse_line_breaks(value, &format!("/meta/{}", pointer_escape(key)))?;
    }
    let meta = app
        .store
        .merge_user_meta(&pid, &user.user_id, &body.meta)
        .await?;
    Ok(Json(json!({ "userId": user.user_id, "meta": meta })))
}

/// The user's credentials that the token's permissions let it read.
async fn readable(app: &AppState, user: &User) -> Result<Vec<Credential>, ApiError> {
    Ok(app
        .store
        .list_credentials(&user.project_id, &user.user_id, None)
        .await?
        .into_iter()
        .filter(|c| {
            user.check(&c.integration, Some(&c.id), Access::Read)
                .is_ok()
        })
        .collect())
}

/// Metadata is rendered into request headers and URLs (`{user.*}`): a CR, LF or NUL stored
/// here would break every later call that uses it, so it is refused where it comes in.
fn refuse_line_breaks(value: &Value, pointer: &str) -> Result<(), ApiError> {
    match value {
        Value::String(s) if s.contains(['\r', '\n', '\0']) => Err(ApiError::bad_request(format!(
            "metadata at {pointer} contains a line break or NUL, which cannot be sent in a header"
        ))),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, v)| refuse_line_breaks(v, &format!("{pointer}/{i}"))),
        Value::Object(map) => map.iter().try_for_each(|(k, v)| {
            refuse_line_breaks(v, &format!("{pointer}/{}", pointer_escape(k)))
        }),
        _ => Ok(()),
    }
}

/// A key as a JSON pointer segment (RFC 6901).
fn pointer_escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Disconnects: the account named by `X-Paragon-Credential`, or all of the user's accounts
/// of the integration.
pub(crate) async fn uninstall(
    State(app): State<Shared>,
    Caller(user): Caller,
    Path((_pid, integration)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let integration = app.integration_by_id(&integration)?.clone();
    let wanted = headers
        .get("x-paragon-credential")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|s| !s.is_empty());
    user.check(&integration.slug, wanted, Access::Write)?;
    let targets: Vec<String> = match wanted {
        Some(id) => vec![id.to_string()],
        None => app
            .store
            .list_credentials(&user.project_id, &user.user_id, Some(&integration.slug))
            .await?
            .into_iter()
            .map(|c| c.id)
            .collect(),
    };
    if targets.is_empty() {
        return Err(ApiError::not_enabled(&integration.slug));
    }
    // Each account is checked, all before any goes, so a forbidden one (a per-credential
    // `false`) neither goes nor leaves the others half-deleted.
    for id in &targets {
        user.check(&integration.slug, Some(id), Access::Write)?;
    }
    let mut removed = Vec::new();
    for id in targets {
        let owned = app
            .store
            .get_credential(&user.project_id, &user.user_id, &id)
            .await?
            .is_some_and(|c| c.integration == integration.slug);
        if !owned {
            return Err(ApiError::not_found(format!(
                "no credential {id:?} of this user for {}",
                integration.slug
            )));
        }
        app.store
            .delete_credential(&user.project_id, &user.user_id, &id)
            .await?;
        removed.push(id);
    }
    Ok(Json(
        json!({ "success": true, "deletedCredentialIds": removed }),
    ))
}
