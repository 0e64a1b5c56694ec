//! The harness's runtime: decodes each case's example and asks the spec's own JSON Schema
//! whether it accepts it.

use super::{Case, Check, Kind, Mismatch};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;
use std::process::ExitCode;

/// Decodes `example` into `T` as `paragon-sdk` decodes a body (`serde_json` from the bytes),
/// recording where the first mismatch is.
pub fn decode<T: DeserializeOwned>(example: &Value) -> Result<(), Mismatch> {
    decoded::<T>(example).map(drop)
}

/// Decodes `example` into `T`, then encodes it back: the same JSON must come out (a `null`
/// and an absent member count as the same, since optional fields are skipped when empty).
pub fn round_trip<T: DeserializeOwned + Serialize>(example: &Value) -> Result<(), Mismatch> {
    let value = decoded::<T>(example)?;
    let back = serde_json::to_value(&value).map_err(|e| Mismatch {
        pointer: String::new(),
        message: format!("encoding back: {e}"),
    })?;
    let Some(pointer) = first_difference(example, &back, String::new()) else {
        return Ok(());
    };
    let dropped = back.pointer(&pointer).is_none_or(Value::is_null);
    let message = if dropped {
        // A property the type does not declare, or a union member that decoded first and
        // has no such property.
        "encoded back without this member: the decoded type does not hold it"
    } else {
        "encoded back as another value"
    };
    Err(Mismatch {
        pointer,
        message: message.into(),
    })
}

fn decoded<T: DeserializeOwned>(example: &Value) -> Result<T, Mismatch> {
    let bytes = serde_json::to_vec(example).unwrap_or_default();
    let mut de = serde_json::Deserializer::from_slice(&bytes);
    serde_path_to_error::deserialize(&mut de).map_err(|e| Mismatch {
        pointer: pointer_of(e.path()),
        message: e.inner().to_string(),
    })
}

fn pointer_of(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        out.push('/');
        match segment {
            Segment::Seq { index } => out.push_str(&index.to_string()),
            Segment::Map { key } => out.push_str(&key.replace('~', "~0").replace('/', "~1")),
            Segment::Enum { variant } => out.push_str(variant),
            Segment::Unknown => out.push('?'),
        }
    }
    out
}

fn first_difference(a: &Value, b: &Value, at: String) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys = x.keys().chain(y.keys());
            for key in keys {
                let (l, r) = (
                    x.get(key).unwrap_or(&Value::Null),
                    y.get(key).unwrap_or(&Value::Null),
                );
                let here = format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"));
                if let Some(p) = first_difference(l, r, here) {
                    return Some(p);
                }
            }
            None
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (l, r))| first_difference(l, r, format!("{at}/{i}"))),
        (Value::Number(x), Value::Number(y)) if x.as_f64() == y.as_f64() => None,
        _ if a == b => None,
        _ => Some(at),
    }
}

/// One example that did not decode (or that the typed call cannot reach).
#[derive(Debug, Clone)]
pub struct Finding {
    /// The operation's id, or the component's name.
    pub operation: &'static str,
    /// The response status; empty for requests and schemas.
    pub status: &'static str,
    /// Response, request or schema.
    pub kind: Kind,
    /// JSON pointer to the example in the spec.
    pub example: &'static str,
    /// The first mismatch; `None` when the typed call cannot decode this example at all.
    pub mismatch: Option<Mismatch>,
    /// The cause, in a few words (`required field absent`, `null`, `other media type`).
    pub cause: String,
    /// Whether the spec's own JSON Schema accepts the example (`None`: no schema, or one the
    /// validator cannot compile).
    pub schema_accepts: Option<bool>,
}

/// What a run found.
#[derive(Debug, Default)]
pub struct Report {
    /// Examples tried (those the typed call can decode).
    pub tried: usize,
    /// Examples that decoded.
    pub decoded: usize,
    /// Examples of a media type or status the typed call does not decode.
    pub unreachable: usize,
    /// Each failure and each unreachable example.
    pub findings: Vec<Finding>,
}

/// Runs every case against the spec at `spec`: its examples, and its schemas for the verdict.
pub fn run(spec: &Path, cases: &[Case]) -> Result<Report, String> {
    let loaded = crate::load::load(spec).map_err(|e| e.to_string())?;
    let schemas = Schemas::new(&loaded.root);
    let mut report = Report::default();
    for case in cases {
        let Some(example) = crate::load::resolve_pointer(&loaded.root, case.example) else {
            continue;
        };
        let (result, reachable) = match case.check {
            Check::Decode(f) | Check::RoundTrip(f) => (f(example), true),
            Check::Unreachable(why) => (
                Err(Mismatch {
                    pointer: String::new(),
                    message: why.to_string(),
                }),
                false,
            ),
        };
        if reachable {
            report.tried += 1;
        } else {
            report.unreachable += 1;
        }
        let Err(mismatch) = result else {
            report.decoded += 1;
            continue;
        };
        let cause = if reachable {
            cause(&mismatch.message).to_string()
        } else {
            mismatch.message.clone()
        };
        report.findings.push(Finding {
            operation: case.operation,
            status: case.status,
            kind: case.kind,
            example: case.example,
            schema_accepts: schemas.accepts(case.schema, example),
            mismatch: reachable.then_some(mismatch),
            cause,
        });
    }
    Ok(report)
}

