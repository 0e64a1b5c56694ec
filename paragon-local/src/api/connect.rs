//! Starting an OAuth connection (`build-oauth`) and finishing it (`GET /oauth`).

use super::credentials::check_inputs;
use crate::auth::{Access, User};
use crate::error::ApiError;
use crate::integration::Integration;
use crate::oauth::{Grant, TokenEndpoint, TokenError, request_token};
use crate::state::{AppState, Shared};
use crate::store::{Credential, PendingOAuth, Secret, Status, new_id, now_ms};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use oauth2::{CsrfToken, PkceCodeChallenge};
use paragon_manifest::{Auth, AuthorizeRequest};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::time::Duration;

/// How long the user has to approve at the provider.
const STATE_TTL: Duration = Duration::from_secs(15 * 60);

/// Where the browser may be sent after the callback: a path on this server, or an http(s)
/// URL on a loopback host or this server's origin. Anything else would be an open redirect.
///
/// Browsers drop tabs and newlines from URLs and read `\` as `/`, so `/\t/evil.example/`
/// would become the protocol-relative `//evil.example/`: such characters are refused
/// outright, and a path is also resolved against the public URL (as a browser would) and
/// must keep its origin.
fn check_redirect(app: &AppState, url: &str) -> Result<String, ApiError> {
    if url
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == '\\')
    {
        return Err(ApiError::bad_request(
            "redirectUrl must not contain whitespace, control characters or backslashes",
        ));
    }
    let public = url::Url::parse(&app.public_url)
        .map_err(|e| ApiError::internal(format!("the public URL is not a URL: {e}")))?;
    if url.starts_with('/') && !url.starts_with("//") {
        let resolved = public
            .join(url)
            .map_err(|e| ApiError::bad_request(format!("redirectUrl is not a path: {e}")))?;
        if resolved.origin() == public.origin() {
            return Ok(url.to_string());
        }
    }
    let parsed = url::Url::parse(url)
        .map_err(|e| ApiError::bad_request(format!("redirectUrl is not a URL or path: {e}")))?;
    let same_origin = public.origin() == parsed.origin();
    let loopback = match parsed.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if matches!(parsed.scheme(), "http" | "https") && (same_origin || loopback) {
        Ok(parsed.to_string())
    } else {
        Err(ApiError::bad_request(
            "redirectUrl must be a path on this server or a loopback/same-origin http(s) URL",
        ))
    }
}

