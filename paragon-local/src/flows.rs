//! The credential flows, apart from HTTP: starting an OAuth authorization and binding it to
//! the browser that started it, exchanging its code for a credential, and creating a
//! credential from input values. The API handlers (`api::connect`, `api::credentials`) and
//! the Connect Portal both call these, so neither depends on the other.

use crate::auth::{Access, User};
use crate::error::ApiError;
use crate::integration::Integration;
use crate::oauth::{Grant, TokenEndpoint, TokenError, request_token};
use crate::state::AppState;
use crate::store::{Credential, PendingOAuth, Secret, Status, new_id, now_ms};
use axum::http::{HeaderMap, StatusCode, header};
use oauth2::{CsrfToken, PkceCodeChallenge};
use paragon_manifest::{Auth, AuthorizeRequest};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
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
    sdk_session: Option<&str>,
) -> Result<url::Url, ApiError> {
    user.check(&integration.slug, None, Access::Write)?;
    sdk_session.map(crate::popup::check_key).transpose()?;
    start(
        app,
        user,
        integration,
        values,
        redirect_url,
        None,
        sdk_session,
    )
    .await
}

/// Starts re-authorizing the user's INVALID OAuth credential `id` of `integration` with its
/// own inputs; the callback then renews that credential instead of creating another.
pub(crate) async fn start_reconnect(
    app: &AppState,
    user: &User,
    integration: &Integration,
    id: &str,
    redirect_url: Option<&str>,
) -> Result<url::Url, ApiError> {
    let c = app
        .store
        .get_credential(&user.project_id, &user.user_id, id)
        .await?
        .filter(|c| c.integration == integration.slug)
        .ok_or_else(|| ApiError::not_found(format!("no credential {id:?} to reconnect")))?;
    user.check(&c.integration, Some(&c.id), Access::Write)?;
    if c.status != Status::Invalid {
        return Err(ApiError::bad_request(format!(
            "credential {id:?} is valid: only an invalid one is reconnected"
        )));
    }
    let values: Map<String, Value> = c
        .secret
        .inputs
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    start(
        app,
        user,
        integration,
        &values,
        redirect_url,
        Some(c.id),
        None,
    )
    .await
}

async fn start(
    app: &AppState,
    user: &User,
    integration: &Integration,
    values: &Map<String, Value>,
    redirect_url: Option<&str>,
    reconnect: Option<String>,
    sdk_session: Option<&str>,
) -> Result<url::Url, ApiError> {
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
    let mut secret = Secret {
        inputs: inputs.clone(),
        ..Secret::default()
    };
    let registered = crate::registration::register(
        &app.http,
        &app.secrets,
        integration,
        oauth,
        &secret,
        &redirect_uri,
    )
    .await?;
    secret.captured = registered.clone();
    // The authorization and token requests' parameters may use the user's metadata.
    let meta = app.store.user_meta(&user.project_id, &user.user_id).await?;
    // A fresh 256-bit value per authorization, sent once and kept nowhere.
    let nonce = oauth.nonce_param().map(|_| CsrfToken::new_random());
    let url = oauth
        .authorize_url(
            &integration.context(&app.secrets, &secret, Some(&meta)),
            &AuthorizeRequest {
                redirect_uri: &redirect_uri,
                state: state.secret(),
                code_challenge: challenge.as_ref().map(|c| c.as_str()),
                nonce: nonce.as_ref().map(|n| n.secret().as_str()),
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
        registered,
        sdk_session: sdk_session.map(str::to_string),
        reconnect,
    };
    app.store
        .put_oauth_state(state.secret(), &pending, STATE_TTL)
        .await?;
    Ok(url)
}

/// Checks the user's input values against the manifest's declared fields.
pub(crate) fn check_inputs(
    integration: &Integration,
    payload: &Map<String, Value>,
) -> Result<BTreeMap<String, String>, ApiError> {
    let fields = integration.manifest.inputs();
    let mut inputs = BTreeMap::new();
    for (k, v) in payload {
        if !fields.iter().any(|f| f.key() == k) {
            let declared: Vec<&str> = fields.iter().map(|f| f.key()).collect();
            return Err(ApiError::bad_request(format!(
                "unknown input `{k}` for {} (declared inputs: {})",
                integration.slug,
                if declared.is_empty() {
                    "none".to_string()
                } else {
                    declared.join(", ")
                }
            )));
        }
        let v = match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => {
                return Err(ApiError::bad_request(format!(
                    "input `{k}` must be a string"
                )));
            }
        };
        // Inputs end up in URLs and headers: a control character could inject a header.
        if v.chars().any(char::is_control) {
            return Err(ApiError::bad_request(format!(
                "input `{k}` contains a control character"
            )));
        }
        inputs.insert(k.clone(), v);
    }
    let mut problems = Vec::new();
    for f in fields {
        let value = inputs.get(f.key()).map(String::as_str);
        if let Err(e) = integration.manifest.check_input(f, value) {
            problems.push(Value::String(format!("{}: {e}", f.key())));
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::bad_request(format!(
            "invalid input values: {}",
            problems
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("; ")
        ))
        .with_meta(json!({ "errors": problems })));
    }
    Ok(inputs)
}

