//! OpenAPI 3.0/3.1 schemas to JSON Schema 2020-12, the dialect LLM APIs and MCP take for a
//! tool's inputs.
//!
//! Only keywords whose value has the shape 2020-12 requires are kept (a vendor's
//! `required: true` on a property, an `items` list, a `pattern` no regex engine compiles are
//! dropped, which makes the schema looser, never wrong); `nullable` becomes a `"null"` type;
//! 3.0's boolean `exclusiveMaximum` becomes the number form; every `$ref` becomes a local
//! `#/$defs/<name>` so that recursive types stay finite.

use serde_json::{Map, Number, Value, json};
use std::collections::{BTreeMap, HashMap};

/// Nesting deeper than this in one inline schema is cut to `{}` (any value), so a hostile
/// spec cannot exhaust the stack.
const MAX_DEPTH: usize = 64;

const TYPES: &[&str] = &[
    "string", "number", "integer", "boolean", "object", "array", "null",
];
const STRINGS: &[&str] = &["format", "title", "description", "$comment"];
const BOOLEANS: &[&str] = &["uniqueItems", "readOnly", "writeOnly", "deprecated"];
const COUNTS: &[&str] = &[
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
];
const SUBSCHEMAS: &[&str] = &[
    "additionalProperties",
    "not",
    "contains",
    "propertyNames",
    "unevaluatedProperties",
];
const COMBINATIONS: &[&str] = &["allOf", "anyOf", "oneOf"];

/// Converts the schemas of one tool, collecting the `$ref`ed ones as `$defs`.
pub(crate) struct Converter<'a> {
    root: &'a Value,
    /// Converted definitions by name.
    defs: BTreeMap<String, Value>,
    /// The `$defs` name given to each referenced pointer.
    names: HashMap<String, String>,
    /// Referenced pointers not converted yet.
    pending: Vec<(String, String)>,
    /// What could not be expressed (a dangling `$ref`), for the generation's warnings.
    pub(crate) problems: Vec<String>,
}

impl<'a> Converter<'a> {
    pub(crate) fn new(root: &'a Value) -> Self {
        Converter {
            root,
            defs: BTreeMap::new(),
            names: HashMap::new(),
            pending: Vec::new(),
            problems: Vec::new(),
        }
    }

    /// One schema in 2020-12 form; referenced schemas are queued for [`Self::finish`].
    pub(crate) fn convert(&mut self, schema: &Value) -> Value {
        self.convert_at(schema, 0)
    }

    /// Converts every referenced schema (and what they reference) and returns the `$defs`.
    pub(crate) fn finish(mut self) -> (BTreeMap<String, Value>, Vec<String>) {
        while let Some((pointer, name)) = self.pending.pop() {
            let converted = match resolve(self.root, &pointer) {
                Some(target) => self.convert_at(target, 0),
                None => json!({}),
            };
            self.defs.insert(name, converted);
        }
        (self.defs, self.problems)
    }

    fn convert_at(&mut self, schema: &Value, depth: usize) -> Value {
        match schema {
            Value::Bool(b) => Value::Bool(*b),
            Value::Object(_) if depth > MAX_DEPTH => json!({}),
            Value::Object(obj) => {
                if let Some(r) = obj.get("$ref").and_then(Value::as_str) {
                    return self.reference(r, obj);
                }
                let normalized = crate::normalize::schema(schema);
                let obj = normalized.as_object().unwrap_or(obj);
                self.object(obj, depth)
            }
            // Anything else is not a schema: accept any value rather than emit a broken one.
            _ => json!({}),
        }
    }

    fn reference(&mut self, reference: &str, obj: &Map<String, Value>) -> Value {
        let Some(pointer) = reference.strip_prefix('#') else {
            self.problems
                .push(format!("the `$ref` `{reference}` is outside the spec"));
            return json!({});
        };
        let pointer = percent_decode(pointer);
        if resolve(self.root, &pointer).is_none() {
            self.problems
                .push(format!("the `$ref` `{reference}` does not resolve"));
            return json!({});
        }
        let name = match self.names.get(&pointer) {
            Some(n) => n.clone(),
            None => {
                let n = self.def_name(&pointer);
                self.names.insert(pointer.clone(), n.clone());
                self.pending.push((pointer, n.clone()));
                n
            }
        };
        let mut out = Map::new();
        out.insert("$ref".into(), Value::String(format!("#/$defs/{name}")));
        if let Some(d) = obj.get("description").filter(|d| d.is_string()) {
            out.insert("description".into(), d.clone());
        }
        Value::Object(out)
    }

