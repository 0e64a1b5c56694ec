//! The credential in the request body (`api.authorization` with `type = "body"`, or `body`
//! beside another type): its members merged into the request's JSON object, as Nango's
//! `proxy.body` does. The values are secrets: no message here ever carries them.

use crate::error::ApiError;
use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use paragon_manifest::BodyValue;
use serde_json::{Map, Value};

/// The body to send: `body` with `members` merged in (they win over the caller's members of
/// the same name), an object of `members` alone when `body` is empty, or `body` untouched for
/// a method without a body (`GET`, `HEAD`, `OPTIONS`) or without members. A body that is not a
/// JSON object cannot carry them: 400, saying why.
pub(crate) fn merge(
    method: &Method,
    headers: &mut HeaderMap,
    body: &Bytes,
    members: &[(String, BodyValue)],
) -> Result<Bytes, ApiError> {
    let carries_body = [Method::POST, Method::PUT, Method::PATCH, Method::DELETE].contains(method);
    if members.is_empty() || !carries_body {
        return Ok(body.clone());
    }
    let mut object = if body.trim_ascii().is_empty() {
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        Map::new()
    } else {
        caller_object(headers, body)?
    };
    for (name, value) in members {
        object.insert(name.clone(), json(value));
    }
    let bytes = serde_json::to_vec(&object)
        .map_err(|e| ApiError::bad_request(format!("the request body cannot be written: {e}")))?;
    Ok(Bytes::from(bytes))
}

/// The caller's body as a JSON object.
fn caller_object(headers: &HeaderMap, body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    const WHY: &str = "this integration sends its credential as members of a JSON object body";
    if let Some(ct) = headers.get(header::CONTENT_TYPE) {
        let essence = ct
            .to_str()
            .unwrap_or("")
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if essence != "application/json" && !essence.ends_with("+json") {
            return Err(ApiError::bad_request(format!(
                "{WHY}: a `{essence}` body cannot carry it; send JSON (`Content-Type: application/json`)"
            )));
        }
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(ApiError::bad_request(format!(
            "{WHY}: the request body is a JSON {}, not an object",
            kind(&other)
        ))),
        Err(e) => Err(ApiError::bad_request(format!(
            "{WHY}: the request body is not JSON ({e})"
        ))),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn json(value: &BodyValue) -> Value {
    match value {
        BodyValue::Text(s) => Value::String(s.expose().to_owned()),
        BodyValue::Object(members) => {
            Value::Object(members.iter().map(|(k, v)| (k.clone(), json(v))).collect())
        }
    }
}