/// Stores a pending authorization and returns the provider's authorization URL.
pub(crate) async fn start_oauth(
    app: &AppState,
    user: &User,
    integration: &Integration,
    values: &Map<String, Value>,
    redirect_url: Option<&str>,
) -> Result<url::Url, ApiError> {
    user.check(&integration.slug, None, Access::Write)?;
    let Auth::OAuth(oauth) = integration.manifest.auth() else {
        return Err(ApiError::bad_request(format!(
            "{} does not use OAuth; create its credential with POST /sdk/credentials",
            integration.slug
        )));
    };
    let inputs = check_inputs(integration, values)?;
    let redirect_url = redirect_url.map(|u| check_redirect(app, u)).transpose()?;
    let state = CsrfToken::new_random();
    let (challenge, verifier) = if oauth.pkce() {
        let (c, v) = PkceCodeChallenge::new_random_sha256();
        (Some(c), Some(v))
    } else {
        (None, None)
    };
    let redirect_uri = format!("{}/oauth", app.public_url);
    let secret = Secret {
        inputs: inputs.clone(),
        ..Secret::default()
    };
    let url = oauth
        .authorize_url(
            &integration.context(&app.secrets, &secret, None),
            &AuthorizeRequest {
                redirect_uri: &redirect_uri,
                state: state.secret(),
                code_challenge: challenge.as_ref().map(|c| c.as_str()),
            },
        )
        .map_err(|e| ApiError::bad_request(format!("{}: {e}", integration.slug)))?;
    let pending = PendingOAuth {
        project_id: user.project_id.clone(),
        user_id: user.user_id.clone(),
        integration: integration.slug.clone(),
        pkce_verifier: verifier.map(|v| v.secret().clone()),
        inputs,
        redirect_url,
        redirect_uri,
        code: None,
        callback: Default::default(),
    };
    app.store
        .put_oauth_state(state.secret(), &pending, STATE_TTL)
        .await?;
    Ok(url)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BuildOAuth {
    #[serde(default)]
    action: Option<String>,
    integration_id: String,
    #[serde(default)]
    end_user_supplied_values: Option<String>,
    #[serde(default)]
    redirect_url: Option<String>,
}

/// `GET /v2/projects/{pid}/sdk/actions/build-oauth` → `{"redirectUrl": <authorization URL>}`.
pub(crate) async fn build_oauth(
    State(app): State<Shared>,
    Path(pid): Path<String>,
    headers: HeaderMap,
    Query(q): Query<BuildOAuth>,
) -> Result<Json<Value>, ApiError> {
    let user = app.user(&pid, &headers)?;
    if q.action.as_deref().is_some_and(|a| a != "custom") {
        return Err(ApiError::bad_request("only action=custom is supported"));
    }
    let integration = app.integration(&q.integration_id)?.clone();
    let values: Map<String, Value> = match q.end_user_supplied_values.as_deref() {
        None | Some("") => Map::new(),
        Some(s) => serde_json::from_str(s).map_err(|e| {
            ApiError::bad_request(format!("endUserSuppliedValues is not a JSON object: {e}"))
        })?,
    };
    let url = start_oauth(
        &app,
        &user,
        &integration,
        &values,
        q.redirect_url.as_deref(),
    )
    .await?;
    Ok(Json(json!({ "redirectUrl": url.as_str() })))
}

#[derive(Deserialize)]
pub(crate) struct Callback {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
}

fn page(status: StatusCode, title: &str, message: &str) -> Response {
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title></head>\
         <body><h1>{t}</h1><p>{m}</p></body></html>",
        t = crate::portal::escape(title),
        m = crate::portal::escape(message)
    );
    let mut r = (status, Html(body)).into_response();
    crate::portal::security_headers(r.headers_mut(), None);
    r
}

fn redirect(to: &str, params: &[(&str, &str)]) -> Response {
    let mut target = to.to_string();
    let sep = if target.contains('?') { '&' } else { '?' };
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    target.push(sep);
    target.push_str(&query);
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = header::HeaderValue::from_str(&target) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    r
}

/// The cookie that binds a flow started in the portal to the browser that started it.
const FLOW_COOKIE: &str = "paragon_local_flow";

/// How long the browser has to confirm a connection it did not start.
const CONFIRM_TTL: Duration = Duration::from_secs(5 * 60);

/// The flow cookie's value for `state`: a MAC under the portal key, so it cannot be made
/// without the server and the state itself never sits in a cookie jar.
fn flow_binding(app: &AppState, state: &str) -> aws_lc_rs::hmac::Tag {
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &app.portal_key);
    aws_lc_rs::hmac::sign(&key, format!("oauth flow\0{state}").as_bytes())
}

/// `Set-Cookie` binding the flow with `state` to this browser, sent by the portal when it
/// starts a flow for its signed-in user. `SameSite=Lax` still reaches `/oauth` on the
/// provider's top-level redirect.
pub(crate) fn flow_cookie(app: &AppState, state: &str) -> String {
    use base64::Engine as _;
    let value =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(flow_binding(app, state).as_ref());
    let secure = if app.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{FLOW_COOKIE}={value}; Path=/oauth; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        STATE_TTL.as_secs()
    )
}

/// Whether the request carries the flow cookie for `state` (the browser that started it).
fn bound_to_this_browser(app: &AppState, headers: &HeaderMap, state: &str) -> bool {
    use base64::Engine as _;
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &app.portal_key);
    let message = format!("oauth flow\0{state}");
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .filter(|(k, _)| *k == FLOW_COOKIE)
        .filter_map(|(_, v)| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(v)
                .ok()
        })
        .any(|tag| aws_lc_rs::hmac::verify(&key, message.as_bytes(), &tag).is_ok())
}

