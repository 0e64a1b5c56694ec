//! OAuth 2.0 (RFC 6749 + PKCE, RFC 7636): the consent page and the token endpoint.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, LOCATION, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::json;
use sha2::{Digest, Sha256};
use url::Url;

use crate::DEFAULT_USERNAME;
use crate::state::{
    AccessGrant, AppState, Client, CodeGrant, Inner, PendingAuthorization, Principal,
    RecordedRequest, RefreshGrant, Shared, new_token,
};

/// How long a consent page stays answerable.
const PENDING_TTL: Duration = Duration::from_secs(600);

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/oauth/authorize",
            get(authorize_page).post(authorize_decision),
        )
        .route("/oauth/token", post(token))
        .route("/oauth/register", post(crate::registration::register))
}

/// Form or query parameters; a repeated name is an error (RFC 6749 §3.1), reported by name.
fn parse_params(raw: &[u8]) -> Result<HashMap<String, String>, String> {
    let mut params = HashMap::new();
    for (name, value) in url::form_urlencoded::parse(raw) {
        if params
            .insert(name.to_string(), value.into_owned())
            .is_some()
        {
            return Err(format!("parameter `{name}` is repeated"));
        }
    }
    Ok(params)
}

// ---- authorization endpoint ----------------------------------------------

async fn authorize_page(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let params = match parse_params(query.unwrap_or_default().as_bytes()) {
        Ok(params) => params,
        Err(message) => return error_page(&message),
    };
    let config = &state.config;
    // Without a trusted client and redirect URI, errors are shown, never redirected (§4.1.2.1).
    let id_param = config.client_id_param.as_str();
    let Some(client_id) = params.get(id_param) else {
        return error_page(&format!("the authorization request has no `{id_param}`"));
    };
    let Some(redirect_uri) = params.get("redirect_uri") else {
        return error_page("the authorization request has no `redirect_uri`");
    };
    if let Err(message) = check_redirect_uri(redirect_uri) {
        return error_page(&message);
    }
    let client = match authorizing_client(&state, client_id, redirect_uri) {
        Ok(client) => client,
        Err(message) => return error_page(&message),
    };
    let state_param = params.get("state").cloned();
    let back = |error: &str, description: &str| {
        let mut pairs = vec![("error", error), ("error_description", description)];
        if let Some(s) = &state_param {
            pairs.push(("state", s));
        }
        redirect(redirect_uri, &pairs, StatusCode::FOUND)
    };

    let response_type = config.response_type.as_str();
    if params.get("response_type").map(String::as_str) != Some(response_type) {
        return back(
            "unsupported_response_type",
            &format!("response_type must be `{response_type}`"),
        );
    }
    if let Err(message) = check_nonce(&state, &params) {
        return back("invalid_request", &message);
    }
    let scopes = match requested_scopes(params.get("scope"), &config.scopes) {
        Ok(scopes) => scopes,
        Err(message) => return back("invalid_scope", &message),
    };
    let challenge = params.get("code_challenge");
    let method = params.get("code_challenge_method").map(String::as_str);
    let code_challenge = match (challenge, method) {
        (None, None) => None,
        (Some(c), Some("S256")) if c.len() == 43 && is_pkce_text(c) => Some(c.clone()),
        (Some(_), Some("S256")) => {
            return back(
                "invalid_request",
                "code_challenge must be the 43-character base64url SHA-256 of the code_verifier",
            );
        }
        (Some(_), _) => {
            return back(
                "invalid_request",
                "only code_challenge_method=S256 is supported",
            );
        }
        (None, Some(_)) => {
            return back(
                "invalid_request",
                "code_challenge_method was sent without code_challenge",
            );
        }
    };
    let pending = PendingAuthorization {
        client,
        redirect_uri: redirect_uri.clone(),
        scopes,
        state: state_param.clone(),
        code_challenge,
        expires_at: Instant::now() + PENDING_TTL,
    };
    let username = params
        .get("login_hint")
        .map(String::as_str)
        .unwrap_or(DEFAULT_USERNAME);
    if config.auto_approve {
        return match check_username(username) {
            Ok(()) => approve(&state, pending, username, StatusCode::FOUND),
            Err(message) => back("invalid_request", &message),
        };
    }

    let request_id = new_token("tl_req_");
    {
        let mut inner = state.lock();
        let now = Instant::now();
        inner.pending.retain(|_, p| p.expires_at > now);
        inner.pending.insert(request_id.clone(), pending.clone());
    }
    Html(consent_page(&pending, &request_id, username)).into_response()
}