/// Creates a credential from input values (API keys, client id/secret, other fields). For
/// client credentials the first token is fetched now, so bad client credentials are refused.
pub(crate) async fn create_credential(
    app: &AppState,
    user: &User,
    integration: &Integration,
    payload: &Map<String, Value>,
    config: Map<String, Value>,
) -> Result<Credential, ApiError> {
    user.check(&integration.slug, None, Access::Write)?;
    if matches!(integration.manifest.auth(), Auth::OAuth(_)) {
        return Err(ApiError::bad_request(format!(
            "{} uses OAuth: start the connection with GET /v2/projects/{{pid}}/sdk/actions/build-oauth",
            integration.slug
        )));
    }
    let inputs = check_inputs(integration, payload)?;
    let now = now_ms();
    let mut c = Credential {
        id: new_id(),
        project_id: user.project_id.clone(),
        user_id: user.user_id.clone(),
        integration: integration.slug.clone(),
        status: Status::Valid,
        status_reason: None,
        provider_id: None,
        config: Value::Object(config),
        secret: Secret {
            inputs,
            ..Secret::default()
        },
        expires_at: None,
        version: 1,
        created_at: now,
        refreshed_at: None,
    };
    let meta = app.store.user_meta(&user.project_id, &user.user_id).await?;
    if let Auth::ClientCredentials(cc) = integration.manifest.auth() {
        let endpoint =
            crate::refresh::renewal_endpoint(&app.secrets, integration, &c, Some(&meta))?;
        let values = crate::refresh::GrantValues::render(&app.secrets, integration, cc, &c)?;
        let grant = values.grant(None, cc.scopes());
        let capture = integration.manifest.auth().capture_at();
        match request_token(&app.http, &endpoint, grant, capture).await {
            Ok(tokens) => {
                c.secret.access_token = Some(tokens.access_token);
                c.secret.refresh_token = tokens.refresh_token;
                c.secret.captured = tokens.captured;
                c.expires_at = tokens.expires_at;
                c.refreshed_at = Some(now);
            }
            Err(TokenError::Rejected(reason)) => {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_client_credentials",
                    format!("the provider refused these client credentials: {reason}"),
                ));
            }
            Err(e) => {
                return Err(ApiError::integration(
                    StatusCode::BAD_GATEWAY,
                    e.to_string(),
                ));
            }
        }
    }
    if let Auth::TokenExchange(_) = integration.manifest.auth() {
        // Exchanged now, so inputs the provider refuses are refused here, not at first use.
        let exchanged =
            crate::exchange::exchange(&app.http, &app.secrets, integration, &c.secret, Some(&meta));
        match exchanged.await {
            Ok(tokens) => {
                c.provider_id = tokens.provider_id(integration.manifest.auth().provider_id_path());
                c.secret.access_token = Some(tokens.access_token);
                c.secret.refresh_token = tokens.refresh_token;
                c.secret.captured = tokens.captured;
                c.expires_at = tokens.expires_at;
                c.refreshed_at = Some(now);
            }
            Err(TokenError::Rejected(reason)) => {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_credentials",
                    format!("the provider refused these values: {reason}"),
                ));
            }
            Err(e) => {
                return Err(ApiError::integration(
                    StatusCode::BAD_GATEWAY,
                    e.to_string(),
                ));
            }
        }
    }
    crate::after_connect::read(app, integration, &mut c).await?;
    app.store.insert_credential(&c).await?;
    crate::workflows::triggers::credential_created(app, &c).await;
    Ok(c)
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

/// Keeps a flow not started in this browser, with its code, under a new one-time id for
/// five minutes, until the browser confirms (`POST /oauth/confirm`); returns that id.
pub(crate) async fn hold_for_confirmation(
    app: &AppState,
    mut pending: PendingOAuth,
    code: &str,
) -> Result<(String, PendingOAuth), ApiError> {
    pending.code = Some(code.to_string());
    let id = CsrfToken::new_random().secret().clone();
    app.store
        .put_oauth_state(&id, &pending, CONFIRM_TTL)
        .await?;
    Ok((id, pending))
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
        "{FLOW_COOKIE}={value}; Path={}/oauth; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        app.public_path,
        STATE_TTL.as_secs()
    )
}

