//! Who a Connect Portal browser is signed in as: single-use sign-in codes and the session
//! cookie they are exchanged for.
//!
//! A code is minted by an API call made with the user's token (`POST
//! /projects/{pid}/sdk/portal/codes`, a local-server extension), so the full user token never
//! travels in a URL. A code is 256 random bits, kept only as its SHA-256, lives two minutes by
//! default and works once; redeeming it sets a session cookie (HMAC-signed, `HttpOnly`,
//! `SameSite=Lax`, `Secure` behind an https public URL, scoped to the integration's page) and
//! every form carries a CSRF token bound to that session. Sessions carry the permissions claim
//! of the token that minted the code, and never outlive that token.
//!
//! The portal framed by the JavaScript SDK ([`crate::portal_frame`]) gets no cookie in a
//! third-party frame: its requests carry the user token as `Authorization: Bearer`, which
//! signs them in by itself (see [`current`]).

use crate::auth::{Access, User};
use crate::error::ApiError;
use crate::integration::Integration;
use crate::state::AppState;
use crate::store::{PortalCode, Redeemed, now_ms};
use aws_lc_rs::{digest, hmac};
use axum::http::{HeaderMap, header};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde_json::Value;
use std::time::Duration;

/// The session cookie's name.
const COOKIE: &str = "paragon_portal";
/// Longest a portal session lives (less if the minting token expires sooner).
const SESSION_SECS: i64 = 3600;
/// How long a sign-in code is valid by default: long enough to open a link just handed out,
/// short enough that a leaked one (logs, history) is useless soon after.
pub(crate) const DEFAULT_CODE_TTL: Duration = Duration::from_secs(120);

/// A signed-in portal browser: the user and the raw session value (the CSRF tokens' anchor).
pub(crate) struct Session {
    pub user: User,
    value: String,
}

/// A freshly minted code and the portal link that redeems it.
pub(crate) struct MintedCode {
    pub code: String,
    pub url: String,
    pub expires_at_ms: i64,
}

/// Why a code did not sign the browser in.
pub(crate) enum SignInError {
    Expired,
    Unknown,
    OtherIntegration,
    Store(ApiError),
}

impl SignInError {
    /// What the error page says.
    pub(crate) fn message(&self) -> &str {
        match self {
            SignInError::Expired => {
                "This sign-in link has expired (links last two minutes). Ask the app for a new one."
            }
            SignInError::Unknown => {
                "This sign-in link is unknown or was already used (each link works once). Ask \
                 the app for a new one."
            }
            SignInError::OtherIntegration => {
                "This sign-in link was made for another integration's page."
            }
            SignInError::Store(e) => e.message(),
        }
    }
}

fn code_hash(code: &str) -> String {
    B64.encode(digest::digest(&digest::SHA256, code.as_bytes()).as_ref())
}

/// The portal page of an integration, as a path under the public URL (which may carry a
/// path prefix when the server sits behind a reverse proxy).
pub(crate) fn page_path(app: &AppState, integration: &Integration) -> String {
    format!("{}/connect/{}", app.public_path, integration.slug)
}

/// Mints a code that signs a browser in as `user` on `integration`'s portal page.
pub(crate) async fn mint_code(
    app: &AppState,
    user: &User,
    integration: &Integration,
) -> Result<MintedCode, ApiError> {
    user.check(&integration.slug, None, Access::Write)?;
    let code = B64.encode(rand::random::<[u8; 32]>());
    let row = PortalCode {
        project_id: user.project_id.clone(),
        user_id: user.user_id.clone(),
        integration: integration.slug.clone(),
        permissions: user.permissions().cloned(),
        session_exp: user.exp,
    };
    app.store
        .put_portal_code(&code_hash(&code), &row, app.portal_code_ttl)
        .await?;
    let url = format!(
        "{}/connect/{}?code={code}",
        app.public_url, integration.slug
    );
    Ok(MintedCode {
        code,
        url,
        expires_at_ms: now_ms().saturating_add(app.portal_code_ttl.as_millis() as i64),
    })
}

