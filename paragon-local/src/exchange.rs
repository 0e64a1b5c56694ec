//! Token exchange (`type = "token_exchange"` in the manifest): the end user's inputs are sent
//! to the provider's exchange URL, and the token found at the manifest's JSON pointer in the
//! answer becomes the credential's access token. The refresher calls this again when the
//! token expires or the API refuses it, exactly where an OAuth credential would be refreshed.

use std::time::Duration;

use bytes::Bytes;
use http::{Request, StatusCode, header};
use paragon_manifest::{ExchangeMethod, Expiry, Secrets, TokenExchange};
use serde_json::Value;

use crate::integration::Integration;
use crate::oauth::{MAX_LIFETIME, TokenError, Tokens, expiry};
use crate::refresh::reach_of;
use crate::store::{Secret, now_ms};
use crate::upstream::Upstream;

/// Largest exchange answer read.
const MAX_ANSWER: usize = 256 * 1024;

/// Exchanges the credential's inputs for a token; `meta`, the user's metadata, for the
/// request's `{user.*}` values.
pub(crate) async fn exchange(
    http: &Upstream,
    secrets: &(dyn Secrets + Sync),
    integration: &Integration,
    secret: &Secret,
    meta: Option<&Value>,
) -> Result<Tokens, TokenError> {
    let Some(te) = integration.manifest.auth().token_exchange() else {
        return Err(TokenError::Unavailable(format!(
            "{} does not use a token exchange",
            integration.slug
        )));
    };
    // The context borrows the secrets without `Send`: it ends before the request is awaited.
    let rendered = te
        .request(&integration.context(secrets, secret, meta))
        .map_err(|e| TokenError::Unavailable(format!("{}: {e}", integration.slug)))?;
    let mut builder = Request::builder()
        .method(match rendered.method {
            ExchangeMethod::Get => http::Method::GET,
            _ => http::Method::POST,
        })
        .uri(rendered.url.as_str())
        .header(header::ACCEPT, "application/json");
    for (name, value) in &rendered.headers {
        builder = builder.header(name.as_str(), value.expose());
    }
    let body = match rendered.body {
        Some((content_type, body)) => {
            builder = builder.header(header::CONTENT_TYPE, content_type);
            Bytes::from(body.into_exposed())
        }
        None => Bytes::new(),
    };
    let request = builder
        .body(body)
        .map_err(|e| TokenError::Unavailable(format!("the exchange request is invalid: {e}")))?;
    let answer = http
        .send(request, MAX_ANSWER, reach_of(te.url_template()))
        .await
        .map_err(|e| TokenError::Unavailable(format!("the token exchange failed: {e}")))?;
    match answer.status {
        s if s.is_success() => read_answer(te, &answer.body),
        // The provider refused these inputs: exchanging them again will not help.
        s @ (StatusCode::BAD_REQUEST | StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) => Err(
            TokenError::Rejected(format!("the token exchange answered {s}")),
        ),
        s => Err(TokenError::Unavailable(format!(
            "the token exchange answered {s}"
        ))),
    }
}

/// The token and its expiry, read at the manifest's JSON pointers.
fn read_answer(te: &TokenExchange, body: &[u8]) -> Result<Tokens, TokenError> {
    let json: Value = serde_json::from_slice(body).map_err(|e| {
        TokenError::Unavailable(format!("the token exchange answer is not JSON: {e}"))
    })?;
    let token = json
        .pointer(te.token_path())
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            TokenError::Unavailable(format!(
                "the token exchange answer has no token at `{}`",
                te.token_path()
            ))
        })?;
    Ok(Tokens {
        access_token: token.to_owned(),
        refresh_token: None,
        expires_at: expires_at(te.expiry(), &json)?,
        captured: Default::default(),
        extra: json,
    })
}

fn expires_at(rule: &Expiry, json: &Value) -> Result<Option<i64>, TokenError> {
    let at = |pointer: &str| {
        json.pointer(pointer).ok_or_else(|| {
            TokenError::Unavailable(format!(
                "the token exchange answer has no expiry at `{pointer}`"
            ))
        })
    };
    let unreadable = |pointer: &str| {
        TokenError::Unavailable(format!(
            "the expiry at `{pointer}` of the token exchange answer is not a time"
        ))
    };
    Ok(match rule {
        Expiry::Unknown => None,
        Expiry::Lifetime(secs) => Some(expiry(Duration::from_secs(*secs))),
        Expiry::InPath(p) => {
            let secs = seconds(at(p)?).ok_or_else(|| unreadable(p))?;
            Some(expiry(Duration::from_secs(secs.max(0) as u64)))
        }
        Expiry::AtPath(p) => {
            let value = at(p)?;
            let ms = match seconds(value) {
                Some(secs) => secs.saturating_mul(1000),
                None => value
                    .as_str()
                    .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
                    .map(|t| t.timestamp_millis())
                    .ok_or_else(|| unreadable(p))?,
            };
            let longest = now_ms().saturating_add(MAX_LIFETIME.as_millis() as i64);
            Some(ms.min(longest))
        }
    })
}

/// A whole number of seconds, written as a JSON number or a string of digits.
fn seconds(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}