    /// A `$defs` key from the pointer's last segment: letters, digits, `_`, `-` and `.` only,
    /// so the `$ref` needs no escaping; a repeat gets a number.
    fn def_name(&self, pointer: &str) -> String {
        let last = pointer.rsplit('/').next().unwrap_or("");
        let mut base: String = last
            .replace("~1", "/")
            .replace("~0", "~")
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        if base.is_empty() {
            base = "schema".into();
        }
        let taken = |n: &str| self.names.values().any(|v| v == n);
        if !taken(&base) {
            return base;
        }
        (2..)
            .map(|i| format!("{base}_{i}"))
            .find(|n| !taken(n))
            .unwrap_or(base)
    }

    fn object(&mut self, obj: &Map<String, Value>, depth: usize) -> Value {
        let mut out = Map::new();
        for (key, value) in obj {
            let k = key.as_str();
            let kept = match k {
                "type" => types(value),
                "enum" => value.is_array().then(|| value.clone()),
                "const" | "default" => Some(value.clone()),
                "example" => Some(Value::Array(vec![value.clone()])),
                "examples" => value.is_array().then(|| value.clone()),
                "pattern" => value
                    .as_str()
                    .filter(|p| regex::Regex::new(p).is_ok())
                    .map(|p| Value::String(p.into())),
                "required" => required(value),
                "properties" => value.as_object().map(|props| {
                    let converted = props
                        .iter()
                        .map(|(name, s)| (name.clone(), self.convert_at(s, depth + 1)))
                        .collect();
                    Value::Object(converted)
                }),
                "items" => match value {
                    Value::Array(tuple) => {
                        let prefix = tuple
                            .iter()
                            .map(|s| self.convert_at(s, depth + 1))
                            .collect();
                        out.insert("prefixItems".into(), Value::Array(prefix));
                        None
                    }
                    Value::Object(_) | Value::Bool(_) => Some(self.convert_at(value, depth + 1)),
                    _ => None,
                },
                "minimum" | "maximum" => value.as_number().map(|n| Value::Number(n.clone())),
                "multipleOf" => value.as_f64().filter(|n| *n > 0.0).map(|_| value.clone()),
                "exclusiveMinimum" | "exclusiveMaximum" => exclusive(k, value, obj),
                _ if STRINGS.contains(&k) => value.is_string().then(|| value.clone()),
                _ if BOOLEANS.contains(&k) => value.is_boolean().then(|| value.clone()),
                _ if COUNTS.contains(&k) => value.as_u64().map(|n| Value::Number(n.into())),
                _ if SUBSCHEMAS.contains(&k) => match value {
                    Value::Object(_) | Value::Bool(_) => Some(self.convert_at(value, depth + 1)),
                    _ => None,
                },
                _ if COMBINATIONS.contains(&k) => value
                    .as_array()
                    .filter(|members| !members.is_empty())
                    .map(|members| {
                        let converted = members
                            .iter()
                            .map(|s| self.convert_at(s, depth + 1))
                            .collect();
                        Value::Array(converted)
                    }),
                _ => None,
            };
            match (k, kept) {
                // 3.0's single `example` is 2020-12's `examples`, unless both are written.
                ("example", Some(v)) if !obj.contains_key("examples") => {
                    out.insert("examples".into(), v);
                }
                ("example", _) | (_, None) => {}
                (_, Some(v)) => {
                    out.insert(key.clone(), v);
                }
            }
        }
        // The boolean form of `exclusiveMaximum` moved the bound; the plain one goes.
        for (bound, exclusive) in [
            ("maximum", "exclusiveMaximum"),
            ("minimum", "exclusiveMinimum"),
        ] {
            if out.contains_key(exclusive) {
                out.remove(bound);
            }
        }
        if obj.get("nullable") == Some(&Value::Bool(true)) {
            return nullable(out);
        }
        Value::Object(out)
    }
}

