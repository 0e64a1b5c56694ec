//! App events and workflow triggers (hooks into `crate::workflows`), enable/disable,
//! dynamic field options and ActionKit triggers (tools are `super::tools`).

use super::parse_body;
use crate::auth::Access;
use crate::error::ApiError;
use crate::permissions::Caller;
use crate::state::Shared;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};

#[derive(Deserialize)]
pub(crate) struct Event {
    name: String,
    #[serde(default)]
    payload: Map<String, Value>,
}

/// `POST /sdk/events/trigger`: stored with the workflow runs it starts, answered 201.
pub(crate) async fn event(
    State(app): State<Shared>,
    Caller(user): Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    user.check_user_wide(Access::Write)?;
    let event: Event = parse_body(&body)?;
    if event.name.trim().is_empty() {
        return Err(ApiError::bad_request("the event `name` must not be empty"));
    }
    // The event and the workflow runs it starts are recorded in one commit.
    let payload = Value::Object(event.payload);
    let (id, runs) =
        crate::workflows::triggers::app_event(&app, &user.user_id, &event.name, &payload).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": id, "name": event.name, "workflowExecutionIds": runs })),
    )
        .into_response())
}

/// `POST /sdk/triggers/{workflowId}`: runs the workflow; its Response step's answer, or 202
/// at once when it has none.
pub(crate) async fn trigger(
    State(app): State<Shared>,
    Caller(user): Caller,
    Path((_pid, workflow)): Path<(String, String)>,
    Query(query): Query<std::collections::BTreeMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    user.check_user_wide(Access::Write)?;
    let body: Value = if body.is_empty() {
        json!({})
    } else {
        parse_body(&body)?
    };
    crate::workflows::triggers::request(&app, &user.user_id, &workflow, query, &headers, body).await
}

/// `POST`/`DELETE /sdk/workflows/{workflowId}`: the user's choice is stored; an unknown
/// workflow is a 404.
pub(crate) async fn workflow_enable(
    State(app): State<Shared>,
    Caller(user): Caller,
    Path((_pid, workflow)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    user.check_user_wide(Access::Write)?;
    crate::workflows::triggers::known(&app, &workflow)?;
    app.store
        .set_workflow(&user.project_id, &user.user_id, &workflow, true)
        .await?;
    Ok(Json(json!({ "workflowId": workflow, "enabled": true })))
}

pub(crate) async fn workflow_disable(
    State(app): State<Shared>,
    Caller(user): Caller,
    Path((_pid, workflow)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    user.check_user_wide(Access::Write)?;
    crate::workflows::triggers::known(&app, &workflow)?;
    app.store
        .set_workflow(&user.project_id, &user.user_id, &workflow, false)
        .await?;
    Ok(Json(json!({ "workflowId": workflow, "enabled": false })))
}

/// `POST /sdk/actions`: custom integrations declare no dynamic fields: no options.
pub(crate) async fn actions(Caller(user): Caller) -> Result<Json<Value>, ApiError> {
    user.check_user_wide(Access::Read)?;
    Ok(Json(json!({ "data": [], "nextPageCursor": null })))
}

pub(crate) async fn triggers(Caller(user): Caller) -> Result<Json<Value>, ApiError> {
    user.check_user_wide(Access::Read)?;
    Ok(Json(json!({ "triggers": [], "errors": [] })))
}
