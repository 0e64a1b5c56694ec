//! An integration's tools for AI agents (ActionKit and MCP): generated once from its manifest
//! and spec by `paragon_codegen::ToolGenerator`, each with a compiled JSON Schema validator;
//! a call's parameters checked before any request leaves, then turned into the provider
//! request that the proxy path sends with the user's credential.

use crate::error::ApiError;
use crate::proxy::Outgoing;
use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use paragon_codegen::{Location, Tool, ToolGenerator, ToolSet};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;

/// What RFC 3986 leaves unescaped in a path segment or a query value: unreserved characters.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// How much of a validation message is echoed (a value can be large).
const MAX_MESSAGE_CHARS: usize = 300;

/// One integration's tools and their validators (same order).
pub(crate) struct ServedTools {
    pub set: ToolSet,
    validators: Vec<jsonschema::Validator>,
}

impl std::fmt::Debug for ServedTools {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServedTools")
            .field("integration", &self.set.integration)
            .field("tools", &self.set.tools.len())
            .finish()
    }
}

impl ServedTools {
    /// Generates the tools of `manifest` from `document` (a derived integration's declared
    /// endpoints) or its spec file (none without either); a tool whose schema a validator
    /// cannot compile is left out, like one codegen could not express.
    pub(crate) fn generate(
        manifest: &paragon_manifest::Manifest,
        document: Option<&Value>,
    ) -> Result<Self, String> {
        if document.is_none() && manifest.spec_path().is_none() {
            return Ok(ServedTools {
                set: ToolSet {
                    integration: manifest.slug(),
                    tools: Vec::new(),
                    operations: 0,
                    warnings: Vec::new(),
                },
                validators: Vec::new(),
            });
        }
        let generator = match document {
            Some(doc) => ToolGenerator::for_document(manifest.clone(), doc.clone()),
            None => ToolGenerator::for_manifest(manifest.clone()),
        };
        let mut set = generator.generate().map_err(|e| e.to_string())?;
        for w in &set.warnings {
            tracing::warn!(integration = %set.integration, "tools: {}", w.message);
        }
        let mut validators = Vec::with_capacity(set.tools.len());
        set.tools.retain(|tool| {
            match jsonschema::draft202012::new(&tool.parameters) {
                Ok(v) => {
                    validators.push(v);
                    true
                }
                Err(e) => {
                    tracing::warn!(tool = %tool.name, "tools: left out, its schema does not compile: {e}");
                    false
                }
            }
        });
        Ok(ServedTools { set, validators })
    }

    /// The tool named `name` and its validator.
    pub(crate) fn find(&self, name: &str) -> Option<(&Tool, &jsonschema::Validator)> {
        let i = self.set.tools.iter().position(|t| t.name == name)?;
        Some((&self.set.tools[i], &self.validators[i]))
    }

    /// The names nearest to `name`, for "did you mean".
    pub(crate) fn nearest(&self, name: &str) -> Option<&str> {
        self.set
            .tools
            .iter()
            .map(|t| {
                (
                    strsim::levenshtein(&name.to_ascii_uppercase(), &t.name),
                    t.name.as_str(),
                )
            })
            .min()
            .map(|(_, n)| n)
    }
}

/// Refuses parameters that fail the tool's schema, naming each parameter and JSON pointer.
pub(crate) fn check(
    tool: &Tool,
    validator: &jsonschema::Validator,
    parameters: &Value,
) -> Result<(), ApiError> {
    let problems: Vec<Value> = validator
        .iter_errors(parameters)
        .map(|e| {
            let pointer = e.instance_path().as_str().to_string();
            let parameter = match e.kind() {
                jsonschema::error::ValidationErrorKind::Required { property }
                    if pointer.is_empty() =>
                {
                    property.as_str().unwrap_or_default().to_string()
                }
                jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected }
                    if pointer.is_empty() =>
                {
                    unexpected.join(", ")
                }
                _ => first_segment(&pointer),
            };
            let message: String = e.to_string().chars().take(MAX_MESSAGE_CHARS).collect();
            serde_json::json!({ "parameter": parameter, "pointer": pointer, "message": message })
        })
        .collect();
    let Some(first) = problems.first() else {
        return Ok(());
    };
    let at = match first["pointer"].as_str() {
        Some("") | None => String::new(),
        Some(p) => format!(" at {p}"),
    };
    Err(ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid_parameters",
        format!(
            "invalid parameters for {}: `{}`{at}: {}",
            tool.name,
            first["parameter"].as_str().unwrap_or_default(),
            first["message"].as_str().unwrap_or_default()
        ),
    )
    .with_meta(serde_json::json!({ "problems": problems })))
}

fn first_segment(pointer: &str) -> String {
    pointer
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or_default()
        .replace("~1", "/")
        .replace("~0", "~")
}

/// The provider request for a call whose parameters passed [`check`].
pub(crate) fn request(tool: &Tool, parameters: &Value) -> Result<Outgoing, ApiError> {
    let r = &tool.request;
    let mut path = r.path.clone();
    let mut query: Vec<String> = Vec::new();
    let mut headers = HeaderMap::new();
    for input in &r.inputs {
        let Some(value) = parameters.get(&input.property).filter(|v| !v.is_null()) else {
            continue;
        };
        match input.location {
            Location::Path => {
                let text = scalar(value);
                path = path.replace(
                    &format!("{{{}}}", input.name),
                    &utf8_percent_encode(&text, COMPONENT).to_string(),
                );
            }
            Location::Query => {
                // Arrays repeat the name (OpenAPI's default `form`, `explode: true`).
                let values = match value {
                    Value::Array(items) => items.iter().map(scalar).collect(),
                    other => vec![scalar(other)],
                };
                for v in values {
                    query.push(format!(
                        "{}={}",
                        utf8_percent_encode(&input.name, COMPONENT),
                        utf8_percent_encode(&v, COMPONENT)
                    ));
                }
            }
            Location::Header => {
                let bad = || {
                    ApiError::bad_request(format!(
                        "invalid parameters for {}: `{}` is not a valid header value",
                        tool.name, input.property
                    ))
                };
                let name = HeaderName::from_bytes(input.name.as_bytes()).map_err(|_| bad())?;
                let value = HeaderValue::from_str(&scalar(value)).map_err(|_| bad())?;
                headers.insert(name, value);
            }
        }
    }
    if !query.is_empty() {
        path.push(if path.contains('?') { '&' } else { '?' });
        path.push_str(&query.join("&"));
    }
    let body = match (
        &r.body,
        r.body.as_ref().and_then(|b| parameters.get(&b.property)),
    ) {
        (Some(b), Some(value)) => {
            headers.insert(
                axum::http::header::CONTENT_TYPE,
                HeaderValue::from_str(&b.content_type).map_err(|_| {
                    ApiError::internal("a tool's content type is not a header value")
                })?,
            );
            if b.content_type == "application/json" {
                Bytes::from(value.to_string())
            } else {
                Bytes::from(form(value))
            }
        }
        _ => Bytes::new(),
    };
    let method = Method::from_bytes(r.method.as_bytes())
        .map_err(|_| ApiError::internal("a tool's method is not an HTTP method"))?;
    Ok(Outgoing {
        method,
        target: path,
        headers,
        body,
    })
}

/// A parameter value as text: strings as they are, anything else as JSON.
fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// An object as `application/x-www-form-urlencoded`.
fn form(v: &Value) -> String {
    let Some(obj) = v.as_object() else {
        return String::new();
    };
    obj.iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| {
            format!(
                "{}={}",
                utf8_percent_encode(k, COMPONENT),
                utf8_percent_encode(&scalar(v), COMPONENT)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}
