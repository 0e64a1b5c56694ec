//! Stage 2: rewrite OpenAPI 3.1 schema shapes into their 3.0 equivalents, in one pass over the
//! whole document after loading ([`document`]), so that lowering only knows 3.0.
//!
//! Lowering reads the normalized document through a typed borrowed view (`lower::spec`), not
//! `openapiv3`'s types: ARCHITECTURE.md records the choice and its measurement.

use serde_json::{Map, Value};
use std::borrow::Cow;

/// Keys whose values are data, not spec nodes: a schema inside an example stays as written.
const DATA_KEYS: &[&str] = &["example", "examples", "default", "enum", "const"];

/// Keys of a schema whose values are schemas, or maps or lists of schemas.
const SUBSCHEMA_KEYS: &[&str] = &[
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "items",
    "prefixItems",
    "additionalProperties",
    "not",
    "allOf",
    "oneOf",
    "anyOf",
];

/// Rewrites every schema of the document to its 3.0 shape: each `schema` value and each entry
/// of a `schemas` map, with the schemas they hold. Examples and defaults are data and stay as
/// written.
pub(crate) fn document(root: &mut Value) {
    match root {
        Value::Object(obj) => {
            for (key, value) in obj.iter_mut() {
                match key.as_str() {
                    k if DATA_KEYS.contains(&k) || k.starts_with("x-") => {}
                    "schema" => schema_tree(value),
                    "schemas" => {
                        if let Value::Object(schemas) = value {
                            schemas.values_mut().for_each(schema_tree);
                        }
                    }
                    _ => document(value),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(document),
        _ => {}
    }
}

/// Rewrites a schema and every schema it holds.
fn schema_tree(v: &mut Value) {
    if let Cow::Owned(rewritten) = schema(v) {
        *v = rewritten;
    }
    let Value::Object(obj) = v else {
        return;
    };
    for key in SUBSCHEMA_KEYS {
        match (*key, obj.get_mut(*key)) {
            (
                "properties" | "patternProperties" | "$defs" | "definitions",
                Some(Value::Object(map)),
            ) => map.values_mut().for_each(schema_tree),
            (_, Some(Value::Array(list))) => list.iter_mut().for_each(schema_tree),
            (_, Some(sub @ Value::Object(_))) => schema_tree(sub),
            _ => {}
        }
    }
}

/// Returns the 3.0 shape of one schema object (`type` arrays with `null` become `nullable`,
/// `const` becomes a one-value `enum`, `{"type": "null"}` members of `oneOf`/`anyOf` become
/// `nullable`). Borrows when nothing needs to change.
pub(crate) fn schema(v: &Value) -> Cow<'_, Value> {
    let Some(obj) = v.as_object() else {
        return Cow::Borrowed(v);
    };
    let needs = matches!(obj.get("type"), Some(Value::Array(_)))
        || obj.contains_key("const")
        || ["oneOf", "anyOf"].iter().any(|k| {
            obj.get(*k)
                .and_then(Value::as_array)
                .is_some_and(|a| a.iter().any(is_null_schema))
        });
    if !needs {
        return Cow::Borrowed(v);
    }
    let mut obj = obj.clone();
    if let Some(Value::Array(types)) = obj.get("type").cloned() {
        let non_null: Vec<Value> = types
            .iter()
            .filter(|t| t.as_str() != Some("null"))
            .cloned()
            .collect();
        if non_null.len() != types.len() {
            obj.insert("nullable".into(), Value::Bool(true));
        }
        match non_null.len() {
            1 => {
                obj.insert("type".into(), non_null[0].clone());
            }
            0 => {
                obj.remove("type");
            }
            _ => {
                // Several types: a union of one schema per type, each keeping the keywords it uses.
                obj.remove("type");
                let variants = non_null
                    .iter()
                    .map(|t| {
                        let mut m = Map::new();
                        m.insert("type".into(), t.clone());
                        for k in [
                            "items",
                            "properties",
                            "additionalProperties",
                            "required",
                            "format",
                            "enum",
                        ] {
                            if let Some(x) = obj.get(k) {
                                m.insert(k.into(), x.clone());
                            }
                        }
                        Value::Object(m)
                    })
                    .collect();
                obj.insert("anyOf".into(), Value::Array(variants));
            }
        }
    }
    if let Some(c) = obj.remove("const") {
        if c.is_null() {
            obj.insert("nullable".into(), Value::Bool(true));
        } else {
            obj.entry("enum").or_insert(Value::Array(vec![c]));
        }
    }
    for k in ["oneOf", "anyOf"] {
        if let Some(Value::Array(members)) = obj.get(k)
            && members.iter().any(is_null_schema)
        {
            let kept: Vec<Value> = members
                .iter()
                .filter(|m| !is_null_schema(m))
                .cloned()
                .collect();
            obj.insert(k.into(), Value::Array(kept));
            obj.insert("nullable".into(), Value::Bool(true));
        }
    }
    Cow::Owned(Value::Object(obj))
}

fn is_null_schema(v: &Value) -> bool {
    v.get("type").and_then(Value::as_str) == Some("null")
        || v.get("type")
            .and_then(Value::as_array)
            .is_some_and(|a| a.len() == 1 && a[0].as_str() == Some("null"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn type_array_with_null_becomes_nullable() {
        let v = json!({"type": ["string", "null"], "const": "x"});
        assert_eq!(
            schema(&v).into_owned(),
            json!({"type": "string", "nullable": true, "enum": ["x"]})
        );
    }

    #[test]
    fn the_document_pass_rewrites_every_schema_but_no_example() {
        let mut doc = json!({
            "paths": {"/a": {"get": {"responses": {"200": {"content": {"application/json": {
                "schema": {"type": "object", "properties": {"n": {"type": ["integer", "null"]}}},
                "example": {"type": ["integer", "null"]}
            }}}}}}},
            "components": {"schemas": {"A": {"items": {"const": "x"}}}}
        });
        document(&mut doc);
        let media = &doc["paths"]["/a"]["get"]["responses"]["200"]["content"]["application/json"];
        assert_eq!(
            media["schema"]["properties"]["n"],
            json!({"type": "integer", "nullable": true})
        );
        assert_eq!(media["example"], json!({"type": ["integer", "null"]}));
        assert_eq!(
            doc["components"]["schemas"]["A"]["items"],
            json!({"enum": ["x"]})
        );
    }

    #[test]
    fn null_member_of_any_of_becomes_nullable() {
        let v = json!({"anyOf": [{"$ref": "#/a"}, {"type": "null"}]});
        assert_eq!(
            schema(&v).into_owned(),
            json!({"anyOf": [{"$ref": "#/a"}], "nullable": true})
        );
    }
}
