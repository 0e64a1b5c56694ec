//! An RPC API that takes its key in the JSON body, the shape of Mandrill's or Adyntel's:
//! `POST /rpc/{method}` with `{"key": "<api key>", …}`. A manifest describes it with
//! `api.authorization` `type = "body"`. The answer names the caller and echoes the other
//! members (the key left out), so tests see what the proxy merged in.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use serde_json::{Value, json};

use crate::api::{ApiError, api_key};
use crate::state::AppState;

/// `POST /rpc/{*method}`.
pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/rpc/{*method}", post(call))
}

async fn call(
    State(state): State<AppState>,
    Path(method): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let Ok(Value::Object(mut members)) = serde_json::from_slice::<Value>(&body) else {
        return Err(ApiError::invalid_request(
            "the body must be a JSON object carrying `key`",
        ));
    };
    let key = match members.remove("key") {
        Some(Value::String(key)) => key,
        _ => {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_api_key",
                "no `key` member (a string) in the JSON body",
            ));
        }
    };
    let caller = api_key(&state, &key, "body")?;
    Ok(Json(json!({
        "method": method,
        "principal": caller.principal.id,
        "params": members,
    })))
}