/// The nonce a provider built with `require_nonce` asks for: long enough to be random, and
/// single-use (a repeated one is a replayed request).
fn check_nonce(state: &Shared, params: &HashMap<String, String>) -> Result<(), String> {
    let Some(name) = &state.config.nonce_param else {
        return Ok(());
    };
    let Some(nonce) = params.get(name) else {
        return Err(format!("the authorization request has no `{name}`"));
    };
    if nonce.len() < 22 {
        return Err(format!("`{name}` is too short to be random"));
    }
    if !state.lock().nonces.insert(nonce.clone()) {
        return Err(format!("`{name}` was already used"));
    }
    Ok(())
}

/// The client an authorization request names: the configured one, or a registered one whose
/// registration lists `redirect_uri` exactly (RFC 6749 §3.1.2.3).
fn authorizing_client(state: &Shared, id: &str, redirect_uri: &str) -> Result<Client, String> {
    if id == state.config.client_id {
        return Ok(Client {
            id: id.to_owned(),
            name: id.to_owned(),
        });
    }
    let inner = state.lock();
    let registered = inner
        .registered
        .get(id)
        .ok_or_else(|| format!("unknown client_id `{id}`"))?;
    if !registered.redirect_uris.iter().any(|u| u == redirect_uri) {
        return Err(format!(
            "redirect_uri `{redirect_uri}` is not one this client registered"
        ));
    }
    Ok(Client {
        id: id.to_owned(),
        name: registered.name.clone(),
    })
}

pub(crate) fn check_redirect_uri(uri: &str) -> Result<(), String> {
    let url = Url::parse(uri).map_err(|e| format!("redirect_uri `{uri}` is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.fragment().is_some() {
        return Err(format!(
            "redirect_uri `{uri}` must be an http(s) URL without a fragment"
        ));
    }
    Ok(())
}

/// The requested scopes (all known scopes when none are requested), or a message naming unknown ones.
fn requested_scopes(requested: Option<&String>, allowed: &[String]) -> Result<Vec<String>, String> {
    let Some(requested) = requested.filter(|s| !s.trim().is_empty()) else {
        return Ok(allowed.to_vec());
    };
    let mut scopes = Vec::new();
    for scope in requested.split_whitespace() {
        if !allowed.iter().any(|a| a == scope) {
            return Err(format!(
                "unknown scope `{scope}`; this provider knows: {}",
                allowed.join(" ")
            ));
        }
        if !scopes.iter().any(|s| s == scope) {
            scopes.push(scope.to_owned());
        }
    }
    Ok(scopes)
}

/// RFC 7636 §4.1 characters: ALPHA / DIGIT / "-" / "." / "_" / "~".
fn is_pkce_text(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

fn check_username(username: &str) -> Result<(), String> {
    let ok = (1..=64).contains(&username.len())
        && username
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "username `{username}` must be 1 to 64 letters, digits, `-`, `.` or `_`"
        ))
    }
}

async fn authorize_decision(State(state): State<AppState>, body: Bytes) -> Response {
    let params = match parse_params(&body) {
        Ok(params) => params,
        Err(message) => return error_page(&message),
    };
    let pending = params.get("request").and_then(|id| {
        let now = Instant::now();
        state
            .lock()
            .pending
            .remove(id)
            .filter(|p| p.expires_at > now)
    });
    let Some(pending) = pending else {
        return error_page(
            "this authorization request is unknown, already answered or expired; start again from the application",
        );
    };
    match params.get("decision").map(String::as_str) {
        Some("allow") => {
            let username = params
                .get("username")
                .map(|u| u.trim())
                .filter(|u| !u.is_empty())
                .unwrap_or(DEFAULT_USERNAME);
            match check_username(username) {
                Ok(()) => approve(&state, pending, username, StatusCode::SEE_OTHER),
                Err(message) => error_page(&message),
            }
        }
        Some("deny") => {
            let mut pairs = vec![
                ("error", "access_denied"),
                ("error_description", "the user denied access"),
            ];
            if let Some(s) = &pending.state {
                pairs.push(("state", s));
            }
            redirect(&pending.redirect_uri, &pairs, StatusCode::SEE_OTHER)
        }
        _ => error_page("the form must send `decision=allow` or `decision=deny`"),
    }
}

