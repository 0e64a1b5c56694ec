//! The proxy: `ANY /projects/{pid}/sdk/proxy/{integration}/{apiPath}`.
//!
//! Picks the caller's credential, renders the integration's base URL and authorization from
//! the manifest, sends the request with a timeout and size limits, renews the token once on a
//! provider 401, and answers `{"output": …}` (or the raw answer when asked).

use crate::error::ApiError;
use crate::integration::Integration;
use crate::permissions::Caller;
use crate::state::{AppState, Shared};
use crate::store::{Credential, Status};
use crate::upstream::{Answer, Reach, UpstreamError};
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use url::Url;

/// Headers that belong to one hop, or to Paragon, or that would leak the caller's context.
fn is_dropped_request_header(name: &HeaderName) -> bool {
    let n = name.as_str();
    matches!(
        n,
        "host"
            | "authorization"
            | "content-length"
            | "connection"
            | "keep-alive"
            | "proxy-authorization"
            | "proxy-connection"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
            | "cookie"
            | "accept-encoding"
    ) || n.starts_with("x-paragon-")
}

fn is_dropped_response_header(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "content-length"
            | "connection"
            | "keep-alive"
            | "transfer-encoding"
            | "trailer"
            | "upgrade"
            | "set-cookie"
            | "proxy-authenticate"
    )
}

/// The names a `Connection` header lists: hop-by-hop for this exchange only (RFC 9110 §7.6.1).
fn connection_listed(headers: &HeaderMap) -> Vec<HeaderName> {
    headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect()
}

/// Refuses, in the path part of `target` (before the first raw `?` or `#`, split before any
/// decoding, so an encoded `%3F` cannot end the path early), `..`/`.` segments (also
/// percent-encoded), backslashes and control characters. The query is the provider's
/// business: it is forwarded as sent.
pub(crate) fn check_path(target: &str) -> Result<(), ApiError> {
    let path = target.split(['?', '#']).next().unwrap_or("");
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    if decoded.chars().any(|c| c.is_control()) {
        return Err(ApiError::bad_request(
            "the API path contains a control character",
        ));
    }
    if decoded.contains('\\') {
        return Err(ApiError::bad_request("the API path contains a backslash"));
    }
    if decoded.split('/').any(|seg| seg == ".." || seg == ".") {
        return Err(ApiError::bad_request(
            "the API path contains a `.` or `..` segment (path traversal is refused)",
        ));
    }
    Ok(())
}

/// After joining: the final path must stay under the base URL's path, whatever the URL parser
/// did with the API path.
fn check_under_base(url: &Url, base: &Url) -> Result<(), ApiError> {
    let base_path = base.path().trim_end_matches('/');
    let path = url.path();
    let under = path == base_path
        || path
            .strip_prefix(base_path)
            .is_some_and(|rest| rest.starts_with('/'));
    if under {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "the API path leaves the integration's base path {base_path:?}"
        )))
    }
}

/// Replaces the query parameters named `names` in `url` (the manifest's query credential wins
/// over a caller's same-named parameter, as its header credentials do), keeping every other
/// parameter exactly as sent.
fn set_query_credentials(url: &mut Url, pairs: &[(String, paragon_manifest::Secret)]) {
    let kept: Vec<String> = url
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|piece| !piece.is_empty())
        .filter(|piece| {
            let raw_name = piece.split('=').next().unwrap_or("");
            let name = url::form_urlencoded::parse(raw_name.as_bytes())
                .next()
                .map(|(k, _)| k.into_owned())
                .unwrap_or_default();
            !pairs.iter().any(|(k, _)| *k == name)
        })
        .map(str::to_string)
        .collect();
    let mut query = kept.join("&");
    let mut added = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        added.append_pair(k, v.expose());
    }
    let added = added.finish();
    if !query.is_empty() {
        query.push('&');
    }
    query.push_str(&added);
    url.set_query(Some(&query));
}