/// `GET /oauth?code=…&state=…`: the provider's redirect. A flow started by the portal in this
/// browser finishes at once; any other (started through the API, so its authorization URL
/// may have been handed to someone else) first asks this browser to confirm, naming the app
/// user the account would be connected to (RFC 9700 §4.7: bind the flow to the user agent).
pub(crate) async fn callback(
    State(app): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<Callback>,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Response {
    let Some(state) = q.state.as_deref().filter(|s| !s.is_empty()) else {
        return page(
            StatusCode::BAD_REQUEST,
            "Connection failed",
            "The provider sent no state.",
        );
    };
    let mut pending = match app.store.take_oauth_state(state).await {
        Ok(Some(p)) => p,
        Ok(None) => {
            return page(
                StatusCode::BAD_REQUEST,
                "Connection failed",
                "This authorization is unknown, already used or expired. Start again.",
            );
        }
        Err(e) => return ApiError::from(e).into_response(),
    };
    let oauth = app
        .integrations
        .get(&pending.integration)
        .and_then(|i| i.manifest.auth().oauth().cloned());
    let code = match &oauth {
        Some(o) => {
            let (code, kept) = crate::oauth::from_callback(o, raw.as_deref());
            pending.callback = kept;
            code
        }
        None => q.code.clone(),
    };
    let fail = |message: String| -> Response {
        match &pending.redirect_url {
            Some(to) => redirect(to, &[("error", &message)]),
            None => page(StatusCode::BAD_REQUEST, "Connection failed", &message),
        }
    };
    if let Some(error) = &q.error {
        let mut message = format!("The provider answered: {error}");
        if let Some(d) = &q.error_description {
            message.push_str(&format!(" ({d})"));
        }
        return fail(message);
    }
    let Some(code) = code.as_deref().filter(|c| !c.is_empty()) else {
        return fail("The provider sent no authorization code.".into());
    };
    if !bound_to_this_browser(&app, &headers, state) {
        return ask_to_confirm(&app, pending, code).await;
    }
    complete(&app, &pending, code).await
}

/// Keeps the flow (with its code) under a new one-time id for five minutes and asks the
/// browser whether to connect the account to the named app user.
async fn ask_to_confirm(app: &AppState, mut pending: PendingOAuth, code: &str) -> Response {
    pending.code = Some(code.to_string());
    let id = CsrfToken::new_random();
    if let Err(e) = app
        .store
        .put_oauth_state(id.secret(), &pending, CONFIRM_TTL)
        .await
    {
        return ApiError::from(e).into_response();
    }
    let name = app
        .integrations
        .get(&pending.integration)
        .map_or(pending.integration.clone(), |i| {
            i.manifest.name().to_string()
        });
    let esc = crate::portal::escape;
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Confirm the connection</title></head><body><h1>Confirm the connection</h1>\
         <p>Connect the {n} account you just approved to the app user <strong>{u}</strong>?</p>\
         <p>Only continue if you started this connection yourself and you are {u}.</p>\
         <form method=\"post\" action=\"/oauth/confirm\">\
         <input type=\"hidden\" name=\"confirmation\" value=\"{c}\">\
         <button name=\"decision\" value=\"allow\">Connect to {u}</button> \
         <button name=\"decision\" value=\"deny\">Cancel</button></form></body></html>",
        n = esc(&name),
        u = esc(&pending.user_id),
        c = esc(id.secret()),
    );
    let mut r = (StatusCode::OK, Html(body)).into_response();
    let nonce = CsrfToken::new_random();
    crate::portal::security_headers(r.headers_mut(), Some((nonce.secret(), "")));
    r
}

