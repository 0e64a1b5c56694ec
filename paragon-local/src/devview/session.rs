//! Who may open the developer view: the holder of the project's key, never an end user.
//!
//! The key holder mints a developer token ([`crate::ProjectKey::mint_developer`], an audience
//! no user token has) and exchanges it at `POST /projects/{pid}/dev/codes` for a single-use
//! sign-in code, stored hashed beside the portal's codes and as short-lived. Opening
//! `/dev/sign-in?code=…` spends the code and sets an HMAC-signed session cookie (`HttpOnly`,
//! `SameSite=Strict`, `Secure` behind https, path `/dev`, never outliving the token); the
//! browser is redirected to a URL without the code, so neither the key nor a reusable
//! credential ever sits in a URL. The replay form carries a CSRF token bound to the session.

use crate::error::ApiError;
use crate::html;
use crate::state::{AppState, Shared};
use crate::store::{PortalCode, Redeemed, now_ms};
use aws_lc_rs::{digest, hmac};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde_json::Value;

/// The session cookie's name.
const COOKIE: &str = "paragon_dev";
/// Longest a developer session lives (less if the token expires sooner).
const SESSION_SECS: i64 = 8 * 3600;
/// What a developer code's row holds in place of an integration: no slug has a `!`, so a
/// portal page never accepts it, and this view accepts no portal code.
const DEVELOPER: &str = "!developer";

/// A signed-in developer browser (the raw cookie value anchors its CSRF token).
pub(crate) struct Developer {
    value: String,
}

/// The `/dev` path under the public URL.
pub(crate) fn base(app: &AppState) -> String {
    format!("{}/dev", app.public_path)
}

fn code_hash(code: &str) -> String {
    B64.encode(digest::digest(&digest::SHA256, code.as_bytes()).as_ref())
}

fn mac(app: &AppState, purpose: &str, data: &[u8]) -> hmac::Tag {
    let mut message = format!("developer-{purpose}:").into_bytes();
    message.extend_from_slice(data);
    hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA256, &app.portal_key),
        &message,
    )
}

fn mac_ok(app: &AppState, purpose: &str, data: &[u8], given: &str) -> bool {
    let Ok(given) = B64.decode(given) else {
        return false;
    };
    let mut message = format!("developer-{purpose}:").into_bytes();
    message.extend_from_slice(data);
    hmac::verify(
        &hmac::Key::new(hmac::HMAC_SHA256, &app.portal_key),
        &message,
        &given,
    )
    .is_ok()
}

/// `POST /projects/{pid}/dev/codes` with `Authorization: Bearer <developer token>`:
/// `{"code", "url", "expiresAt"}`; the `url` signs a browser in once.
pub(crate) async fn mint_code(
    axum::extract::State(app): axum::extract::State<Shared>,
    axum::extract::Path(pid): axum::extract::Path<String>,
    headers: HeaderMap,
) -> Result<axum::Json<Value>, ApiError> {
    if pid != app.project_id {
        return Err(ApiError::not_found(format!(
            "unknown project {pid:?} (this server serves project {})",
            app.project_id
        )));
    }
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| {
            ApiError::unauthorized("expected `Authorization: Bearer <developer token>`")
        })?;
    let exp = app.key.verify_developer(token.trim(), &pid)?;
    let code = B64.encode(rand::random::<[u8; 32]>());
    let row = PortalCode {
        project_id: pid,
        user_id: String::new(),
        integration: DEVELOPER.to_owned(),
        permissions: None,
        session_exp: exp,
    };
    app.store
        .put_portal_code(&code_hash(&code), &row, app.portal_code_ttl)
        .await?;
    let expires = now_ms().saturating_add(app.portal_code_ttl.as_millis() as i64);
    Ok(axum::Json(serde_json::json!({
        "url": format!("{}/dev/sign-in?code={code}", app.public_url),
        "code": code,
        "expiresAt": crate::api::date(expires),
    })))
}

/// Spends a sign-in code: the `Set-Cookie` value of the new session, or why not.
pub(crate) async fn redeem(app: &AppState, code: &str) -> Result<String, &'static str> {
    let row = match app.store.take_portal_code(&code_hash(code)).await {
        Ok(Redeemed::Fresh(row)) => row,
        Ok(Redeemed::Expired) => return Err("This sign-in link has expired. Mint a new one."),
        Ok(Redeemed::Unknown) | Err(_) => {
            return Err("This sign-in link is unknown or was already used (each works once).");
        }
    };
    let now = now_ms() / 1000;
    if row.integration != DEVELOPER || row.project_id != app.project_id {
        return Err("This sign-in link is not for the developer view.");
    }
    if row.session_exp <= now {
        return Err("The developer token behind this link has expired. Mint a new one.");
    }
    let exp = row.session_exp.min(now + SESSION_SECS);
    let payload = B64.encode(serde_json::json!({ "p": row.project_id, "exp": exp }).to_string());
    let sig = B64.encode(mac(app, "session", payload.as_bytes()).as_ref());
    let secure = if app.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    Ok(format!(
        "{COOKIE}={payload}.{sig}; Path={}; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        base(app),
        exp - now
    ))
}

fn cookie_value(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_owned())
}

fn current(app: &AppState, headers: &HeaderMap) -> Option<Developer> {
    let value = cookie_value(headers)?;
    let (payload, sig) = value.split_once('.')?;
    if !mac_ok(app, "session", payload.as_bytes(), sig) {
        return None;
    }
    let json: Value = serde_json::from_slice(&B64.decode(payload).ok()?).ok()?;
    let fresh = json["exp"].as_i64()? >= now_ms() / 1000;
    (fresh && json["p"] == app.project_id.as_str()).then_some(Developer { value })
}

impl FromRequestParts<Shared> for Developer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &Shared) -> Result<Self, Response> {
        current(app, &parts.headers).ok_or_else(|| {
            html::message(
                StatusCode::UNAUTHORIZED,
                "Sign-in required",
                "The workflow view is for the project's key holder: mint a developer token \
                 with the project's key, exchange it at POST /projects/{project id}/dev/codes, \
                 and open the returned url (it works once).",
                None,
            )
            .into_response()
        })
    }
}

impl Developer {
    /// The CSRF token the session's forms carry.
    pub(crate) fn csrf_token(&self, app: &AppState) -> String {
        B64.encode(mac(app, "csrf", self.value.as_bytes()).as_ref())
    }

    /// Whether a form's CSRF token belongs to this session.
    pub(crate) fn csrf_ok(&self, app: &AppState, given: &str) -> bool {
        mac_ok(app, "csrf", self.value.as_bytes(), given)
    }
}
