//! `POST /auth/session`: an API key exchanged for a short-lived session token, the shape of
//! APIs that a manifest describes with `type = "token_exchange"`.

use std::time::Instant;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::state::{AccessGrant, AppState, Principal, RecordedRequest, new_token};

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/auth/session", post(session))
}

fn refuse(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({ "error": { "code": code, "message": message } });
    (status, Json(body)).into_response()
}

async fn session(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    {
        let mut inner = state.lock();
        inner.stats.token_requests.session += 1;
        inner.stats.last_token_request = Some(RecordedRequest {
            method: Method::POST,
            path: "/auth/session".to_owned(),
            query: None,
            headers: headers.clone(),
            body: body.to_vec(),
        });
    }
    let json_body = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !json_body {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send a JSON body: {\"api_key\": \"<key>\"}",
        );
    }
    let key = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("api_key")?.as_str().map(str::to_owned));
    let Some(key) = key else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the body must be {\"api_key\": \"<key>\"}",
        );
    };
    let index = state.config.api_keys.iter().position(|k| k.0 == key);
    let Some(index) = index else {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "invalid_api_key",
            "unknown API key",
        );
    };
    let ttl = state.config.access_token_ttl;
    let token = new_token("tl_st_");
    let principal = Principal::api_key(index, state.config.scopes.clone());
    let account = principal.id.clone();
    state.lock().access_tokens.insert(
        token.clone(),
        AccessGrant {
            principal,
            expires_at: Instant::now() + ttl,
        },
    );
    let expires_in = ttl.as_secs() + u64::from(ttl.subsec_nanos() > 0);
    (
        [(CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        Json(json!({
            "session": { "token": token, "expires_in": expires_in },
            "account": { "id": account },
        })),
    )
        .into_response()
}