/// Whether the request carries the flow cookie for `state` (the browser that started it).
pub(crate) fn bound_to_this_browser(app: &AppState, headers: &HeaderMap, state: &str) -> bool {
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

/// Exchanges an authorization code for tokens and stores the new credential.
pub(crate) async fn exchange_code(
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
    // The callback's values are known now (the token URL may name one); the registered
    // client last, so a callback value cannot replace it.
    let secret = Secret {
        inputs: pending.inputs.clone(),
        captured: pending
            .callback
            .clone()
            .into_iter()
            .chain(pending.registered.clone())
            .collect(),
        ..Secret::default()
    };
    let render =
        |e: paragon_manifest::RenderError| ApiError::internal(format!("{}: {e}", integration.slug));
    let meta = app
        .store
        .user_meta(&pending.project_id, &pending.user_id)
        .await?;
    let endpoint = {
        let ctx = integration.context(&app.secrets, &secret, Some(&meta));
        TokenEndpoint {
            reach: crate::refresh::reach_by(
                oauth.host_chosen_by_user(oauth.token_url_chosen(&ctx)),
            ),
            url: oauth.token_url(&ctx).map_err(render)?,
            client_id: oauth.client_id(&ctx).map_err(render)?,
            client_secret: oauth.client_secret(&ctx).map_err(render)?.into_exposed(),
            client_auth: oauth.client_auth(),
            client_assertion: oauth
                .client_assertion()
                .map(|a| crate::client_assertion::AssertionKey::render(a, &ctx))
                .transpose()
                .map_err(render)?,
            encoding: oauth.token_encoding(),
            extra_params: oauth.token_params(&ctx).map_err(render)?,
            reading: crate::token_reading::TokenReading::of(integration.manifest.auth()),
        }
    };
    let grant = Grant::Code {
        code,
        pkce_verifier: pending.pkce_verifier.as_deref(),
        redirect_uri: &pending.redirect_uri,
    };
    let capture = integration.manifest.auth().capture_at();
    let tokens = request_token(&app.http, &endpoint, grant, capture)
        .await
        .map_err(|e| match e {
            TokenError::Rejected(r) => {
                ApiError::bad_request(format!("the provider refused the code: {r}"))
            }
            e => ApiError::integration(StatusCode::BAD_GATEWAY, e.to_string()),
        })?;
    let now = now_ms();
    let provider_id = tokens.provider_id(integration.manifest.auth().provider_id_path());
    let secret = Secret {
        inputs: pending.inputs.clone(),
        access_token: Some(tokens.access_token),
        refresh_token: tokens.refresh_token,
        captured: tokens
            .captured
            .into_iter()
            .chain(pending.callback.clone())
            // The registered client last: a token response cannot replace it.
            .chain(pending.registered.clone())
            .collect(),
    };
    let mut c = Credential {
        id: new_id(),
        project_id: pending.project_id.clone(),
        user_id: pending.user_id.clone(),
        integration: integration.slug.clone(),
        status: Status::Valid,
        status_reason: None,
        provider_id,
        config: json!({}),
        secret,
        expires_at: tokens.expires_at,
        version: 1,
        created_at: now,
        refreshed_at: Some(now),
    };
    crate::after_connect::read(app, &integration, &mut c).await?;
    if let Some(id) = &pending.reconnect {
        return renew_in_place(app, pending, id, &c).await;
    }
    app.store.insert_credential(&c).await?;
    crate::workflows::triggers::credential_created(app, &c).await;
    Ok(c)
}

/// A reconnect's new tokens (`renewed`: its secret, expiry and the account id the provider
/// now reports) written into the credential it re-authorizes: same id, config (settings) and
/// workflow states, status VALID again. No new-credential trigger runs.
async fn renew_in_place(
    app: &AppState,
    pending: &PendingOAuth,
    id: &str,
    renewed: &Credential,
) -> Result<Credential, ApiError> {
    let gone = || ApiError::not_found(format!("credential {id:?} to reconnect no longer exists"));
    let c = app
        .store
        .get_credential(&pending.project_id, &pending.user_id, id)
        .await?
        .filter(|c| c.integration == pending.integration)
        .ok_or_else(gone)?;
    if !app
        .store
        .swap_secret_reconnected(
            &c,
            c.version,
            &renewed.secret,
            renewed.expires_at,
            renewed.provider_id.as_deref(),
        )
        .await?
    {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "credential_changed",
            format!("credential {id:?} changed during the reconnection; try again"),
        ));
    }
    app.store
        .get_credential(&pending.project_id, &pending.user_id, id)
        .await?
        .ok_or_else(gone)
}
