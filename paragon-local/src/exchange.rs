//! Token exchange (`type = "token_exchange"` in the manifest): the end user's inputs are sent
//! to the provider's exchange URL, and the token found at the manifest's JSON pointer in the
//! answer becomes the credential's access token. The refresher calls this again when the
//! token expires or the API refuses it, exactly where an OAuth credential would be refreshed.
//! When the manifest reads a refresh token from the answer (`refresh_token_path`) and the
//! credential holds one, `[auth.refresh]` is sent with it instead; a refresh the provider
//! refuses is final, as in Nango, whose catalogue these manifests come from (the inputs are
//! not exchanged again behind the provider's back).

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, StatusCode, header};
use paragon_manifest::{ExchangeMethod, ExchangeRequest, Expiry, Secrets, TokenExchange};
use serde_json::Value;

use crate::integration::Integration;
use crate::oauth::{MAX_LIFETIME, TokenError, Tokens, expiry};
use crate::refresh::reach_of;
use crate::store::{Secret, now_ms};
use crate::upstream::Upstream;

/// Largest exchange answer read.
const MAX_ANSWER: usize = 256 * 1024;

/// Exchanges the credential's inputs for a token, or renews it with the stored refresh token;
/// `meta`, the user's metadata, for the request's `{user.*}` values.
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
    let (rendered, renewing) = render(te, secrets, integration, secret, meta)
        .map_err(|e| TokenError::Unavailable(format!("{}: {e}", integration.slug)))?;
    let (what, url) = if renewing {
        ("the token refresh", te.refresh_url_template())
    } else {
        ("the token exchange", te.url_template())
    };
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
        .send(request, MAX_ANSWER, reach_of(url))
        .await
        .map_err(|e| TokenError::Unavailable(format!("{what} failed: {e}")))?;
    match answer.status {
        s if s.is_success() => {
            let mut tokens = read_answer(te, &answer.body)?;
            tokens.captured = header_values(te, &answer.headers, secret)?;
            Ok(tokens)
        }
        // The provider refused these inputs or this refresh token: asking again will not help.
        s @ (StatusCode::BAD_REQUEST | StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) => {
            Err(TokenError::Rejected(format!("{what} answered {s}")))
        }
        s => Err(TokenError::Unavailable(format!("{what} answered {s}"))),
    }
}

/// The refresh request when the manifest has one and the credential holds a refresh token
/// (`true`), else the exchange request.
fn render(
    te: &TokenExchange,
    secrets: &(dyn Secrets + Sync),
    integration: &Integration,
    secret: &Secret,
    meta: Option<&Value>,
) -> Result<(ExchangeRequest, bool), paragon_manifest::RenderError> {
    let mut ctx = integration.context(secrets, secret, meta);
    if let Some(refresh_token) = &secret.refresh_token {
        ctx = ctx.credential("refresh_token", refresh_token.clone());
        if let Some(request) = te.refresh_request(&ctx)? {
            return Ok((request, true));
        }
    }
    Ok((te.request(&ctx)?, false))
}

/// The values `capture_headers` keeps from the answer's headers. A header a renewal's answer
/// leaves out keeps the value stored before (as Nango keeps the connection's); one the first
/// answer leaves out refuses it, since the API's templates need it.
fn header_values(
    te: &TokenExchange,
    headers: &http::HeaderMap,
    stored: &Secret,
) -> Result<BTreeMap<String, String>, TokenError> {
    let mut out = BTreeMap::new();
    for (name, header) in te.header_captures() {
        let texts = headers
            .get_all(header.as_str())
            .iter()
            .filter_map(|v| v.to_str().ok());
        let value = if header == "set-cookie" {
            // Each cookie's `name=value`, without its attributes, as a `Cookie` header sends them.
            let pairs: Vec<&str> = texts
                .filter_map(|c| c.split(';').next())
                .map(str::trim)
                .filter(|pair| pair.find('=').is_some_and(|at| at > 0))
                .collect();
            pairs.join("; ")
        } else {
            texts.map(str::to_owned).next().unwrap_or_default()
        };
        if value.is_empty() && stored.captured.contains_key(name) {
            continue;
        }
        if value.is_empty() {
            return Err(TokenError::Unavailable(format!(
                "the token exchange answer has no `{header}` header for `{{credential.{name}}}`"
            )));
        }
        out.insert(name.clone(), value);
    }
    Ok(out)
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
    let refresh_token = te
        .refresh_token_path()
        .and_then(|p| json.pointer(p))
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .map(str::to_owned);
    Ok(Tokens {
        access_token: token.to_owned(),
        refresh_token,
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
