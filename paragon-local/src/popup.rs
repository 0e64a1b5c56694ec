//! The official JavaScript SDK's OAuth popup, as `@useparagon/connect` 2.4.0 drives it:
//!
//! 1. the app's page opens a popup on `GET /projects/{pid}/sdk/actions/oauth-nonce?…&userToken=…`
//!    and, at the same time, fetches `build-oauth` (with `oauthMetaKeyId`, a key it chose);
//! 2. the popup page tells its opener `oauth-nonce-loaded`, and the SDK sends the popup on to
//!    the provider's authorization URL;
//! 3. the provider redirects the popup to `/oauth`, which stores the credential, records it
//!    under the SDK's key and closes the popup;
//! 4. the SDK polls `GET /projects/{pid}/sdk/actions/session-id/{key}` for the credential id.
//!
//! The SDK puts the user token in the popup's URL. Containment: the page accepts the token only
//! from an allowed origin's SDK, removes it from the address bar at once, sends no referrer,
//! and exchanges it for a short-lived binding cookie (a MAC over project, user, integration and
//! expiry, `HttpOnly`, `SameSite=Lax`, path `/oauth`) that lets the callback finish without
//! asking the browser to confirm; the callback clears it. A callback without the binding (the
//! authorization URL was opened elsewhere) asks for confirmation as every API-started flow does.

use crate::error::ApiError;
use crate::html;
use crate::permissions::Caller;
use crate::state::{AppState, Shared};
use crate::store::{PendingOAuth, now_ms};
use aws_lc_rs::{digest, hmac};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::Duration;

/// The cookie binding an SDK popup flow to the browser that opened it.
const COOKIE: &str = "paragon_local_sdk_flow";

/// How long the popup has from loading the nonce page to the provider's callback, and how long
/// the SDK may take to collect the result.
const TTL: Duration = Duration::from_secs(10 * 60);

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NonceQuery {
    integration_id: String,
    origin_for_post_message: String,
    user_token: String,
}

/// `GET /projects/{pid}/sdk/actions/oauth-nonce`: the popup's first page.
pub(crate) async fn nonce_page(
    State(app): State<Shared>,
    Path(pid): Path<String>,
    Query(q): Query<NonceQuery>,
) -> Response {
    match binding_for(&app, &pid, &q) {
        Ok(cookie) => {
            let mut page = html::sdk_popup(&q.origin_for_post_message);
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                page.headers_mut().append(header::SET_COOKIE, v);
            }
            page
        }
        Err(e) => html::message(e.status(), "Connection failed", e.message(), None),
    }
}

/// Checks the token, the integration and the origin; returns the binding's `Set-Cookie`.
fn binding_for(app: &AppState, pid: &str, q: &NonceQuery) -> Result<String, ApiError> {
    let mut headers = HeaderMap::new();
    let bearer = HeaderValue::from_str(&format!("Bearer {}", q.user_token))
        .map_err(|_| ApiError::unauthorized("the userToken parameter is not a token"))?;
    headers.insert(header::AUTHORIZATION, bearer);
    let user = app.user(pid, &headers)?;
    // The SDK sends the integration's UUID here, as to build-oauth; a slug fails as on the cloud.
    let integration = app.integration_by_id(&q.integration_id)?;
    user.check(&integration.slug, None, crate::auth::Access::Write)?;
    if !app.origins.allows(&q.origin_for_post_message) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "origin_not_allowed",
            format!(
                "originForPostMessage {:?} is not an allowed origin of this server \
                 (--allowed-origin)",
                q.origin_for_post_message
            ),
        ));
    }
    let exp = now_ms() / 1000 + TTL.as_secs() as i64;
    let payload = B64.encode(
        json!({ "p": user.project_id, "u": user.user_id, "i": integration.slug, "exp": exp })
            .to_string(),
    );
    let mac = B64.encode(sign(app, payload.as_bytes()).as_ref());
    Ok(cookie(app, &format!("{payload}.{mac}"), TTL.as_secs()))
}

fn cookie(app: &AppState, value: &str, max_age: u64) -> String {
    let secure = if app.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{COOKIE}={value}; Path={}/oauth; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}",
        app.public_path
    )
}