/// Issues a code for `username` and redirects back to the client with it.
fn approve(
    state: &Shared,
    pending: PendingAuthorization,
    username: &str,
    status: StatusCode,
) -> Response {
    let code = new_token("tl_code_");
    {
        let mut inner = state.lock();
        let now = Instant::now();
        inner.codes.retain(|_, c| c.expires_at > now);
        inner.codes.insert(
            code.clone(),
            CodeGrant {
                client_id: pending.client.id.clone(),
                subject: username.to_owned(),
                redirect_uri: pending.redirect_uri.clone(),
                scopes: pending.scopes,
                code_challenge: pending.code_challenge,
                expires_at: now + state.config.code_ttl,
            },
        );
    }
    let mut pairs = vec![(state.config.code_param.as_str(), code.as_str())];
    if let Some(realm) = &state.config.callback_realm {
        pairs.push(("realm", realm));
    }
    if let Some((param, server)) = &state.config.callback_token_server {
        pairs.push((param, server.as_deref().unwrap_or(&state.base_url)));
    }
    if let Some(s) = &pending.state {
        pairs.push(("state", s));
    }
    redirect(&pending.redirect_uri, &pairs, status)
}

fn redirect(uri: &str, pairs: &[(&str, &str)], status: StatusCode) -> Response {
    let Ok(mut url) = Url::parse(uri) else {
        return error_page(&format!("redirect_uri `{uri}` is not a URL"));
    };
    url.query_pairs_mut().extend_pairs(pairs);
    match HeaderValue::from_str(url.as_str()) {
        Ok(location) => (status, [(LOCATION, location)]).into_response(),
        Err(_) => error_page("the redirect URL is not a valid header value"),
    }
}

fn error_page(message: &str) -> Response {
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Task Lab: authorization error</title></head>\
         <body><h1>Authorization error</h1><p id=\"error\">{}</p></body></html>",
        escape(message)
    );
    (StatusCode::BAD_REQUEST, Html(body)).into_response()
}

fn consent_page(pending: &PendingAuthorization, request_id: &str, username: &str) -> String {
    let scopes: String = pending
        .scopes
        .iter()
        .map(|s| format!("<li><code>{}</code></li>", escape(s)))
        .collect();
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Task Lab: authorize {client}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto}}button{{margin-right:.5rem}}</style></head>
<body>
<h1>Task Lab</h1>
<p>The application <strong>{client}</strong> asks to access your Task Lab account with these permissions:</p>
<ul>{scopes}</ul>
<p>You will be sent back to <code>{redirect}</code>.</p>
<form method="post" action="/oauth/authorize">
<input type="hidden" name="request" value="{request}">
<label>Signed in as <input name="username" value="{username}" pattern="[A-Za-z0-9._-]{{1,64}}"></label>
<p><button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button></p>
</form>
</body></html>
"#,
        client = escape(&pending.client.name),
        redirect = escape(&pending.redirect_uri),
        request = escape(request_id),
        username = escape(username),
    )
}

/// HTML-escapes text and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

// ---- token endpoint --------------------------------------------------------

/// An RFC 6749 §5.2 error.
pub(crate) struct OAuthError {
    error: &'static str,
    description: String,
}

pub(crate) fn oauth_error(error: &'static str, description: impl Into<String>) -> OAuthError {
    OAuthError {
        error,
        description: description.into(),
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = Json(json!({"error": self.error, "error_description": self.description}));
        if self.error == "invalid_client" {
            let challenge = HeaderValue::from_static("Basic realm=\"tasklab\"");
            return (
                StatusCode::UNAUTHORIZED,
                [(WWW_AUTHENTICATE, challenge)],
                body,
            )
                .into_response();
        }
        (StatusCode::BAD_REQUEST, body).into_response()
    }
}

/// The token request's parameters: a form body (RFC 6749), or, as many providers also accept,
/// a JSON object of strings (`Content-Type: application/json`) or the URL's query.
fn token_params(
    headers: &HeaderMap,
    query: Option<&str>,
    body: &[u8],
) -> Result<HashMap<String, String>, String> {
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type.starts_with("application/json") {
        let object: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(body).map_err(|e| format!("the JSON body is invalid: {e}"))?;
        return object
            .into_iter()
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => Ok((k, s)),
                _ => Err(format!("parameter `{k}` is not a string")),
            })
            .collect();
    }
    match query {
        Some(q) if body.is_empty() => parse_params(q.as_bytes()),
        _ if content_type.starts_with("application/x-www-form-urlencoded") => parse_params(body),
        _ => Err(
            "the token request must be sent as application/x-www-form-urlencoded, JSON or a query"
                .to_owned(),
        ),
    }
}

