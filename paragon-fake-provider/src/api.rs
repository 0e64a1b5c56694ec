//! The Task Lab REST API under `/v1`: who am I, tasks, echo, bytes, redirect.
//!
//! Callers authenticate with a bearer access token, an `X-Api-Key` header, an
//! `api_key` query parameter, or HTTP Basic with the key as the username (also under the
//! scheme `Keypair`, or alone in an `X-Keypair` header).
//! Errors are `{"error": {"code": "...", "message": "..."}}`.

use std::borrow::Cow;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{FromRequestParts, OriginalUri, Path, RawQuery, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, LOCATION, WWW_AUTHENTICATE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::state::{AppState, Principal, Task, TaskStatus};

/// The routes, relative to `/v1`.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/me", get(me))
        .route("/tasks", get(list_tasks).post(create_task))
        .route("/task-pages", get(list_task_pages))
        .route(
            "/tasks/{id}",
            get(get_task).patch(update_task).delete(delete_task),
        )
        .route("/echo", any(echo))
        .route("/echo/{*rest}", any(echo))
        .route("/bytes", get(bytes))
        .route("/redirect", any(redirect))
        .fallback(not_found)
}

/// A JSON API error with its status and, for 401/403, a `WWW-Authenticate` challenge.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    challenge: Option<Cow<'static, str>>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            challenge: None,
        }
    }

    pub(crate) fn invalid_request(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", message)
    }

    fn not_found(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 401 for a bad credential; `error="invalid_token"` tells OAuth clients to refresh.
    fn invalid_token(message: &'static str) -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, "invalid_token", message).with_challenge(format!(
            "Bearer realm=\"tasklab\", error=\"invalid_token\", error_description=\"{message}\""
        ))
    }

    fn invalid_api_key(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, "invalid_api_key", message)
            .with_challenge("Bearer realm=\"tasklab\"")
    }

    pub(crate) fn with_challenge(mut self, challenge: impl Into<Cow<'static, str>>) -> Self {
        self.challenge = Some(challenge.into());
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": {"code": self.code, "message": self.message}});
        let mut response = (self.status, Json(body)).into_response();
        if let Some(value) = self.challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
            response.headers_mut().insert(WWW_AUTHENTICATE, value);
        }
        response
    }
}

/// The authenticated caller of one request.
pub(crate) struct Caller {
    pub(crate) principal: Principal,
    /// Where the credential was found: `bearer`, `x-api-key`, `query`, `basic`, `keypair` or
    /// `x-keypair`.
    via: &'static str,
}

impl Caller {
    /// Requires `scope` when the provider knows it (see `FakeProviderBuilder::scopes`).
    fn require(&self, state: &AppState, scope: &str) -> Result<(), ApiError> {
        let known = state.config.scopes.iter().any(|s| s == scope);
        if !known || self.principal.has_scope(scope) {
            return Ok(());
        }
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            format!("this call needs the `{scope}` scope, which the token was not granted"),
        )
        .with_challenge(format!(
            "Bearer realm=\"tasklab\", error=\"insufficient_scope\", scope=\"{scope}\""
        )))
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        authenticate(state, &parts.headers, parts.uri.query())
    }
}

