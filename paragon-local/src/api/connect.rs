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
fn check_redirect(app: &AppState, url: &str) -> Result<String, ApiError> {
    if url.starts_with('/') && !url.starts_with("//") && !url.contains('\\') {
        return Ok(url.to_string());
    }
    let parsed = url::Url::parse(url)
        .map_err(|e| ApiError::bad_request(format!("redirectUrl is not a URL or path: {e}")))?;
    let same_origin = url::Url::parse(&app.public_url)
        .map(|p| p.origin() == parsed.origin())
        .unwrap_or(false);
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

/// `GET /oauth?code=…&state=…`: the provider's redirect; exchanges the code and stores the
/// credential.
pub(crate) async fn callback(State(app): State<Shared>, Query(q): Query<Callback>) -> Response {
    let Some(state) = q.state.as_deref().filter(|s| !s.is_empty()) else {
        return page(
            StatusCode::BAD_REQUEST,
            "Connection failed",
            "The provider sent no state.",
        );
    };
    let pending = match app.store.take_oauth_state(state).await {
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
    let Some(code) = q.code.as_deref().filter(|c| !c.is_empty()) else {
        return fail("The provider sent no authorization code.".into());
    };
    match finish(&app, &pending, code).await {
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
    let c = Credential {
        id: new_id(),
        project_id: pending.project_id.clone(),
        user_id: pending.user_id.clone(),
        integration: integration.slug.clone(),
        status: Status::Valid,
        status_reason: None,
        provider_id: None,
        config: json!({}),
        secret: Secret {
            inputs: pending.inputs.clone(),
            access_token: Some(tokens.access_token),
            refresh_token: tokens.refresh_token,
            captured: tokens.captured,
        },
        expires_at: tokens.expires_at,
        version: 1,
        created_at: now,
        refreshed_at: Some(now),
    };
    app.store.insert_credential(&c).await?;
    Ok(c)
}