/// Picks the credential: the one named by `X-Paragon-Credential`, else the user's first VALID
/// one for the integration (else its first one, to report why it is unusable).
pub(crate) async fn pick_credential(
    app: &AppState,
    user: &crate::auth::User,
    integration: &Integration,
    wanted: Option<&str>,
) -> Result<Credential, ApiError> {
    let all = app
        .store
        .cached_credentials(&user.project_id, &user.user_id)
        .await?;
    let mut mine = all.iter().filter(|c| c.integration == integration.slug);
    if let Some(id) = wanted {
        return mine.find(|c| c.id == id).cloned().ok_or_else(|| {
            ApiError::not_found(format!(
                "no credential {id:?} of this user for {}",
                integration.slug
            ))
        });
    }
    let mine: Vec<&Credential> = mine.collect();
    match mine.iter().find(|c| c.status == Status::Valid) {
        Some(c) => Ok((*c).clone()),
        None => match mine.first() {
            Some(c) => Err(crate::refresh::invalid_error(c)),
            None => Err(ApiError::not_enabled(&integration.slug)),
        },
    }
}

/// The official JavaScript SDK's `request()` sends `Content-Type: auto`, which Paragon replaces
/// before calling the provider: JSON for a body that is JSON, plain text for any other body,
/// nothing for no body. A provider never sees the literal `auto`.
fn resolve_auto_content_type(headers: &mut HeaderMap, body: &[u8]) {
    let auto = headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"auto"));
    if !auto {
        return;
    }
    headers.remove(header::CONTENT_TYPE);
    let kind = if body.is_empty() {
        return;
    } else if serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok() {
        "application/json"
    } else {
        "text/plain; charset=utf-8"
    };
    headers.insert(header::CONTENT_TYPE, http::HeaderValue::from_static(kind));
}