pub(crate) fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<Caller, ApiError> {
    if let Some(value) = headers.get(AUTHORIZATION) {
        let value = value.to_str().map_err(|_| {
            ApiError::invalid_api_key("the Authorization header is not visible ASCII")
        })?;
        let (scheme, credential) = value.split_once(' ').unwrap_or((value, ""));
        let credential = credential.trim();
        if scheme.eq_ignore_ascii_case("bearer") {
            return bearer(state, credential);
        }
        if scheme.eq_ignore_ascii_case("basic") {
            return api_key(state, &encoded_key(credential, "Basic")?, "basic");
        }
        // `Keypair base64(<api key>:<account>)`: a Basic pair under another scheme name, as
        // Redtail's `Userkeyauth` or Workday's `ID`.
        if scheme.eq_ignore_ascii_case("keypair") {
            return api_key(state, &encoded_key(credential, "Keypair")?, "keypair");
        }
        return Err(ApiError::invalid_api_key(format!(
            "unsupported Authorization scheme `{scheme}`: use `Bearer <access token>`, `Basic <base64 of api key:x>` or `Keypair <base64 of api key:x>`"
        )));
    }
    // `X-Keypair: base64(<api key>:<account>)`: the encoded pair alone, as ConnectSecure's
    // `client-auth-token`.
    if let Some(value) = headers.get("x-keypair") {
        let value = value
            .to_str()
            .map_err(|_| ApiError::invalid_api_key("the X-Keypair header is not visible ASCII"))?;
        return api_key(state, &encoded_key(value.trim(), "X-Keypair")?, "x-keypair");
    }
    if let Some(value) = headers.get("x-api-key") {
        let key = value
            .to_str()
            .map_err(|_| ApiError::invalid_api_key("the X-Api-Key header is not visible ASCII"))?;
        return api_key(state, key.trim(), "x-api-key");
    }
    if let Some((_, key)) = query
        .into_iter()
        .flat_map(|q| url::form_urlencoded::parse(q.as_bytes()))
        .find(|(name, _)| name == "api_key")
    {
        return api_key(state, &key, "query");
    }
    Err(ApiError::new(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "no credential: send `Authorization: Bearer <access token>`, `X-Api-Key: <key>`, `?api_key=<key>`, Basic auth with the key as username, or that pair as `Keypair` or in `X-Keypair`",
    )
    .with_challenge("Bearer realm=\"tasklab\""))
}

/// The API key of a base64 `<api key>:<anything>` pair sent as `what`.
fn encoded_key(credential: &str, what: &str) -> Result<String, ApiError> {
    let decoded = STANDARD
        .decode(credential)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| {
            ApiError::invalid_api_key(format!(
                "the {what} credential is not base64 of `<api key>:<anything>`"
            ))
        })?;
    Ok(decoded
        .split_once(':')
        .map_or(decoded.as_str(), |(u, _)| u)
        .to_owned())
}

fn bearer(state: &AppState, token: &str) -> Result<Caller, ApiError> {
    let grant = state.lock().access_tokens.get(token).cloned();
    match grant {
        None => Err(ApiError::invalid_token("unknown or revoked access token")),
        Some(grant) if Instant::now() >= grant.expires_at => {
            Err(ApiError::invalid_token("the access token expired"))
        }
        Some(grant) => Ok(Caller {
            principal: grant.principal,
            via: "bearer",
        }),
    }
}

pub(crate) fn api_key(state: &AppState, key: &str, via: &'static str) -> Result<Caller, ApiError> {
    let index = state
        .config
        .api_keys
        .iter()
        .position(|k| k.0 == key)
        .ok_or_else(|| ApiError::invalid_api_key(format!("unknown API key (sent by {via})")))?;
    Ok(Caller {
        principal: Principal::api_key(index, state.config.scopes.clone()),
        via,
    })
}

async fn me(caller: Caller) -> Json<Value> {
    let p = &caller.principal;
    Json(json!({
        "id": p.id,
        "name": p.name,
        "email": p.email,
        "auth": p.auth,
        "via": caller.via,
        "scopes": p.scopes,
    }))
}

const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 100;
const MAX_TITLE: usize = 200;

async fn list_tasks(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Json<Vec<Task>>, ApiError> {
    caller.require(&state, "tasks:read")?;
    let mut limit = DEFAULT_LIMIT;
    let mut status = None;
    for (name, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match &*name {
            "limit" => {
                limit = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=MAX_LIMIT).contains(n))
                    .ok_or_else(|| {
                        ApiError::invalid_request(format!(
                            "query parameter `limit` must be a whole number from 1 to {MAX_LIMIT}, got `{value}`"
                        ))
                    })?;
            }
            "status" => {
                status = Some(TaskStatus::parse(&value).ok_or_else(|| {
                    ApiError::invalid_request(format!(
                        "query parameter `status` must be one of todo, in_progress, done; got `{value}`"
                    ))
                })?);
            }
            _ => {}
        }
    }
    let inner = state.lock();
    let tasks = inner
        .tasks
        .get(&caller.principal.id)
        .into_iter()
        .flat_map(|tasks| tasks.values())
        .filter(|task| status.is_none_or(|s| task.status == s))
        .take(limit)
        .cloned()
        .collect();
    Ok(Json(tasks))
}