async fn token(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = token_params(&headers, query.as_deref(), &body);
    {
        let mut inner = state.lock();
        let grant = params
            .as_ref()
            .ok()
            .and_then(|p| p.get("grant_type"))
            .map(String::as_str);
        let counts = &mut inner.stats.token_requests;
        match grant {
            Some("authorization_code") => counts.authorization_code += 1,
            Some("refresh_token") => counts.refresh_token += 1,
            Some("client_credentials") => counts.client_credentials += 1,
            Some("password") => counts.password += 1,
            _ => counts.other += 1,
        }
        inner.stats.last_token_request = Some(RecordedRequest {
            method: Method::POST,
            path: "/oauth/token".to_owned(),
            query: query.clone(),
            headers: headers.clone(),
            body: body.to_vec(),
        });
    }
    let planned_failure = state.lock().planned_token_failures.pop_front();
    if let Some(status) = planned_failure {
        state.lock().stats.token_errors += 1;
        return injected_failure(status);
    }
    let result = params
        .map_err(|message| oauth_error("invalid_request", message))
        .and_then(|params| exchange(&state, &headers, &params));
    // Tokens are issued (and a refresh token rotated) before the delay, like a provider whose
    // answer is slow to arrive: a client that gives up meanwhile has still consumed its grant.
    let planned_delay = state.lock().planned_token_delays.pop_front();
    if let Some(delay) = planned_delay {
        tokio::time::sleep(delay).await;
    }
    match result {
        Ok(response) => response,
        Err(error) => {
            state.lock().stats.token_errors += 1;
            error.into_response()
        }
    }
}

/// A planned token-endpoint failure (`RunningProvider::fail_next_token_requests`),
/// shaped like what a provider sends for that status.
fn injected_failure(status: StatusCode) -> Response {
    let error = match status {
        StatusCode::BAD_REQUEST => "invalid_grant",
        StatusCode::UNAUTHORIZED => "invalid_client",
        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => {
            "temporarily_unavailable"
        }
        _ => "server_error",
    };
    let body = Json(json!({
        "error": error,
        "error_description": format!("injected {} by fail_next_token_requests", status.as_u16()),
    }));
    let mut response = (status, body).into_response();
    if error == "temporarily_unavailable" {
        response
            .headers_mut()
            .insert("retry-after", HeaderValue::from_static("1"));
    }
    response
}

fn exchange(
    state: &Shared,
    headers: &HeaderMap,
    params: &HashMap<String, String>,
) -> Result<Response, OAuthError> {
    let grant_type = required(params, "grant_type")?;
    let supported = match grant_type {
        "authorization_code" | "refresh_token" | "client_credentials" => true,
        // The password grant exists only where the builder named accounts for it.
        "password" => !state.config.resource_owners.is_empty(),
        _ => false,
    };
    if !supported {
        return Err(oauth_error(
            "unsupported_grant_type",
            format!(
                "grant_type `{grant_type}` is not supported; use authorization_code, refresh_token, client_credentials or password"
            ),
        ));
    }
    let client_id = authenticate_client(state, headers, params)?;
    match grant_type {
        "authorization_code" => authorization_code(state, &client_id, params),
        "refresh_token" => refresh_token(state, &client_id, params),
        "password" => password(state, &client_id, params),
        _ => client_credentials(state, params),
    }
}

fn required<'a>(params: &'a HashMap<String, String>, name: &str) -> Result<&'a str, OAuthError> {
    params
        .get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| oauth_error("invalid_request", format!("missing parameter `{name}`")))
}

