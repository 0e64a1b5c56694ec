//! `POST /auth/session`: an API key exchanged for a short-lived session token, the shape of
//! APIs that a manifest describes with `type = "token_exchange"`. The answer carries a
//! single-use session refresh token too, which renews the session without the key: sent as
//! `{"refresh_token": "…"}` to `POST /auth/session/refresh`, or as `Authorization: Bearer`
//! to `POST /auth/session` itself (providers do both). The API-key login also sets two
//! cookies (`tl_node`, `tl_account`) that a client sends back, as session-affinity cookies
//! are; renewals set none.

use std::time::Instant;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::state::{AccessGrant, AppState, Principal, RecordedRequest, new_token};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/session", post(session))
        .route("/auth/session/refresh", post(refresh))
}

fn refuse(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({ "error": { "code": code, "message": message } });
    (status, Json(body)).into_response()
}

/// Counts and records a request to `path`; `renewal` says which counter it counts against.
fn record(state: &AppState, path: &str, headers: &HeaderMap, body: &Bytes, renewal: bool) {
    let mut inner = state.lock();
    if renewal {
        inner.stats.token_requests.session_refresh += 1;
    } else {
        inner.stats.token_requests.session += 1;
    }
    inner.stats.last_token_request = Some(RecordedRequest {
        method: Method::POST,
        path: path.to_owned(),
        query: None,
        headers: headers.clone(),
        body: body.to_vec(),
    });
}

/// The refusal of a body not declared as JSON.
fn not_json(headers: &HeaderMap) -> Option<Response> {
    let json_body = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    (!json_body).then(|| {
        refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send a JSON body: {\"api_key\": \"<key>\"}",
        )
    })
}

/// The bearer token of the `Authorization` header, if any.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
}

async fn session(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let rotating = bearer(&headers).map(str::to_owned);
    record(&state, "/auth/session", &headers, &body, rotating.is_some());
    if let Some(refused) = not_json(&headers) {
        return refused;
    }
    if let Some(refresh_token) = rotating {
        return renew(&state, &refresh_token);
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
    let principal = Principal::api_key(index, state.config.scopes.clone());
    let account = principal.id.clone();
    let mut answer = issue(&state, principal);
    // Session affinity, as SAP Business One's Service Layer sets it at login: clients send
    // the cookies back with their API calls; renewals set none.
    for cookie in [
        "tl_node=node-1; Path=/; HttpOnly".to_owned(),
        format!("tl_account={account}; Path=/; Secure"),
    ] {
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            answer.headers_mut().append(SET_COOKIE, value);
        }
    }
    answer
}

/// `POST /auth/session/refresh` with `{"refresh_token": "…"}`.
async fn refresh(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    record(&state, "/auth/session/refresh", &headers, &body, true);
    if let Some(refused) = not_json(&headers) {
        return refused;
    }
    let token = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("refresh_token")?.as_str().map(str::to_owned));
    match token {
        Some(token) => renew(&state, &token),
        None => refuse(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the body must be {\"refresh_token\": \"<token>\"}",
        ),
    }
}

/// A new session for the holder of `refresh_token`, which is used up.
fn renew(state: &AppState, refresh_token: &str) -> Response {
    let principal = state.lock().session_refresh_tokens.remove(refresh_token);
    match principal {
        Some(principal) => issue(state, principal),
        None => refuse(
            StatusCode::UNAUTHORIZED,
            "invalid_refresh_token",
            "unknown or used session refresh token",
        ),
    }
}

/// A session token and its refresh token for `principal`.
fn issue(state: &AppState, principal: Principal) -> Response {
    let ttl = state.config.access_token_ttl;
    let token = new_token("tl_st_");
    let refresh_token = new_token("tl_sr_");
    let account = principal.id.clone();
    {
        let mut inner = state.lock();
        inner
            .session_refresh_tokens
            .insert(refresh_token.clone(), principal.clone());
        inner.access_tokens.insert(
            token.clone(),
            AccessGrant {
                principal,
                expires_at: Instant::now() + ttl,
            },
        );
    }
    let expires_in = ttl.as_secs() + u64::from(ttl.subsec_nanos() > 0);
    (
        [(CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        Json(json!({
            "session": {
                "token": token,
                "expires_in": expires_in,
                "refresh_token": refresh_token,
            },
            "account": { "id": account },
        })),
    )
        .into_response()
}