/// The request to send upstream, before authorization.
pub(crate) struct Outgoing {
    pub method: Method,
    /// A path (with optional query) under the base URL, or a full URL.
    pub target: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// Sends `out` with `c`'s authorization; on a 401 renews the token once and retries.
pub(crate) async fn send_authorized(
    app: &AppState,
    integration: &Integration,
    c: Credential,
    out: &Outgoing,
) -> Result<Answer, ApiError> {
    // The refresher's tasks outlive this call, so they hold the integration by `Arc`.
    let shared = app.integration(&integration.slug)?;
    let c = app.refresher.fresh(shared, c, None).await?;
    let answer = send_once(app, integration, &c, out).await?;
    let renewable = integration.manifest.auth().has_access_token();
    if answer.status == StatusCode::UNAUTHORIZED && renewable {
        let failed = c.secret.access_token.clone();
        let c2 = app.refresher.fresh(shared, c, failed.as_deref()).await?;
        if c2.secret.access_token != failed {
            return send_once(app, integration, &c2, out).await;
        }
    }
    Ok(answer)
}

async fn send_once(
    app: &AppState,
    integration: &Integration,
    c: &Credential,
    out: &Outgoing,
) -> Result<Answer, ApiError> {
    let meta = if integration.needs_user_meta {
        Some(app.store.user_meta(&c.project_id, &c.user_id).await?)
    } else {
        None
    };
    let (url, headers, reach, body) = prepare(app, integration, c, meta.as_ref(), out)?;
    let uri = http::Uri::try_from(url.as_str())
        .map_err(|e| ApiError::bad_request(format!("{}: unusable URL: {e}", integration.slug)))?;
    let mut request = http::Request::new(body);
    *request.method_mut() = out.method.clone();
    *request.uri_mut() = uri;
    *request.headers_mut() = headers;
    app.http
        .send(request, app.limits.max_response_body, reach)
        .await
        .map_err(|e| {
            if let UpstreamError::Refused(_) = e {
                return ApiError::host_not_allowed(format!("{}: {e}", integration.slug));
            }
            let status = match e {
                UpstreamError::Timeout(_) => StatusCode::GATEWAY_TIMEOUT,
                _ => StatusCode::BAD_GATEWAY,
            };
            ApiError::integration(status, format!("{}: {e}", integration.slug))
        })
}

/// Renders the target URL, headers and body (sync: the render context borrows non-`Sync`
/// data), and says who chose the URL's host: the base URL's host is as trusted as its
/// template; an `allowed_hosts` host is the manifest's own.
fn prepare(
    app: &AppState,
    integration: &Integration,
    c: &Credential,
    meta: Option<&Value>,
    out: &Outgoing,
) -> Result<(Url, HeaderMap, Reach, Bytes), ApiError> {
    let ctx = integration.credential_context(&app.secrets, c, meta);
    let manifest = &integration.manifest;
    let render = |e: paragon_manifest::RenderError| {
        ApiError::bad_request(format!("{}: {e}", integration.slug))
    };
    let mut reach = integration.base_reach;
    let mut url = if is_full_url(&out.target) {
        let base = manifest.base_url(&ctx).map_err(render)?;
        let url = Url::parse(&out.target)
            .map_err(|e| ApiError::bad_request(format!("the proxy URL is not a valid URL: {e}")))?;
        let same_origin = url.scheme() == base.scheme()
            && url.host_str() == base.host_str()
            && url.port_or_known_default() == base.port_or_known_default();
        if !same_origin {
            reach = Reach::Owner;
        }
        if !same_origin && !manifest.api().allows_url(&url) {
            return Err(ApiError::host_not_allowed(format!(
                "refusing to send {}'s credentials to {}: only the integration's own host {} \
                 and its manifest's `allowed_hosts` are allowed",
                integration.slug,
                url.host_str().unwrap_or("?"),
                base.host_str().unwrap_or("?")
            )));
        }
        // The parsed URL has its dot segments collapsed already: check the path as sent.
        let after_scheme = out.target.split_once("://").map_or("", |(_, rest)| rest);
        check_path(after_scheme.find('/').map_or("", |i| &after_scheme[i..]))?;
        url
    } else {
        check_path(&out.target)?;
        let url = manifest.endpoint_url(&ctx, &out.target).map_err(render)?;
        check_under_base(&url, &manifest.base_url(&ctx).map_err(render)?)?;
        url
    };
    let auth = manifest.authorization(&ctx).map_err(render)?;
    if !auth.query.is_empty() {
        set_query_credentials(&mut url, &auth.query);
    }
    let hop_by_hop = connection_listed(&out.headers);
    let mut headers = HeaderMap::with_capacity(out.headers.len() + 4);
    for (name, value) in &out.headers {
        if !is_dropped_request_header(name) && !hop_by_hop.contains(name) {
            headers.append(name.clone(), value.clone());
        }
    }
    let defaults = manifest.default_headers(&ctx).map_err(render)?;
    insert_manifest_headers(&mut headers, &defaults, &auth)?;
    let body = crate::body_credential::merge(&out.method, &mut headers, &out.body, &auth.body)?;
    Ok((url, headers, reach, body))
}

/// Sets the manifest's rendered default headers, then its authorization headers (which win),
/// on a request the server sends for the user.
pub(crate) fn insert_manifest_headers(
    headers: &mut HeaderMap,
    defaults: &[(String, String)],
    auth: &paragon_manifest::RenderedAuth,
) -> Result<(), ApiError> {
    let auth_headers = auth.headers.iter().map(|(k, v)| (k.as_str(), v.expose()));
    for (name, value) in defaults
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .chain(auth_headers)
    {
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
            ApiError::bad_request(format!("invalid header name {name:?} in the manifest"))
        })?;
        let value = HeaderValue::from_str(value).map_err(|_| {
            ApiError::bad_request(format!(
                "the manifest's header {name} rendered to an invalid value"
            ))
        })?;
        headers.insert(name, value);
    }
    Ok(())
}