/// Client authentication by `Authorization: Basic` (RFC 6749 §2.3.1) or by
/// `client_id` + `client_secret` in the body; returns the client's id.
fn authenticate_client(
    state: &Shared,
    headers: &HeaderMap,
    params: &HashMap<String, String>,
) -> Result<String, OAuthError> {
    if params.contains_key("client_assertion") || params.contains_key("client_assertion_type") {
        return crate::assertion::authenticate(state, params)
            .map_err(|why| oauth_error("invalid_client", why));
    }
    let body_id = params.get("client_id").map(String::as_str);
    let (id, secret) = match headers.get(AUTHORIZATION) {
        Some(value) => {
            let (id, secret) = basic_credentials(value).ok_or_else(|| {
                oauth_error(
                    "invalid_client",
                    "the Authorization header must be `Basic base64(client_id:client_secret)`",
                )
            })?;
            if body_id.is_some_and(|b| b != id) {
                return Err(oauth_error(
                    "invalid_request",
                    "client_id in the body differs from the one in the Basic header",
                ));
            }
            (id, secret)
        }
        None => {
            let id = body_id.ok_or_else(|| {
                oauth_error(
                    "invalid_client",
                    "no client authentication: send a Basic header or client_id and client_secret in the body",
                )
            })?;
            let secret = params.get("client_secret").ok_or_else(|| {
                oauth_error("invalid_client", "missing `client_secret` in the body")
            })?;
            (id.to_owned(), secret.clone())
        }
    };
    let expected = if id == state.config.client_id {
        Some(state.config.client_secret.clone())
    } else {
        state.lock().registered.get(&id).map(|c| c.secret.clone())
    };
    let expected = expected
        .ok_or_else(|| oauth_error("invalid_client", format!("unknown client_id `{id}`")))?;
    if secret != expected.0 {
        return Err(oauth_error("invalid_client", "wrong client secret"));
    }
    Ok(id)
}

/// Decodes `Basic base64(urlencoded id ":" urlencoded secret)`.
fn basic_credentials(value: &HeaderValue) -> Option<(String, String)> {
    let (scheme, encoded) = value.to_str().ok()?.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape = |s: &str| {
        percent_encoding::percent_decode_str(&s.replace('+', " "))
            .decode_utf8()
            .ok()
            .map(|s| s.into_owned())
    };
    Some((unescape(id)?, unescape(secret)?))
}

fn authorization_code(
    state: &Shared,
    client_id: &str,
    params: &HashMap<String, String>,
) -> Result<Response, OAuthError> {
    let code = required(params, "code")?;
    let redirect_uri = required(params, "redirect_uri")?;
    let mut inner = state.lock();
    // Single use: the code is gone whatever happens next.
    let grant = inner
        .codes
        .remove(code)
        .filter(|g| g.expires_at > Instant::now())
        .ok_or_else(|| {
            oauth_error(
                "invalid_grant",
                "unknown, already used or expired authorization code",
            )
        })?;
    if grant.client_id != client_id {
        return Err(oauth_error(
            "invalid_grant",
            "the authorization code was issued to another client",
        ));
    }
    if grant.redirect_uri != redirect_uri {
        return Err(oauth_error(
            "invalid_grant",
            "redirect_uri differs from the one in the authorization request",
        ));
    }
    match (&grant.code_challenge, params.get("code_verifier")) {
        (None, None) => {}
        (Some(challenge), Some(verifier)) => {
            if !(43..=128).contains(&verifier.len()) || !is_pkce_text(verifier) {
                return Err(oauth_error(
                    "invalid_grant",
                    "code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~",
                ));
            }
            let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
            if computed != *challenge {
                return Err(oauth_error(
                    "invalid_grant",
                    "code_verifier does not match the code_challenge",
                ));
            }
        }
        (Some(_), None) => {
            return Err(oauth_error(
                "invalid_grant",
                "missing code_verifier: the authorization request had a code_challenge",
            ));
        }
        (None, Some(_)) => {
            return Err(oauth_error(
                "invalid_grant",
                "code_verifier sent, but the authorization request had no code_challenge",
            ));
        }
    }
    let principal = Principal::user(&grant.subject, grant.scopes.clone());
    let refresh = new_token("tl_rt_");
    inner.refresh_tokens.insert(
        refresh.clone(),
        RefreshGrant {
            client_id: grant.client_id,
            subject: grant.subject,
            scopes: grant.scopes,
        },
    );
    Ok(token_response(state, &mut inner, principal, Some(refresh)))
}

fn refresh_token(
    state: &Shared,
    client_id: &str,
    params: &HashMap<String, String>,
) -> Result<Response, OAuthError> {
    let old = required(params, "refresh_token")?;
    let mut inner = state.lock();
    let (subject, granted) = inner
        .refresh_tokens
        .get(old)
        .filter(|g| g.client_id == client_id)
        .map(|g| (g.subject.clone(), g.scopes.clone()))
        .ok_or_else(|| {
            oauth_error(
                "invalid_grant",
                "unknown, revoked or already rotated refresh token, or one issued to another client",
            )
        })?;
    let scopes = requested_scopes(params.get("scope"), &granted)
        .map_err(|message| oauth_error("invalid_scope", message))?;
    let new_refresh = if state.config.rotate_refresh_tokens {
        inner.refresh_tokens.remove(old);
        let new = new_token("tl_rt_");
        inner.refresh_tokens.insert(
            new.clone(),
            RefreshGrant {
                client_id: client_id.to_owned(),
                subject: subject.clone(),
                scopes: granted,
            },
        );
        Some(new)
    } else {
        None
    };
    let principal = Principal::user(&subject, scopes);
    Ok(token_response(state, &mut inner, principal, new_refresh))
}