/// `POST /oauth/confirm`: the browser's answer to [`ask_to_confirm`].
pub(crate) async fn confirm(
    State(app): State<Shared>,
    axum::Form(form): axum::Form<std::collections::HashMap<String, String>>,
) -> Response {
    let id = form.get("confirmation").map(String::as_str).unwrap_or("");
    let pending = match app.store.take_oauth_state(id).await {
        Ok(Some(p)) if p.code.is_some() => p,
        Ok(_) => {
            return page(
                StatusCode::BAD_REQUEST,
                "Connection failed",
                "This confirmation is unknown, already used or expired. Start again.",
            );
        }
        Err(e) => return ApiError::from(e).into_response(),
    };
    let code = pending.code.clone().unwrap_or_default();
    if form.get("decision").map(String::as_str) != Some("allow") {
        let message = "The connection was cancelled.";
        return match &pending.redirect_url {
            Some(to) => redirect(to, &[("error", message)]),
            None => page(StatusCode::OK, "Cancelled", message),
        };
    }
    complete(&app, &pending, &code).await
}

/// Exchanges the code, stores the credential and sends the browser on.
async fn complete(app: &AppState, pending: &PendingOAuth, code: &str) -> Response {
    let fail = |message: String| -> Response {
        match &pending.redirect_url {
            Some(to) => redirect(to, &[("error", &message)]),
            None => page(StatusCode::BAD_REQUEST, "Connection failed", &message),
        }
    };
    match finish(app, pending, code).await {
        Ok(c) => match &pending.redirect_url {
            Some(to) => redirect(to, &[("credentialId", &c.id)]),
            None => page(
                StatusCode::OK,
                "Connected",
                "The account is connected. You can close this window.",
            ),
        },
        Err(e) => fail(e.message().to_string()),
    }
}

async fn finish(
    app: &AppState,
    pending: &PendingOAuth,
    code: &str,
) -> Result<Credential, ApiError> {
    let integration = app.integration(&pending.integration)?.clone();
    let Auth::OAuth(oauth) = integration.manifest.auth() else {
        return Err(ApiError::bad_request(
            "the integration no longer uses OAuth",
        ));
    };
    let secret = Secret {
        inputs: pending.inputs.clone(),
        ..Secret::default()
    };
    let render =
        |e: paragon_manifest::RenderError| ApiError::internal(format!("{}: {e}", integration.slug));
    let endpoint = {
        let ctx = integration.context(&app.secrets, &secret, None);
        TokenEndpoint {
            reach: crate::refresh::reach_of(oauth.token_url_template()),
            url: oauth.token_url(&ctx).map_err(render)?,
            client_id: oauth.client_id(&ctx).map_err(render)?,
            client_secret: oauth.client_secret(&ctx).map_err(render)?.into_exposed(),
            client_auth: oauth.client_auth(),
            encoding: oauth.token_encoding(),
            extra_params: oauth.token_params(&ctx).map_err(render)?,
        }
    };
    let grant = Grant::Code {
        code,
        pkce_verifier: pending.pkce_verifier.as_deref(),
        redirect_uri: &pending.redirect_uri,
    };
    let tokens = request_token(&app.http, &endpoint, grant, oauth.capture())
        .await
        .map_err(|e| match e {
            TokenError::Rejected(r) => {
                ApiError::bad_request(format!("the provider refused the code: {r}"))
            }
            e => ApiError::integration(StatusCode::BAD_GATEWAY, e.to_string()),
        })?;
    let now = now_ms();
    let provider_id = tokens.provider_id(integration.manifest.auth().provider_id_path());
    let c = Credential {
        id: new_id(),
        project_id: pending.project_id.clone(),
        user_id: pending.user_id.clone(),
        integration: integration.slug.clone(),
        status: Status::Valid,
        status_reason: None,
        provider_id,
        config: json!({}),
        secret: Secret {
            inputs: pending.inputs.clone(),
            access_token: Some(tokens.access_token),
            refresh_token: tokens.refresh_token,
            captured: tokens
                .captured
                .into_iter()
                .chain(pending.callback.clone())
                .collect(),
        },
        expires_at: tokens.expires_at,
        version: 1,
        created_at: now,
        refreshed_at: Some(now),
    };
    app.store.insert_credential(&c).await?;
    crate::workflows::triggers::credential_created(app, &c).await;
    Ok(c)
}