/// `type` as a name or a list of distinct names JSON Schema knows (Swagger's `file` is not).
fn types(value: &Value) -> Option<Value> {
    match value {
        Value::String(t) if TYPES.contains(&t.as_str()) => Some(value.clone()),
        Value::Array(list) => {
            let mut kept: Vec<Value> = Vec::new();
            for t in list {
                if t.as_str().is_some_and(|t| TYPES.contains(&t)) && !kept.contains(t) {
                    kept.push(t.clone());
                }
            }
            (!kept.is_empty()).then_some(Value::Array(kept))
        }
        _ => None,
    }
}

/// `required` as distinct strings; a boolean (a 3.0 mistake on a property) is dropped.
fn required(value: &Value) -> Option<Value> {
    let list = value.as_array()?;
    let mut kept: Vec<Value> = Vec::new();
    for name in list.iter().filter(|n| n.is_string()) {
        if !kept.contains(name) {
            kept.push(name.clone());
        }
    }
    Some(Value::Array(kept))
}

/// 3.0's `exclusiveMaximum: true` beside `maximum: 10` is 2020-12's `exclusiveMaximum: 10`.
fn exclusive(key: &str, value: &Value, obj: &Map<String, Value>) -> Option<Value> {
    match value {
        Value::Number(n) => Some(Value::Number(n.clone())),
        Value::Bool(true) => {
            let bound = if key == "exclusiveMaximum" {
                "maximum"
            } else {
                "minimum"
            };
            obj.get(bound)
                .and_then(Value::as_number)
                .map(|n: &Number| Value::Number(n.clone()))
        }
        _ => None,
    }
}

/// A schema that also accepts `null`.
fn nullable(mut out: Map<String, Value>) -> Value {
    if let Some(Value::Array(values)) = out.get_mut("enum")
        && !values.contains(&Value::Null)
    {
        values.push(Value::Null);
    }
    match out.get_mut("type") {
        Some(Value::String(t)) => {
            let t = std::mem::take(t);
            out.insert("type".into(), json!([t, "null"]));
            Value::Object(out)
        }
        Some(Value::Array(list)) => {
            if !list.contains(&json!("null")) {
                list.push(json!("null"));
            }
            Value::Object(out)
        }
        _ => json!({"anyOf": [Value::Object(out), {"type": "null"}]}),
    }
}

/// The value at a JSON pointer of the spec (`/components/schemas/Pet`).
pub(crate) fn resolve<'v>(root: &'v Value, pointer: &str) -> Option<&'v Value> {
    if pointer.is_empty() {
        return Some(root);
    }
    root.pointer(pointer)
}

/// Refs are URI fragments: `%7B` in a pointer is `{`.
fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(root: &Value, schema: Value) -> (Value, BTreeMap<String, Value>) {
        let mut c = Converter::new(root);
        let out = c.convert(&schema);
        let (defs, _) = c.finish();
        (out, defs)
    }

    #[test]
    fn nullable_and_exclusive_bounds_take_the_2020_12_form() {
        let (out, _) = convert(
            &json!({}),
            json!({"type": "integer", "nullable": true, "maximum": 10, "exclusiveMaximum": true,
                   "example": 3, "x-vendor": 1, "required": true}),
        );
        assert_eq!(
            out,
            json!({"type": ["integer", "null"], "exclusiveMaximum": 10, "examples": [3]})
        );
    }

    #[test]
    fn refs_become_defs_and_cycles_stay_finite() {
        let root = json!({"components": {"schemas": {
            "Node": {"type": "object", "properties": {"next": {"$ref": "#/components/schemas/Node"}}}
        }}});
        let (out, defs) = convert(&root, json!({"$ref": "#/components/schemas/Node"}));
        assert_eq!(out, json!({"$ref": "#/$defs/Node"}));
        assert_eq!(
            defs["Node"]["properties"]["next"],
            json!({"$ref": "#/$defs/Node"})
        );
    }

    #[test]
    fn a_dangling_ref_is_any_value_and_a_problem() {
        let mut c = Converter::new(&Value::Null);
        assert_eq!(c.convert(&json!({"$ref": "#/nowhere"})), json!({}));
        assert_eq!(c.problems.len(), 1);
    }
}
