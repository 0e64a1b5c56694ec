//! Executing one step: the requests (through the proxy's own credential path), functions and
//! conditions. Control flow (branches, fan-out, delays, retries) lives in `engine`.

use super::js;
use super::render::{Scope, at_path};
use crate::auth::User;
use crate::proxy::{Outgoing, pick_credential, send_authorized};
use crate::state::Shared;
use crate::upstream::Reach;
use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method};
use paragon_manifest::workflow::{Condition, HttpCall, Operator, Pagination};
use serde_json::{Value, json};

/// Who the step runs for and its stable idempotency key.
pub(crate) struct StepCtx<'a> {
    pub app: &'a Shared,
    pub project_id: &'a str,
    pub user_id: &'a str,
    pub idempotency_key: &'a str,
}

/// What a call renders to, before the integration's base URL and authorization.
struct Rendered {
    method: Method,
    target: String,
    query: Vec<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
}

fn render_call(
    call: &HttpCall,
    scope: &Scope<'_>,
    idempotency_key: &str,
) -> Result<Rendered, String> {
    let method = Method::from_bytes(call.method.as_bytes()).map_err(|e| format!("method: {e}"))?;
    let target = scope.text(&call.url)?;
    let mut query = Vec::new();
    for (k, t) in &call.query {
        query.push((k.clone(), scope.text(t)?));
    }
    let mut headers = HeaderMap::new();
    for (k, t) in &call.headers {
        let name = HeaderName::from_bytes(k.as_bytes()).map_err(|e| format!("header {k}: {e}"))?;
        let value = HeaderValue::from_str(&scope.text(t)?)
            .map_err(|_| format!("header {k} rendered to an invalid value"))?;
        headers.insert(name, value);
    }
    if let Ok(v) = HeaderValue::from_str(idempotency_key) {
        headers.insert("idempotency-key", v);
    }
    let body = match &call.body {
        Some(b) => {
            headers.insert(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            Bytes::from(scope.value(b)?.to_string())
        }
        None => Bytes::new(),
    };
    Ok(Rendered {
        method,
        target,
        query,
        headers,
        body,
    })
}

fn with_query(target: &str, query: &[(String, String)]) -> String {
    if query.is_empty() {
        return target.to_owned();
    }
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in query {
        s.append_pair(k, v);
    }
    let sep = if target.contains('?') { '&' } else { '?' };
    format!("{target}{sep}{}", s.finish())
}

/// What the history shows of a request: never headers (they may carry secrets).
pub(crate) fn call_input(call: &HttpCall, scope: &Scope<'_>) -> Value {
    let r = render_call(call, scope, "");
    match r {
        Ok(r) => json!({
            "method": r.method.as_str(),
            "url": r.target,
            "query": r.query.into_iter().map(|(k, v)| (k, Value::String(v))).collect::<serde_json::Map<String, Value>>(),
            "body": serde_json::from_slice::<Value>(&r.body).unwrap_or(Value::Null),
        }),
        Err(e) => json!({ "error": e }),
    }
}

fn body_json(body: &[u8]) -> Value {
    if body.trim_ascii().is_empty() {
        return Value::Null;
    }
    serde_json::from_slice(body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()))
}

fn failure(who: &str, status: http::StatusCode, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text: String = text.chars().take(300).collect();
    format!("{who} answered {status}: {text}")
}

/// Notes the credential's secrets (tokens, secret inputs) for redaction: a provider may echo
/// them back, and the history must not keep them.
fn note_credential(
    scope: &Scope<'_>,
    integration: &crate::integration::Integration,
    c: &crate::store::Credential,
) {
    for token in [&c.secret.access_token, &c.secret.refresh_token]
        .into_iter()
        .flatten()
    {
        scope.note_secret(token);
    }
    for field in integration.manifest.inputs().iter().filter(|f| f.secret()) {
        if let Some(v) = c.secret.inputs.get(field.key()) {
            scope.note_secret(v);
        }
    }
}

/// An Integration Request: the user's credential for `slug`, applied exactly as the proxy does
/// (refresh ahead of expiry, one renewal after a 401), following pagination when asked.
pub(crate) async fn integration_request(
    c: &StepCtx<'_>,
    slug: &str,
    call: &HttpCall,
    pagination: Option<&Pagination>,
    scope: &Scope<'_>,
) -> Result<Value, String> {
    let app = c.app;
    let integration = app
        .integration(slug)
        .map_err(|e| e.message().to_owned())?
        .clone();
    let user = User::for_workflow(c.project_id, c.user_id);
    let r = render_call(call, scope, c.idempotency_key)?;
    let mut items = Vec::new();
    let mut token: Option<String> = None;
    let max_pages = pagination.map_or(1, |p| p.max_pages);
    for page in 1..=max_pages {
        let credential = pick_credential(app, &user, &integration, None)
            .await
            .map_err(|e| format!("{slug}: {}", e.message()))?;
        note_credential(scope, &integration, &credential);
        let mut query = r.query.clone();
        if let (Some(p), Some(t)) = (pagination, &token) {
            query.push((p.param.clone(), t.clone()));
        }
        let out = Outgoing {
            method: r.method.clone(),
            target: with_query(&r.target, &query),
            headers: r.headers.clone(),
            body: r.body.clone(),
        };
        let answer = send_authorized(app, &integration, credential, &out)
            .await
            .map_err(|e| e.message().to_owned())?;
        // A refresh during the call stored a new token: redact that one too.
        if let Ok(now) = pick_credential(app, &user, &integration, None).await {
            note_credential(scope, &integration, &now);
        }
        if !answer.status.is_success() {
            return Err(failure(slug, answer.status, &answer.body));
        }
        let body = body_json(&answer.body);
        let Some(p) = pagination else {
            return Ok(json!({ "status": answer.status.as_u16(), "body": body }));
        };
        match at_path(&body, &p.items) {
            Some(Value::Array(page_items)) => items.extend(page_items.iter().cloned()),
            _ => return Err(format!("{slug}: page {page} has no array at `{}`", p.items)),
        }
        token = match at_path(&body, &p.next) {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => {
                return Ok(
                    json!({ "status": answer.status.as_u16(), "body": items, "pages": page }),
                );
            }
        };
    }
    Ok(json!({ "status": 200, "body": items, "pages": max_pages }))
}

