//! ActionKit's tool endpoints for custom integrations: `GET /projects/{pid}/tools` lists each
//! integration's tools (`crate::tools`) in JSON Schema format, `POST /projects/{pid}/tools`
//! runs one for the calling user through the proxy path (their credential, refreshed as the
//! proxy refreshes it).
//!
//! A run answers with the provider's response body as is, with its status: the shape of
//! ActionKit's Run Tool, whose documented example answer is Slack's own body
//! (<https://docs.useparagon.com/actionkit/api-reference/run-action>).

use super::parse_body;
use crate::auth::Access;
use crate::error::ApiError;
use crate::integration::Integration;
use crate::permissions::Caller;
use crate::state::{AppState, Shared};
use crate::tools::ServedTools;
use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::Arc;

/// `GET /tools?format=json_schema&integrations=a,b`: the tools of the integrations named, or
/// of those the user has connected; an integration this server does not have is in `errors`.
pub(crate) async fn list(
    State(app): State<Shared>,
    Caller(user): Caller,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    user.check_user_wide(Access::Read)?;
    if let Some(format) = q.get("format").filter(|f| f.as_str() != "json_schema") {
        return Err(ApiError::bad_request(format!(
            "the tool format {format:?} is not supported: use format=json_schema"
        )));
    }
    let wanted: Vec<String> = match q.get("integrations") {
        Some(list) => list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        None => {
            let mut connected: Vec<String> = app
                .store
                .cached_credentials(&user.project_id, &user.user_id)
                .await?
                .iter()
                .map(|c| c.integration.clone())
                .collect();
            connected.dedup();
            connected
        }
    };
    let mut tools = Map::new();
    let mut errors = Vec::new();
    for name in wanted {
        let Some(integration) = app.integrations.get(&name).cloned() else {
            errors.push(json!({"integration": name, "message": format!("no integration {name:?} on this server")}));
            continue;
        };
        match tools_of(integration).await {
            Ok(served) => {
                tools.insert(name, Value::Array(served.set.functions()));
            }
            Err(message) => errors.push(json!({"integration": name, "message": message})),
        }
    }
    Ok(Json(json!({ "tools": tools, "errors": errors })))
}

#[derive(Deserialize)]
struct Run {
    tool: Option<String>,
    /// The older name of `tool`, which ActionKit still accepts.
    action: Option<String>,
    #[serde(default)]
    parameters: Option<Value>,
}

/// `POST /tools` with `{"tool": "TASKLAB_CREATE_TASK", "parameters": {…}}`.
pub(crate) async fn run(
    State(app): State<Shared>,
    Caller(user): Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    let run: Run = parse_body(&body)?;
    let Some(name) = run.tool.or(run.action).filter(|t| !t.is_empty()) else {
        return Err(ApiError::bad_request(
            "expected `tool`, the name of the tool to run",
        ));
    };
    let parameters = run.parameters.unwrap_or_else(|| json!({}));
    let (integration, served) = find(&app, &name).await?;
    user.check(&integration.slug, None, Access::Write)?;
    let (status, body) = call(&app, &user, &integration, &served, &name, &parameters).await?;
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

/// Runs a tool for `user`: parameters checked against its schema before anything is sent,
/// then the request through the proxy path. Answers the provider's status and its body as
/// JSON (text that is not JSON as a JSON string; nothing as `null`).
pub(crate) async fn call(
    app: &AppState,
    user: &crate::auth::User,
    integration: &Integration,
    served: &ServedTools,
    name: &str,
    parameters: &Value,
) -> Result<(StatusCode, Bytes), ApiError> {
    let Some((tool, validator)) = served.find(name) else {
        return Err(unknown_tool(name, served.nearest(name)));
    };
    crate::tools::check(tool, validator, parameters)?;
    let out = crate::tools::request(tool, parameters)?;
    let credential = crate::proxy::pick_credential(app, user, integration, None).await?;
    let answer = crate::proxy::send_authorized(app, integration, credential, &out).await?;
    Ok((answer.status, as_json(&answer.body)))
}

/// The integration a tool name belongs to (by its `<INTEGRATION>_` prefix) and its tools.
pub(crate) async fn find(
    app: &AppState,
    name: &str,
) -> Result<(Arc<Integration>, Arc<ServedTools>), ApiError> {
    let upper = name.to_ascii_uppercase();
    let integration = app
        .integrations
        .iter()
        .filter(|i| upper.starts_with(&i.tool_prefix()))
        .max_by_key(|i| i.tool_prefix().len())
        .cloned();
    let Some(integration) = integration else {
        let nearest = app
            .integrations
            .iter()
            .map(|i| i.tool_prefix())
            .min_by_key(|p| strsim::levenshtein(&upper, p));
        let mut e = ApiError::new(
            StatusCode::NOT_FOUND,
            "tool_not_found",
            format!("no tool {name:?}: a tool's name starts with its integration's, e.g. TASKLAB_"),
        );
        if let Some(p) = nearest {
            e = ApiError::new(
                StatusCode::NOT_FOUND,
                "tool_not_found",
                format!(
                    "no tool {name:?}: no integration's tools start so; did you mean one starting with {p}?"
                ),
            );
        }
        return Err(e);
    };
    let served = tools_of(integration.clone())
        .await
        .map_err(|m| ApiError::new(StatusCode::NOT_FOUND, "tool_not_found", m))?;
    Ok((integration, served))
}

fn unknown_tool(name: &str, nearest: Option<&str>) -> ApiError {
    let hint = nearest.map_or(String::new(), |n| format!("; did you mean {n}?"));
    ApiError::new(
        StatusCode::NOT_FOUND,
        "tool_not_found",
        format!("no tool {name:?}{hint}"),
    )
}

/// The integration's tools, generated off the async runtime the first time.
pub(crate) async fn tools_of(integration: Arc<Integration>) -> Result<Arc<ServedTools>, String> {
    tokio::task::spawn_blocking(move || integration.tools())
        .await
        .map_err(|e| format!("generating the tools failed: {e}"))?
}

/// The provider's body as JSON: itself when it is JSON, else a JSON string, `null` when empty.
fn as_json(body: &[u8]) -> Bytes {
    let trimmed = body.trim_ascii();
    if trimmed.is_empty() {
        return Bytes::from_static(b"null");
    }
    if serde_json::from_slice::<serde::de::IgnoredAny>(trimmed).is_ok() {
        return Bytes::copy_from_slice(trimmed);
    }
    Bytes::from(Value::String(String::from_utf8_lossy(body).into_owned()).to_string())
}