/// The resource owner password grant (RFC 6749 §4.3), for the accounts the builder names
/// ([`FakeProviderBuilder::resource_owner`](crate::FakeProviderBuilder::resource_owner)):
/// tokens for that user, with a refresh token. Without such accounts the grant is
/// `unsupported_grant_type`.
fn password(
    state: &Shared,
    client_id: &str,
    params: &HashMap<String, String>,
) -> Result<Response, OAuthError> {
    let username = required(params, "username")?;
    let password = required(params, "password")?;
    let known = state
        .config
        .resource_owners
        .iter()
        .any(|(u, p)| u == username && p.0 == password);
    if !known {
        return Err(oauth_error(
            "invalid_grant",
            "unknown username or wrong password",
        ));
    }
    let scopes = requested_scopes(params.get("scope"), &state.config.scopes)
        .map_err(|message| oauth_error("invalid_scope", message))?;
    let mut inner = state.lock();
    let refresh = new_token("tl_rt_");
    inner.refresh_tokens.insert(
        refresh.clone(),
        RefreshGrant {
            client_id: client_id.to_owned(),
            subject: username.to_owned(),
            scopes: scopes.clone(),
        },
    );
    let principal = Principal::user(username, scopes);
    Ok(token_response(state, &mut inner, principal, Some(refresh)))
}

fn client_credentials(
    state: &Shared,
    params: &HashMap<String, String>,
) -> Result<Response, OAuthError> {
    crate::tenancy::check(state, params)?;
    let scopes = requested_scopes(params.get("scope"), &state.config.scopes)
        .map_err(|message| oauth_error("invalid_scope", message))?;
    let principal = Principal::client(&state.config.client_id, scopes);
    let mut inner = state.lock();
    Ok(token_response(state, &mut inner, principal, None))
}

/// Stores a new access token for `principal` and builds the RFC 6749 §5.1 answer.
fn token_response(
    state: &Shared,
    inner: &mut Inner,
    principal: Principal,
    refresh_token: Option<String>,
) -> Response {
    let ttl = state.config.access_token_ttl;
    let access_token = new_token("tl_at_");
    let scope = principal.scopes.join(" ");
    let principal_id = principal.id.clone();
    inner.access_tokens.insert(
        access_token.clone(),
        AccessGrant {
            principal,
            expires_at: Instant::now() + ttl,
        },
    );
    let lifetime = if state.config.expires_in_ms {
        u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX)
    } else {
        ttl.as_secs() + u64::from(ttl.subsec_nanos() > 0)
    };
    let mut body = json!({
        "access_token": access_token,
        "token_type": "bearer",
        "expires_in": state.config.advertised_expires_in.unwrap_or(lifetime),
        "scope": scope,
        "instance_url": state.base_url,
        "account": { "id": principal_id },
    });
    if let Some(refresh_token) = refresh_token {
        body["refresh_token"] = json!(refresh_token);
    }
    if state.config.user_tokens_nested {
        body = nest_user_tokens(body);
    }
    (
        [
            (CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (
                axum::http::header::PRAGMA,
                HeaderValue::from_static("no-cache"),
            ),
        ],
        Json(body),
    )
        .into_response()
}

/// Slack's user-token answer: the token fields moved under `authed_user`, with the team.
fn nest_user_tokens(mut body: serde_json::Value) -> serde_json::Value {
    let mut user = serde_json::Map::new();
    if let Some(top) = body.as_object_mut() {
        for key in ["access_token", "expires_in", "refresh_token", "scope"] {
            if let Some(v) = top.remove(key) {
                user.insert(key.to_owned(), v);
            }
        }
        top.remove("token_type");
    }
    user.insert("token_type".to_owned(), json!("user"));
    let team = format!(
        "team-{}",
        body["account"]["id"].as_str().unwrap_or_default()
    );
    body["ok"] = json!(true);
    body["authed_user"] = serde_json::Value::Object(user);
    body["team"] = json!({ "id": team });
    body
}