/// Who chose the host of a plain Request's URL: the definition's author when the scheme and
/// host are written out (or come from `{env.*}`), anyone otherwise. A host rendered from the
/// trigger's body, a step's output, settings or user metadata may only reach public addresses,
/// as the proxy treats hosts from end-user inputs.
fn reach(url_template: &str) -> Reach {
    if url_template.starts_with("{env.") {
        return Reach::Owner;
    }
    let Some((_, rest)) = url_template.split_once("://") else {
        return Reach::Public;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let mut placeholders = authority.split('{').skip(1);
    if placeholders.all(|p| p.starts_with("env.")) {
        Reach::Owner
    } else {
        Reach::Public
    }
}

/// A plain Request: no credential, the upstream client's timeout and size limit.
pub(crate) async fn request(
    c: &StepCtx<'_>,
    call: &HttpCall,
    scope: &Scope<'_>,
) -> Result<Value, String> {
    let r = render_call(call, scope, c.idempotency_key)?;
    let url = with_query(&r.target, &r.query);
    let parsed = url::Url::parse(&url).map_err(|e| format!("`{url}` is not a URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!(
            "`{url}`: only http and https URLs can be requested"
        ));
    }
    let uri = http::Uri::try_from(parsed.as_str()).map_err(|e| format!("`{url}`: {e}"))?;
    let mut request = http::Request::new(r.body);
    *request.method_mut() = r.method;
    *request.uri_mut() = uri;
    *request.headers_mut() = r.headers;
    let answer = c
        .app
        .http
        .send(
            request,
            c.app.limits.max_response_body,
            reach(call.url.as_str()),
        )
        .await
        .map_err(|e| format!("{}: {e}", parsed.host_str().unwrap_or("?")))?;
    if !answer.status.is_success() {
        return Err(failure(
            parsed.host_str().unwrap_or("?"),
            answer.status,
            &answer.body,
        ));
    }
    Ok(json!({ "status": answer.status.as_u16(), "body": body_json(&answer.body) }))
}

/// A JavaScript function, off the async threads.
pub(crate) async fn function(
    code: &str,
    parameters: Value,
    limits: js::JsLimits,
) -> Result<Value, String> {
    let code = code.to_owned();
    tokio::task::spawn_blocking(move || js::run(&code, &parameters, limits))
        .await
        .map_err(|e| format!("the function's thread failed: {e}"))?
}

/// OR of ANDs.
pub(crate) fn conditions(groups: &[Vec<Condition>], scope: &Scope<'_>) -> Result<bool, String> {
    for group in groups {
        let mut all = true;
        for c in group {
            if !condition(c, scope)? {
                all = false;
                break;
            }
        }
        if all {
            return Ok(true);
        }
    }
    Ok(false)
}

fn condition(c: &Condition, scope: &Scope<'_>) -> Result<bool, String> {
    // A missing left-hand value is `null` here: `exists` is how a workflow asks about it.
    let left = scope.value(&c.left).unwrap_or(Value::Null);
    let right = c
        .right
        .as_ref()
        .map(|r| scope.value(r))
        .transpose()?
        .unwrap_or(Value::Null);
    let num = |v: &Value| {
        v.as_f64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
    };
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    Ok(match c.op {
        Operator::Equals => left == right || text(&left) == text(&right),
        Operator::NotEquals => !(left == right || text(&left) == text(&right)),
        Operator::Contains | Operator::NotContains => {
            let has = match &left {
                Value::Array(a) => a.contains(&right) || a.iter().any(|x| text(x) == text(&right)),
                other => text(other).contains(&text(&right)),
            };
            has == (c.op == Operator::Contains)
        }
        Operator::GreaterThan => matches!((num(&left), num(&right)), (Some(a), Some(b)) if a > b),
        Operator::LessThan => matches!((num(&left), num(&right)), (Some(a), Some(b)) if a < b),
        Operator::Exists => !left.is_null(),
        Operator::DoesNotExist => left.is_null(),
        Operator::IsTrue => left == Value::Bool(true) || left == "true",
        Operator::IsFalse => left == Value::Bool(false) || left == "false",
        _ => false,
    })
}