fn is_full_url(target: &str) -> bool {
    let lower = target.get(..8).unwrap_or(target).to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

/// `{"output": <body>}`: the provider's JSON spliced in as is (validated, not re-encoded),
/// other text as a JSON string, an empty body as `null`.
pub(crate) fn envelope(body: &[u8]) -> Bytes {
    let trimmed = body.trim_ascii();
    if trimmed.is_empty() {
        return Bytes::from_static(b"{\"output\":null}");
    }
    let mut out = Vec::with_capacity(body.len() + 12);
    out.extend_from_slice(b"{\"output\":");
    if serde_json::from_slice::<serde::de::IgnoredAny>(trimmed).is_ok() {
        out.extend_from_slice(trimmed);
    } else {
        let text = Value::String(String::from_utf8_lossy(body).into_owned()).to_string();
        out.extend_from_slice(text.as_bytes());
    }
    out.push(b'}');
    Bytes::from(out)
}

/// The axum handler for every proxy route.
pub(crate) async fn handle(
    State(app): State<Shared>,
    Caller(user): Caller,
    request: Request,
) -> Response {
    match proxy(&app, &user, request).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn proxy(
    app: &AppState,
    user: &crate::auth::User,
    request: Request,
) -> Result<Response, ApiError> {
    let (parts, body) = request.into_parts();
    // /projects/{pid}/sdk/proxy/{integration}[/{apiPath}] — parsed by hand to keep the API
    // path exactly as sent (percent-encoding included).
    let original = parts
        .extensions
        .get::<axum::extract::OriginalUri>()
        .map(|u| u.0.clone());
    let uri = original.as_ref().unwrap_or(&parts.uri);
    let path = uri.path();
    let rest = path
        .strip_prefix("/projects/")
        .ok_or_else(|| ApiError::not_found("not a proxy path"))?;
    let (_pid, rest) = rest
        .split_once('/')
        .ok_or_else(|| ApiError::not_found("not a proxy path"))?;
    let rest = rest
        .strip_prefix("sdk/proxy/")
        .ok_or_else(|| ApiError::not_found("not a proxy path"))?;
    let (first, rest) = rest.split_once('/').unwrap_or((rest, ""));
    // `/sdk/proxy/custom/{integrationUuid}/{apiPath}` is the docs' other form.
    let (integration_key, api_path) = if first == "custom" {
        rest.split_once('/').unwrap_or((rest, ""))
    } else {
        (first, rest)
    };
    let integration = app.integration(integration_key)?.clone();
    let wanted = header_str(&parts.headers, "x-paragon-credential")?;
    user.check(&integration.slug, wanted, crate::auth::Access::Read)?;
    let raw = header_str(&parts.headers, "x-paragon-use-raw-response")?
        .is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true"));
    let target = match header_str(&parts.headers, "x-paragon-proxy-url")? {
        Some(url) => url.to_string(),
        None => {
            let mut t = format!("/{api_path}");
            if let Some(q) = uri.query() {
                t.push('?');
                t.push_str(q);
            }
            t
        }
    };
    let credential = pick_credential(app, user, &integration, wanted).await?;
    let body = axum::body::to_bytes(body, app.limits.max_request_body)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!(
                    "the request body is larger than {} bytes",
                    app.limits.max_request_body
                ),
            )
        })?;
    let mut headers = parts.headers;
    resolve_auto_content_type(&mut headers, &body);
    let out = Outgoing {
        method: parts.method,
        target,
        headers,
        body,
    };
    let answer = send_authorized(app, &integration, credential, &out).await?;
    if raw {
        let mut response = Response::new(Body::from(answer.body));
        *response.status_mut() = answer.status;
        let hop_by_hop = connection_listed(&answer.headers);
        for (name, value) in &answer.headers {
            if !is_dropped_response_header(name) && !hop_by_hop.contains(name) {
                response.headers_mut().append(name.clone(), value.clone());
            }
        }
        return Ok(response);
    }
    let mut response = Response::new(Body::from(envelope(&answer.body)));
    *response.status_mut() = answer.status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some(v) = answer.headers.get(header::RETRY_AFTER) {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, v.clone());
    }
    // A redirect is the caller's to follow (or not): without its target it is useless.
    if answer.status.is_redirection()
        && let Some(v) = answer.headers.get(header::LOCATION)
    {
        response.headers_mut().insert(header::LOCATION, v.clone());
    }
    Ok(response)
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, ApiError> {
    match headers.get(name) {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .map(|s| Some(s.trim()).filter(|s| !s.is_empty()))
            .map_err(|_| ApiError::bad_request(format!("the header {name} is not ASCII"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traversal_is_refused() {
        assert!(check_path("/tasks/1").is_ok());
        assert!(check_path("/tasks?q=a/../b").is_ok());
        assert!(check_path("/tasks?q=a%0Ab").is_ok());
        assert!(check_path("/x%3F/../../oauth/authorize").is_err());
        for bad in [
            "/../admin",
            "/a/%2e%2e/b",
            "/a/%2E%2E",
            "/a\\b",
            "/a%0d%0aX: y",
            "/./x",
        ] {
            assert!(check_path(bad).is_err(), "{bad}");
        }
    }
}
