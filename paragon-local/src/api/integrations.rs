//! `GET /sdk/integrations` and the integrations' icons, shaped as the cloud shapes them: the
//! official JavaScript SDK reads `configs[0].values` (portal texts and `workflowMeta`, which
//! `workflow(id)` checks), `workflows`, and `customIntegration` (slug, icon URL,
//! `inputFields` for API-key installs).

use crate::api::date;
use crate::auth::Access;
use crate::error::ApiError;
use crate::integration::Integration;
use crate::permissions::Caller;
use crate::state::{AppState, Shared};
use crate::workflows::Loaded;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use paragon_manifest::{InputField, InputKind};
use serde_json::{Value, json};

/// `GET /projects/{pid}/sdk/integrations`.
pub(crate) async fn list(
    State(app): State<Shared>,
    Caller(user): Caller,
) -> Result<Json<Value>, ApiError> {
    // The user's accounts the token may read.
    let readable: Vec<_> = app
        .store
        .list_credentials(&user.project_id, &user.user_id, None)
        .await?
        .into_iter()
        .filter(|c| {
            user.check(&c.integration, Some(&c.id), Access::Read)
                .is_ok()
        })
        .collect();
    let list: Vec<Value> = app
        .integrations
        .iter()
        .map(|i| (i, readable.iter().any(|c| c.integration == i.slug)))
        // Integrations the token may not even read are not listed.
        .filter(|(i, has)| {
            !user.has_permissions() || user.check(&i.slug, None, Access::Read).is_ok() || *has
        })
        .map(|(i, has)| integration_json(&app, i, has))
        .collect();
    Ok(Json(Value::Array(list)))
}

/// An integration as `GET /sdk/integrations` lists it.
fn integration_json(app: &AppState, i: &Integration, has_credential: bool) -> Value {
    let m = &i.manifest;
    let workflows: Vec<&Loaded> = app
        .workflows
        .workflows
        .iter()
        .filter(|w| w.wf.integration() == i.slug)
        .map(|w| &**w)
        .collect();
    let needs_inputs = !m.inputs().is_empty() && m.auth().oauth().is_some();
    let created = date(0);
    json!({
        "id": i.id,
        "projectId": app.project_id,
        "dateCreated": created,
        "dateUpdated": created,
        "type": "custom",
        "customIntegrationId": i.id,
        "customIntegration": {
            "id": i.id,
            "projectId": app.project_id,
            "slug": i.slug,
            "name": m.name(),
            "description": m.description(),
            "icon": icon_url(app, i),
            "authenticationType": m.auth().paragon_type(),
            "inputFields": m.inputs().iter().map(input_field).collect::<Vec<_>>(),
            "isPublished": true,
        },
        "configs": [{
            "id": i.id,
            "integrationId": i.id,
            "dateCreated": created,
            "dateUpdated": created,
            "values": {
                "accentColor": m.color(),
                "description": m.description(),
                "overview": m.overview().unwrap_or(m.description()),
                "paragonLink": false,
                "workflowMeta": workflows
                    .iter()
                    .map(|w| (w.id.clone(), workflow_meta(w)))
                    .collect::<serde_json::Map<_, _>>(),
                "sharedMeta": { "inputs": [] },
            },
        }],
        "workflows": workflows.iter().map(|w| json!({
            "id": w.id,
            "description": w.wf.name(),
            "integrationId": i.id,
            "dateCreated": created,
            "dateUpdated": created,
        })).collect::<Vec<_>>(),
        "isActive": true,
        "name": m.name(),
        "description": m.description(),
        "brandColor": m.color(),
        "authenticationType": m.auth().paragon_type(),
        "hasCredential": has_credential,
        "connectedUserLimitOnDevCred": 0,
        "connectedUserLimitReached": false,
        "needPreOauthInputs": needs_inputs,
        "sdkIntegrationConfig": null,
    })
}

/// A workflow as the portal's `workflowMeta` describes it.
fn workflow_meta(w: &Loaded) -> Value {
    json!({
        "id": w.id,
        "description": w.wf.name(),
        "infoText": w.wf.description(),
        "defaultEnabled": w.wf.default_enabled(),
        "hidden": w.wf.hidden(),
        "inputs": w.wf.settings().iter().map(|s| json!({
            "id": s.key,
            "title": s.label,
            "type": "TEXT_NO_VARS",
            "required": s.required,
            "defaultValue": s.default,
        })).collect::<Vec<_>>(),
    })
}

/// An input field as the SDK's `IntegrationConnectInput` (its `SidebarInputType` names).
fn input_field(f: &InputField) -> Value {
    let (kind, options) = match f.kind() {
        InputKind::Password => ("PASSWORD", None),
        InputKind::Select { options } => ("ENUM", Some(options)),
        InputKind::Text | InputKind::Url | InputKind::Host | InputKind::Subdomain => {
            ("TEXT_NO_VARS", None)
        }
    };
    let mut field = json!({
        "id": f.key(),
        "title": f.label(),
        "type": kind,
        "required": f.required(),
        "defaultValue": f.default_value(),
        "subtitle": f.help(),
    });
    if let Some(options) = options {
        field["values"] = options
            .iter()
            .map(|o| json!({ "value": o, "label": o }))
            .collect();
    }
    field
}

/// Where the integration's icon is served: the SDK shows it in `<img>` and keeps the URL up to
/// its `.svg`, so the file name ends there.
fn icon_url(app: &AppState, i: &Integration) -> String {
    format!("{}/icons/{}.svg", app.public_url, i.id)
}

/// `GET /icons/{id}.svg`: the manifest's SVG, sandboxed so that opening it as a document runs
/// nothing (an SVG may hold script).
pub(crate) async fn icon(State(app): State<Shared>, Path(file): Path<String>) -> Response {
    let Some(i) = file
        .strip_suffix(".svg")
        .and_then(|id| app.integrations.iter().find(|i| i.id == id))
    else {
        return ApiError::not_found(format!("no icon {file:?} on this server")).into_response();
    };
    let mut res = (StatusCode::OK, i.manifest.icon_svg().to_string()).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("image/svg+xml"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; sandbox"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    res
}