fn sign(app: &AppState, data: &[u8]) -> hmac::Tag {
    let key = hmac::Key::new(hmac::HMAC_SHA256, &app.portal_key);
    hmac::sign(&key, &[b"sdk popup\0".as_slice(), data].concat())
}

/// Whether this browser loaded the nonce page for the flow's project, user and integration
/// within the last ten minutes (and the flow was started by the SDK).
pub(crate) fn bound(app: &AppState, headers: &HeaderMap, pending: &PendingOAuth) -> bool {
    if pending.sdk_session.is_none() {
        return false;
    }
    let key = hmac::Key::new(hmac::HMAC_SHA256, &app.portal_key);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .filter(|(k, _)| *k == COOKIE)
        .filter_map(|(_, v)| v.split_once('.'))
        .filter(|(payload, mac)| {
            B64.decode(mac).is_ok_and(|mac| {
                let data = [b"sdk popup\0".as_slice(), payload.as_bytes()].concat();
                hmac::verify(&key, &data, &mac).is_ok()
            })
        })
        .filter_map(|(payload, _)| B64.decode(payload).ok())
        .filter_map(|json| serde_json::from_slice::<Value>(&json).ok())
        .any(|b| {
            b["p"] == pending.project_id.as_str()
                && b["u"] == pending.user_id.as_str()
                && b["i"] == pending.integration.as_str()
                && b["exp"].as_i64().is_some_and(|exp| exp > now_ms() / 1000)
        })
}

/// The store key of the SDK's flow `key` for this user: a hash, so the SDK's short random key
/// is only ever looked up together with the user it belongs to.
fn session_hash(project_id: &str, user_id: &str, key: &str) -> String {
    let data = format!("sdk session\0{project_id}\0{user_id}\0{key}");
    B64.encode(digest::digest(&digest::SHA256, data.as_bytes()).as_ref())
}

/// After the callback stored `credential_id` for an SDK flow: record it for the SDK's poll and
/// answer with the page that closes the popup, clearing the binding (it served its one use).
pub(crate) async fn finish(
    app: &AppState,
    pending: &PendingOAuth,
    credential_id: &str,
) -> Response {
    let Some(key) = &pending.sdk_session else {
        return html::message(
            StatusCode::OK,
            "Connected",
            "The account is connected. You can close this window.",
            None,
        );
    };
    let hash = session_hash(&pending.project_id, &pending.user_id, key);
    if let Err(e) = app.store.put_sdk_session(&hash, credential_id, TTL).await {
        return ApiError::from(e).into_response();
    }
    let mut page = html::popup_done();
    if let Ok(v) = HeaderValue::from_str(&cookie(app, "", 0)) {
        page.headers_mut().append(header::SET_COOKIE, v);
    }
    page
}

/// The longest `oauthMetaKeyId` accepted (the SDK's are 11 characters).
const MAX_KEY: usize = 128;

/// Checks an `oauthMetaKeyId` given to `build-oauth`.
pub(crate) fn check_key(key: &str) -> Result<(), ApiError> {
    if key.is_empty()
        || key.len() > MAX_KEY
        || !key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(ApiError::bad_request(format!(
            "oauthMetaKeyId must be 1 to {MAX_KEY} letters, digits, `-` or `_`"
        )));
    }
    Ok(())
}

/// `GET /projects/{pid}/sdk/actions/session-id/{key}`: `{connectCredentialId}` once the flow
/// has stored its credential; 404 before.
pub(crate) async fn session(
    State(app): State<Shared>,
    Caller(user): Caller,
    Path((_pid, key)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let hash = session_hash(&user.project_id, &user.user_id, &key);
    match app.store.sdk_session(&hash).await? {
        Some(id) => Ok(Json(json!({ "connectCredentialId": id }))),
        None => Err(ApiError::not_found(
            "no finished OAuth flow with this key for this user (yet)",
        )),
    }
}

/// `DELETE /projects/{pid}/sdk/actions/session-id/{key}`: the SDK is done with the answer.
pub(crate) async fn forget(
    State(app): State<Shared>,
    Caller(user): Caller,
    Path((_pid, key)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let hash = session_hash(&user.project_id, &user.user_id, &key);
    app.store.delete_sdk_session(&hash).await?;
    Ok(Json(json!({ "success": true })))
}