/// `GET /v1/task-pages?limit=N&cursor=C`: the tasks in pages, `{"tasks": […],
/// "next_cursor": "…" | null}`; the cursor is opaque to callers (the last task's number).
async fn list_task_pages(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    caller.require(&state, "tasks:read")?;
    let mut limit = DEFAULT_LIMIT;
    let mut after = 0u64;
    for (name, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match &*name {
            "limit" => {
                limit = value.parse().ok().filter(|n| (1..=MAX_LIMIT).contains(n)).ok_or_else(|| {
                    ApiError::invalid_request(format!(
                        "query parameter `limit` must be a whole number from 1 to {MAX_LIMIT}, got `{value}`"
                    ))
                })?;
            }
            "cursor" => {
                after = value.parse().map_err(|_| {
                    ApiError::invalid_request(format!(
                        "query parameter `cursor` is not a cursor this API gave: `{value}`"
                    ))
                })?;
            }
            _ => {}
        }
    }
    let inner = state.lock();
    let mine = inner.tasks.get(&caller.principal.id);
    let page: Vec<(u64, Task)> = mine
        .into_iter()
        .flat_map(|tasks| tasks.range(after + 1..))
        .take(limit + 1)
        .map(|(n, t)| (*n, t.clone()))
        .collect();
    let more = page.len() > limit;
    let page = &page[..page.len().min(limit)];
    let next = more
        .then(|| page.last().map(|(n, _)| n.to_string()))
        .flatten();
    let tasks: Vec<&Task> = page.iter().map(|(_, t)| t).collect();
    Ok(Json(json!({ "tasks": tasks, "next_cursor": next })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewTask {
    title: String,
    status: Option<TaskStatus>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TaskUpdate {
    title: Option<String>,
    status: Option<TaskStatus>,
}

fn parse_json<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::invalid_request(format!("invalid JSON body: {e}")))
}

fn check_title(title: &str) -> Result<(), ApiError> {
    if title.trim().is_empty() || title.chars().count() > MAX_TITLE {
        return Err(ApiError::invalid_request(format!(
            "`title` must be non-blank and at most {MAX_TITLE} characters"
        )));
    }
    Ok(())
}

async fn create_task(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    caller.require(&state, "tasks:write")?;
    let new: NewTask = parse_json(&body)?;
    check_title(&new.title)?;
    let task = {
        let mut inner = state.lock();
        inner.next_task += 1;
        let number = inner.next_task;
        let task = Task {
            id: format!("task_{number}"),
            title: new.title,
            status: new.status.unwrap_or(TaskStatus::Todo),
        };
        inner
            .tasks
            .entry(caller.principal.id.clone())
            .or_default()
            .insert(number, task.clone());
        task
    };
    let location = HeaderValue::from_str(&format!("/v1/tasks/{}", task.id))
        .map_err(|_| ApiError::invalid_request("task id is not a valid header value"))?;
    Ok((StatusCode::CREATED, [(LOCATION, location)], Json(task)).into_response())
}

/// `task_12` → 12; anything else names no task.
/// The `{id}` of a task route, by name: under `/sites/{site}/v1` the path has two captures.
#[derive(Deserialize)]
struct TaskId {
    id: String,
}

fn task_number(id: &str) -> Result<u64, ApiError> {
    id.strip_prefix("task_")
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| ApiError::not_found(format!("no task with id `{id}`")))
}

async fn get_task(
    State(state): State<AppState>,
    caller: Caller,
    Path(TaskId { id }): Path<TaskId>,
) -> Result<Json<Task>, ApiError> {
    caller.require(&state, "tasks:read")?;
    let number = task_number(&id)?;
    let inner = state.lock();
    inner
        .tasks
        .get(&caller.principal.id)
        .and_then(|tasks| tasks.get(&number))
        .cloned()
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no task with id `{id}`")))
}

async fn update_task(
    State(state): State<AppState>,
    caller: Caller,
    Path(TaskId { id }): Path<TaskId>,
    body: Bytes,
) -> Result<Json<Task>, ApiError> {
    caller.require(&state, "tasks:write")?;
    let number = task_number(&id)?;
    let update: TaskUpdate = parse_json(&body)?;
    if let Some(title) = &update.title {
        check_title(title)?;
    }
    let mut inner = state.lock();
    let task = inner
        .tasks
        .get_mut(&caller.principal.id)
        .and_then(|tasks| tasks.get_mut(&number))
        .ok_or_else(|| ApiError::not_found(format!("no task with id `{id}`")))?;
    if let Some(title) = update.title {
        task.title = title;
    }
    if let Some(status) = update.status {
        task.status = status;
    }
    Ok(Json(task.clone()))
}

async fn delete_task(
    State(state): State<AppState>,
    caller: Caller,
    Path(TaskId { id }): Path<TaskId>,
) -> Result<StatusCode, ApiError> {
    caller.require(&state, "tasks:write")?;
    let number = task_number(&id)?;
    state
        .lock()
        .tasks
        .get_mut(&caller.principal.id)
        .and_then(|tasks| tasks.remove(&number))
        .map(|_| StatusCode::NO_CONTENT)
        .ok_or_else(|| ApiError::not_found(format!("no task with id `{id}`")))
}

/// Echoes the request exactly as received, so tests can see what a proxy forwarded.
async fn echo(
    caller: Caller,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Json<Value> {
    let mut header_map = Map::new();
    for name in headers.keys() {
        let values: Vec<Cow<'_, str>> = headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()))
            .collect();
        header_map.insert(name.as_str().to_owned(), Value::from(values.join(", ")));
    }
    let mut args = Map::new();
    for (name, value) in url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes()) {
        args.insert(name.into_owned(), Value::from(value.into_owned()));
    }
    let json_body = serde_json::from_slice::<Value>(&body).unwrap_or(Value::Null);
    Json(json!({
        "method": method.as_str(),
        "path": uri.path(),
        "query": uri.query(),
        "args": args,
        "headers": header_map,
        "body": String::from_utf8_lossy(&body),
        "json": json_body,
        "principal": caller.principal.id,
    }))
}

const DEFAULT_BYTES: usize = 1024;
const MAX_BYTES: usize = 16 * 1024 * 1024;

/// `size` bytes where byte `i` is `i % 256`.
async fn bytes(_caller: Caller, RawQuery(query): RawQuery) -> Result<Response, ApiError> {
    let mut size = DEFAULT_BYTES;
    for (name, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        if name == "size" {
            size = value
                .parse()
                .ok()
                .filter(|n| *n <= MAX_BYTES)
                .ok_or_else(|| {
                    ApiError::invalid_request(format!(
                        "query parameter `size` must be a whole number from 0 to {MAX_BYTES}, got `{value}`"
                    ))
                })?;
        }
    }
    let body: Vec<u8> = (0..size).map(|i| (i % 256) as u8).collect();
    Ok((
        [(
            CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        )],
        body,
    )
        .into_response())
}

/// `?location=<url>&status=<3xx>` (default 302): a redirect, for testing that clients and
/// proxies hand it back instead of following it (with the caller's credentials).
async fn redirect(_caller: Caller, RawQuery(query): RawQuery) -> Result<Response, ApiError> {
    let mut location = None;
    let mut status = StatusCode::FOUND;
    for (name, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match &*name {
            "location" => location = Some(value.into_owned()),
            "status" => {
                status = value
                    .parse::<u16>()
                    .ok()
                    .and_then(|n| StatusCode::from_u16(n).ok())
                    .filter(StatusCode::is_redirection)
                    .ok_or_else(|| {
                        ApiError::invalid_request(format!(
                            "query parameter `status` must be a 3xx status, got `{value}`"
                        ))
                    })?;
            }
            _ => {}
        }
    }
    let location = location
        .and_then(|l| HeaderValue::from_str(&l).ok())
        .ok_or_else(|| ApiError::invalid_request("query parameter `location` is required"))?;
    Ok((status, [(axum::http::header::LOCATION, location)], "").into_response())
}

async fn not_found(method: Method, OriginalUri(uri): OriginalUri) -> ApiError {
    ApiError::not_found(format!("no route for {method} {}", uri.path()))
}