/// Redeems a code on `integration`'s page: the `Set-Cookie` value of the new session.
pub(crate) async fn redeem(
    app: &AppState,
    code: &str,
    integration: &Integration,
) -> Result<String, SignInError> {
    let row = match app.store.take_portal_code(&code_hash(code)).await {
        Ok(Redeemed::Fresh(row)) => row,
        Ok(Redeemed::Expired) => return Err(SignInError::Expired),
        Ok(Redeemed::Unknown) => return Err(SignInError::Unknown),
        Err(e) => return Err(SignInError::Store(e.into())),
    };
    if row.project_id != app.project_id {
        return Err(SignInError::Unknown);
    }
    if row.integration != integration.slug {
        return Err(SignInError::OtherIntegration);
    }
    let now = now_ms() / 1000;
    if row.session_exp <= now {
        // The token that minted the code has expired since: so has what it allowed.
        return Err(SignInError::Expired);
    }
    let exp = row.session_exp.min(now + SESSION_SECS);
    let payload = serde_json::json!({
        "p": row.project_id,
        "u": row.user_id,
        "i": row.integration,
        "exp": exp,
        "perm": row.permissions,
    });
    let payload = B64.encode(payload.to_string());
    let sig = B64.encode(sign(app, payload.as_bytes()).as_ref());
    let secure = if app.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let max_age = exp - now;
    Ok(format!(
        "{COOKIE}={payload}.{sig}; Path={}; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}",
        page_path(app, integration)
    ))
}

fn sign(app: &AppState, data: &[u8]) -> hmac::Tag {
    hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &app.portal_key), data)
}

fn verify_sig(app: &AppState, data: &[u8], sig: &[u8]) -> bool {
    hmac::verify(
        &hmac::Key::new(hmac::HMAC_SHA256, &app.portal_key),
        data,
        sig,
    )
    .is_ok()
}

fn cookie_value(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_string())
}

/// The browser's session, if its cookie is authentic, unexpired and for this integration.
/// A request with `Authorization: Bearer <user token>` (the framed portal's, see
/// [`crate::portal_frame`]) is signed in by that token alone, never by a cookie as well.
pub(crate) fn current(app: &AppState, headers: &HeaderMap, integration: &str) -> Option<Session> {
    if headers.contains_key(header::AUTHORIZATION) {
        return bearer(app, headers, integration);
    }
    let value = cookie_value(headers)?;
    let (payload, sig) = value.split_once('.')?;
    if !verify_sig(app, payload.as_bytes(), &B64.decode(sig).ok()?) {
        return None;
    }
    let json: Value = serde_json::from_slice(&B64.decode(payload).ok()?).ok()?;
    let exp = json["exp"].as_i64()?;
    if exp < now_ms() / 1000 || json["p"] != app.project_id.as_str() || json["i"] != integration {
        return None;
    }
    let permissions = match &json["perm"] {
        Value::Null => None,
        Value::Object(map) => Some(map.clone()),
        _ => return None,
    };
    let user = User::from_session(
        app.project_id.clone(),
        json["u"].as_str()?.to_string(),
        exp,
        permissions,
    );
    Some(Session { user, value })
}

/// The session of a bearer-token request on `integration`'s page: the token's user, and a CSRF anchor derived from
/// the token's hash (a bearer header cannot be forged cross-site, so the anchor only keeps the
/// portal's forms uniform).
fn bearer(app: &AppState, headers: &HeaderMap, integration: &str) -> Option<Session> {
    let user = app.user(&app.project_id, headers).ok()?;
    // As for a sign-in code: only a token that may change this integration opens its page.
    user.check(integration, None, Access::Write).ok()?;
    let token = headers.get(header::AUTHORIZATION)?.as_bytes();
    let value = format!(
        "bearer:{}",
        B64.encode(digest::digest(&digest::SHA256, token).as_ref())
    );
    Some(Session { user, value })
}

impl Session {
    /// The CSRF token every form of this session carries.
    pub(crate) fn csrf_token(&self, app: &AppState) -> String {
        B64.encode(sign(app, &self.csrf_message()).as_ref())
    }

    /// Whether a form's CSRF token belongs to this session.
    pub(crate) fn csrf_ok(&self, app: &AppState, given: &str) -> bool {
        B64.decode(given)
            .is_ok_and(|g| verify_sig(app, &self.csrf_message(), &g))
    }

    fn csrf_message(&self) -> Vec<u8> {
        let mut data = b"csrf:".to_vec();
        data.extend_from_slice(self.value.as_bytes());
        data
    }
}