/// serde's message in a few words, to count failures by cause.
fn cause(message: &str) -> &'static str {
    if message.starts_with("missing field") {
        "required field absent"
    } else if message.starts_with("invalid type: null") {
        "null where a value is declared"
    } else if message.starts_with("invalid type") {
        "another type than declared"
    } else if message.contains("did not match any variant") {
        "no union member matches"
    } else if message.contains("out of range") || message.starts_with("invalid value") {
        "value out of the type's range"
    } else if message.contains("encoded back without") {
        "member dropped when encoded back"
    } else if message.contains("encoded back") {
        "encodes back differently"
    } else {
        "other"
    }
}

/// The spec's schemas as JSON Schema: OpenAPI 3.0's `nullable` written as a `null` type, and
/// one validator per schema pointer.
struct Schemas {
    root: Value,
    draft: jsonschema::Draft,
    compiled: std::cell::RefCell<HashMap<&'static str, Option<jsonschema::Validator>>>,
}

impl Schemas {
    fn new(spec: &Value) -> Schemas {
        let openapi_31 = spec
            .get("openapi")
            .and_then(Value::as_str)
            .is_some_and(|v| v.starts_with("3.1"));
        let mut root = spec.clone();
        if !openapi_31 {
            nullable_as_null(&mut root);
        }
        Schemas {
            root,
            draft: if openapi_31 {
                jsonschema::Draft::Draft202012
            } else {
                jsonschema::Draft::Draft4
            },
            compiled: Default::default(),
        }
    }

    fn accepts(&self, pointer: &'static str, example: &Value) -> Option<bool> {
        if pointer.is_empty() {
            return None;
        }
        let mut compiled = self.compiled.borrow_mut();
        let validator = compiled.entry(pointer).or_insert_with(|| {
            let mut schema = self.root.clone();
            schema.as_object_mut()?.insert(
                "$ref".into(),
                Value::String(format!("#{}", fragment(pointer))),
            );
            jsonschema::options()
                .with_draft(self.draft)
                .build(&schema)
                .ok()
        });
        validator.as_ref().map(|v| v.is_valid(example))
    }
}

/// A JSON pointer as a URI fragment: characters a fragment cannot hold are percent-encoded.
fn fragment(pointer: &str) -> String {
    let mut out = String::with_capacity(pointer.len());
    for b in pointer.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Rewrites OpenAPI 3.0's `nullable: true` as JSON Schema: `null` added to `type` (and to
/// `enum`), or the schema wrapped in `anyOf: [schema, {type: null}]` when it has no `type`.
fn nullable_as_null(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for child in map.values_mut() {
                nullable_as_null(child);
            }
            if map.remove("nullable") != Some(Value::Bool(true)) {
                return;
            }
            if let Some(Value::Array(values)) = map.get_mut("enum")
                && !values.contains(&Value::Null)
            {
                values.push(Value::Null);
            }
            match map.get("type").cloned() {
                Some(Value::String(t)) => {
                    map.insert("type".into(), serde_json::json!([t, "null"]));
                }
                _ => {
                    let inner = Value::Object(std::mem::take(map));
                    map.insert("anyOf".into(), serde_json::json!([inner, {"type": "null"}]));
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(nullable_as_null),
        _ => {}
    }
}

/// The harness crate's `main`: `harness SPEC` runs `cases` against the spec and prints one
/// tab-separated line per finding (`finding`, operation, status, kind, cause, pointer, whether
/// the schema accepts the example, pointer to the example), then a `summary` line. Exits 0
/// when every reachable example decoded, 1 otherwise, 2 on bad arguments.
pub fn main(cases: &[Case]) -> ExitCode {
    let Some(spec) = std::env::args_os().nth(1) else {
        eprintln!("usage: harness SPEC");
        return ExitCode::from(2);
    };
    let report = match run(Path::new(&spec), cases) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    for f in &report.findings {
        let accepts = match f.schema_accepts {
            Some(true) => "schema-accepts",
            Some(false) => "schema-rejects",
            None => "no-schema",
        };
        let pointer = f.mismatch.as_ref().map_or("-", |m| m.pointer.as_str());
        let message = f.mismatch.as_ref().map_or("", |m| m.message.as_str());
        println!(
            "finding\t{}\t{}\t{:?}\t{}\t{}\t{accepts}\t{}\t{}",
            f.operation,
            f.status,
            f.kind,
            f.cause,
            if pointer.is_empty() { "/" } else { pointer },
            f.example,
            message.replace(['\t', '\n'], " ")
        );
    }
    println!(
        "summary\ttried={}\tdecoded={}\tunreachable={}",
        report.tried, report.decoded, report.unreachable
    );
    if report.tried == report.decoded {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nullable_becomes_a_null_type() {
        let mut v = json!({"a": {"type": "string", "nullable": true, "enum": ["x"]},
                           "b": {"$ref": "#/x", "nullable": true}});
        nullable_as_null(&mut v);
        assert_eq!(
            v["a"],
            json!({"type": ["string", "null"], "enum": ["x", null]})
        );
        assert_eq!(
            v["b"],
            json!({"anyOf": [{"$ref": "#/x"}, {"type": "null"}]})
        );
    }

    #[test]
    fn pointers_as_fragments() {
        assert_eq!(fragment("/paths/~1a~1{id}/get"), "/paths/~1a~1%7Bid%7D/get");
    }

    #[test]
    fn nulls_and_absent_members_are_the_same_when_encoding_back() {
        assert_eq!(
            first_difference(&json!({"a": null}), &json!({}), String::new()),
            None
        );
        assert_eq!(
            first_difference(&json!({"a": [1, 2]}), &json!({"a": [1, 3]}), String::new()),
            Some("/a/1".into())
        );
    }
}
