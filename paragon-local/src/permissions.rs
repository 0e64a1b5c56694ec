//! Who the caller is and what the token's permissions claim lets them do, decided before a
//! handler runs: the [`Caller`] extractor, and the proxy's guard (write methods need write
//! access; the default account is the first one the token may use).

use crate::auth::{Access, User};
use crate::error::ApiError;
use crate::state::Shared;
use crate::store::Status;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;

/// The verified caller of a call under `/projects/{pid}` (or `/v2/projects/{pid}`): the
/// bearer token checked against the project in the path. Every API handler authenticates by
/// taking one, so none can forget to.
#[derive(Clone)]
pub(crate) struct Caller(pub(crate) User);

impl FromRequestParts<Shared> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Shared) -> Result<Self, ApiError> {
        // Verified already in this request (the proxy's guard runs first).
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
        // Inside a nested router the URI has lost its `/projects/{pid}` prefix.
        let pid = parts
            .extensions
            .get::<axum::extract::OriginalUri>()
            .and_then(|u| project_of(u.0.path()))
            .or_else(|| project_of(parts.uri.path()))
            .ok_or_else(|| ApiError::not_found("no project id in the path"))?;
        app.user(&pid, &parts.headers).map(Caller)
    }
}

/// The `{pid}` of `/projects/{pid}/…` or `/v2/projects/{pid}/…`.
fn project_of(path: &str) -> Option<String> {
    let rest = path
        .strip_prefix("/projects/")
        .or_else(|| path.strip_prefix("/v2/projects/"))?;
    let pid = rest.split('/').next().filter(|p| !p.is_empty())?;
    Some(pid.to_string())
}

/// What a proxied call does to the provider: only methods that cannot change anything count
/// as reads, so a read-only token cannot POST, PUT, PATCH or DELETE through the proxy.
fn proxy_access(method: &Method) -> Access {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        Access::Read
    } else {
        Access::Write
    }
}

/// `/projects/{pid}/sdk/proxy/{integration | custom/{uuid}}/…` → the integration key.
fn proxy_target(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/projects/")?;
    let (_pid, rest) = rest.split_once('/')?;
    let rest = rest.strip_prefix("sdk/proxy/")?;
    let (first, rest) = rest.split_once('/').unwrap_or((rest, ""));
    let key = if first == "custom" {
        rest.split_once('/').map_or(rest, |(k, _)| k)
    } else {
        first
    };
    Some(key)
}

/// Runs before the proxy: checks the token's permissions for the method against the account
/// named by `X-Paragon-Credential`, or picks the default account among those the token may
/// use (the first valid one, else the first) and names it for the proxy. A token with no
/// permissions claim is left to the proxy unchanged.
pub(crate) async fn guard_proxy(
    State(app): State<Shared>,
    caller: Caller,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let path = request
        .extensions()
        .get::<axum::extract::OriginalUri>()
        .map_or_else(
            || request.uri().path().to_string(),
            |u| u.0.path().to_string(),
        );
    let Some(key) = proxy_target(&path) else {
        return Ok(next.run(request).await);
    };
    let user = caller.0.clone();
    request.extensions_mut().insert(caller);
    let integration = app.integration(key)?.clone();
    let access = proxy_access(request.method());
    let wanted = request
        .headers()
        .get("x-paragon-credential")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if wanted.is_some() || !user.has_permissions() {
        user.check(&integration.slug, wanted, access)?;
        return Ok(next.run(request).await);
    }
    let all = app
        .store
        .cached_credentials(&user.project_id, &user.user_id)
        .await?;
    let mine: Vec<_> = all
        .iter()
        .filter(|c| c.integration == integration.slug)
        .collect();
    let allowed: Vec<_> = mine
        .iter()
        .filter(|c| user.check(&c.integration, Some(&c.id), access).is_ok())
        .collect();
    let chosen = allowed
        .iter()
        .find(|c| c.status == Status::Valid)
        .or_else(|| allowed.first());
    match chosen {
        Some(c) => {
            let id = HeaderValue::from_str(&c.id)
                .map_err(|_| ApiError::internal("a credential id is not a header value"))?;
            request.headers_mut().insert("x-paragon-credential", id);
        }
        // Nothing connected: the proxy says so. Accounts exist but none may be used: refuse.
        None if mine.is_empty() => user.check(&integration.slug, None, access)?,
        None => {
            return Err(ApiError::forbidden(format!(
                "the user token's permissions allow none of this user's {} accounts",
                integration.slug
            )));
        }
    }
    Ok(next.run(request).await)
}
